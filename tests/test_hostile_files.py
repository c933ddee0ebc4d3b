"""What a hostile user or file can put where lenet-tui keeps or reads its files: never a lost
history, a replaced link or device, a hang or a traceback; one line instead, exit code 2.

Each test is a class of fault, tried over the ways it comes (a FIFO, a folder, a link, a device,
a huge file; every file of a run folder; every spelling of a path)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest
from event_fixtures import epoch_end, started
from hostile_helpers import NOT_FILES, WHAT_IT_IS, cli, finishes, not_a_file, stopped_run
from idx_fixtures import write_dataset
from run_folder_fixtures import finished_run, make_run

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.training import Trainer
from lenet_tui.errors import LenetError
from lenet_tui.runs.atomic import write_text_atomic
from lenet_tui.runs.catalog import delete_run
from lenet_tui.runs.checkpoint import load_checkpoint, save_checkpoint
from lenet_tui.runs.class_results import write_class_results
from lenet_tui.runs.driver import KeptRun, RunDriver
from lenet_tui.runs.export import export_runs_csv, run_rows
from lenet_tui.runs.folder import RunFolder, RunLock, is_being_trained
from lenet_tui.runs.grid import Grid
from lenet_tui.runs.grid_table import run_figures
from lenet_tui.runs.history import list_runs, summarise
from lenet_tui.runs.notes import RunNote, read_note, write_note


def kind_of(path: Path) -> int:
    return stat.S_IFMT(os.lstat(path).st_mode)


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


# -- 1. nothing is ever renamed over what is not a regular file ---------------------------------


def things_in_the_way(tmp_path: Path) -> dict[str, Path]:
    """A FIFO, a folder, a link to a file, a link to /dev/null and a broken link."""
    (tmp_path / "target.csv").write_text("mine\n")
    paths = {name: tmp_path / name.replace(" ", "-") for name in ("fifo", "folder")}
    os.mkfifo(paths["fifo"])
    paths["folder"].mkdir()
    for name, target in (("link", "target.csv"), ("device link", "/dev/null"), ("dangling", "x")):
        paths[name] = tmp_path / name.replace(" ", "-")
        paths[name].symlink_to(target)
    return paths


def test_export_csv_refuses_to_replace_a_fifo_a_folder_or_a_link_and_leaves_it_be(tmp_path):
    run = finished_run(tmp_path / "runs", "a", [0.5])
    for name, path in things_in_the_way(tmp_path).items():
        before = kind_of(path)
        code, out, err = cli("--export-csv", run.path, "-o", path)
        assert (code, out) == (2, ""), name
        assert "it is never replaced" in one_line(err), name
        assert kind_of(path) == before, name
    assert (tmp_path / "target.csv").read_text() == "mine\n"  # the link's file is untouched


def test_every_file_a_run_or_grid_writes_refuses_a_fifo_or_a_link_in_its_place(
    tmp_path, tiny_dataset
):
    """The audit of every atomic rename: each writer of a run's and a grid's files, and the
    Runs tab's export, which shares the writer of --export-csv."""
    run = finished_run(tmp_path, "run", [0.5])
    checkpoint = load_checkpoint(stopped_run(tmp_path / "src", tiny_dataset) / "checkpoint.pt")
    grid = Grid.plan("lr=0.1,0.2", (), TrainConfig(epochs=1)).create(tmp_path / "grid")
    writers = {
        "checkpoint.pt": lambda p: save_checkpoint(p, checkpoint),
        "notes.toml": lambda p: write_note(p.parent, RunNote("a name")),
        "confusion.csv": lambda p: write_class_results(p.parent, [[1, 0], [0, 1]], ("a", "b")),
        "metrics.jsonl": lambda p: RunFolder(p.parent).trim_metrics(1),
        "grid.csv": lambda p: grid.write_csv(),
        "export.csv": lambda p: export_runs_csv([run.path], p),
        "config.toml": lambda p: write_text_atomic(p, "lr = 0.1\n"),
    }
    for name, write in writers.items():
        folder = {"grid.csv": grid.folder, "export.csv": tmp_path}.get(name, run.path)
        path = folder / name
        for make in (os.mkfifo, lambda p: p.symlink_to("/dev/null")):
            kept = folder / "kept"
            if os.path.lexists(path):
                path.rename(kept)
            make(path)
            before = kind_of(path)
            with pytest.raises((OSError, LenetError), match="not a file"):
                write(path)
            assert kind_of(path) == before, name
            path.unlink()
            if os.path.lexists(kept):
                kept.rename(path)
    assert sorted(p.name for p in run.path.iterdir() if p.name.endswith(".tmp")) == []


# -- 2. a damaged metrics.jsonl never costs a run its history ------------------------------------


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_resume_refuses_a_damaged_metrics_line_naming_it_and_keeps_every_line(
    where, tmp_path, tiny_dataset
):
    run = stopped_run(tmp_path / "run", tiny_dataset)
    metrics = run / "metrics.jsonl"
    lines = metrics.read_text().splitlines(keepends=True)
    at = {"first": 0, "middle": len(lines) // 2, "last": len(lines)}[where]
    damaged = "".join([*lines[:at], "junk {{{\n", *lines[at:]])
    metrics.write_text(damaged)
    code, out, err = cli("--no-ui", "--resume", run)
    assert (code, out) == (2, "")
    assert f"{metrics}: line {at + 1} is not an event" in one_line(err)
    assert metrics.read_text() == damaged  # not a line lost


def test_a_torn_last_line_alone_is_dropped_and_the_resume_keeps_the_history(
    tmp_path, tiny_dataset, tiny_data_dir
):
    run = stopped_run(tmp_path / "run", tiny_dataset)
    metrics = run / "metrics.jsonl"
    before = [json.loads(line) for line in metrics.read_text().splitlines()]
    with metrics.open("a") as f:
        f.write('\n  \n{"event": "train_progress", "ep')  # a blank line, then a killed write
    code, _, err = cli("--no-ui", "--resume", run, "--data-dir", tiny_data_dir)
    assert code == 0, err
    after = [json.loads(line) for line in metrics.read_text().splitlines()]
    kept = [e for e in before if e["event"] != "run_stopped"]
    assert after[: len(kept)] == kept
    assert [e["epoch"] for e in after if e["event"] == "epoch_end"] == [1, 2, 3]


def test_lists_tables_and_exports_read_past_a_damaged_line(tmp_path):
    run = finished_run(tmp_path, "a", [0.5, 0.6, 0.7])
    lines = run.metrics_path.read_text().splitlines(keepends=True)
    run.metrics_path.write_text("".join(["junk\n", lines[0], "\x00" * 10 + "\n", *lines[1:]]))
    assert summarise(run).epochs_done == 3 and summarise(run).state == "finished"
    assert run_figures(run.path, 0).epochs == 3
    assert [row[-7] for row in run_rows(run.path)] == [1, 2, 3]
    long_line = "x" * (2 << 20) + "\n"  # longer than any event: damage, skipped unread
    run.metrics_path.write_text("".join([long_line, *lines]))
    assert summarise(run).epochs_done == 3


# -- 3. --metrics-out (or -o) is never one of a run's own files ----------------------------------


def test_metrics_out_is_never_a_file_of_the_run_however_it_is_spelled(tmp_path, tiny_dataset):
    run = stopped_run(tmp_path / "run", tiny_dataset)
    (tmp_path / "link").symlink_to(run / "metrics.jsonl")
    os.link(run / "metrics.jsonl", tmp_path / "hard")
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    for path in (
        run / "metrics.jsonl", run / "." / "metrics.jsonl", tmp_path / "run" / ".." / "run" /
        "metrics.jsonl", tmp_path / "link", tmp_path / "hard", run / "config.toml",
        run / "checkpoint.pt", run / "new.jsonl",
    ):  # fmt: skip
        code, out, err = cli("--no-ui", "--resume", run, "--metrics-out", str(path))
        assert (code, out) == (2, ""), path
        assert "would be inside the run folder" in one_line(err), path
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_a_new_runs_metrics_out_may_not_be_inside_its_run_dir_nor_another_run(tmp_path):
    other = finished_run(tmp_path, "other", [0.5])
    for run_dir, out in (
        (tmp_path / "new", tmp_path / "new" / "metrics.jsonl"),
        (tmp_path / "new", tmp_path / "new" / "config.toml"),
        (tmp_path / "fresh", other.metrics_path),
    ):
        code, _, err = cli("--no-ui", "--run-dir", run_dir, "--metrics-out", out)
        assert code == 2 and "would be inside the run folder" in one_line(err)
        assert not (tmp_path / "new").exists()
    code, _, err = cli("--export-csv", other.path, "-o", other.path / "per_class.csv")
    assert code == 2 and "would be inside the run folder" in one_line(err)


def test_a_run_dir_that_holds_any_run_file_or_a_grid_is_refused(tmp_path):
    for name in ("metrics.jsonl", "checkpoint.pt", "grid.toml"):
        folder = tmp_path / name.replace(".", "-")
        folder.mkdir()
        (folder / name).write_text("")
        code, _, err = cli("--no-ui", "--run-dir", folder, "--epochs", "1")
        assert code == 2 and ("already holds a run" in err or "holds a grid" in err), name
        assert sorted(p.name for p in folder.iterdir()) == [name]


# -- 4. the run lock holds whatever becomes of config.toml ---------------------------------------


def test_the_lock_on_a_run_holds_after_its_config_toml_is_replaced(tmp_path, tiny_dataset):
    config = TrainConfig(epochs=2, batch_size=128, device="cpu", seed=0)
    with RunDriver.new(config, tiny_dataset, tmp_path / "run") as first:
        folder = first.folder
        text = folder.config_path.read_text()
        write_text_atomic(folder.config_path, text)  # an editor's save: a new file
        folder.config_path.unlink()
        folder.config_path.write_text(text)  # and again, by hand
        second = RunDriver(Trainer(config, tiny_dataset), folder=folder)
        with pytest.raises(LenetError, match="another lenet-tui is training this run right"):
            second.open()
        assert not RunLock(folder).acquire()
        assert is_being_trained(folder)
        assert summarise(folder).state == "running"
        with pytest.raises(LenetError, match="is training this run; stop it first"):
            delete_run(folder.path)
    assert not is_being_trained(folder)


# -- 5. nothing read can hang or fill the memory -------------------------------------------------


@pytest.mark.parametrize("kind", NOT_FILES)
def test_a_resume_names_what_stands_in_place_of_a_run_file(kind, tmp_path, tiny_dataset):
    run = stopped_run(tmp_path / "run", tiny_dataset)
    for name in ("metrics.jsonl", "checkpoint.pt", "config.toml"):
        path = run / name
        path.rename(run / "saved")
        not_a_file(path, kind)
        code, out, err = finishes(lambda: cli("--no-ui", "--resume", run))
        assert (code, out) == (2, ""), name
        assert str(path) in one_line(err) and WHAT_IT_IS[kind] in err, name
        runs = finishes(lambda: list_runs(tmp_path))  # the ctrl+o list, and the Runs tab's
        assert [r.name for r in runs] == ["run"]
        code, _, err = finishes(lambda: cli("--export-csv", run))
        assert code == (0 if name == "checkpoint.pt" else 2), err
        os.unlink(path) if not path.is_dir() or path.is_symlink() else path.rmdir()
        (run / "saved").rename(path)


@pytest.mark.parametrize("kind", NOT_FILES)
def test_a_notes_toml_that_is_not_a_file_reads_as_no_note(kind, tmp_path):
    run = finished_run(tmp_path, "a", [0.5])
    not_a_file(run.path / "notes.toml", kind)
    assert finishes(lambda: read_note(run.path)) == RunNote()
    assert finishes(lambda: summarise(run)).state == "finished"


@pytest.mark.parametrize("kind", NOT_FILES)
def test_a_settings_file_grid_toml_or_idx_file_that_is_not_a_file_is_refused(
    kind, tmp_path, tiny_dataset
):
    settings = tmp_path / "settings.toml"
    not_a_file(settings, kind)
    code, _, err = finishes(lambda: cli("--no-ui", "--config", settings))
    assert code == 2 and WHAT_IT_IS[kind] in one_line(err)
    grid = Grid.plan("lr=0.1,0.2", (), TrainConfig(epochs=1)).create(tmp_path / "grid")
    not_a_file(grid.folder / "grid.toml", kind)
    for args in (("--no-ui", "--resume", grid.folder), ("--export-csv", grid.folder)):
        code, _, err = finishes(lambda: cli(*args))  # noqa: B023 - called at once
        assert code == 2 and WHAT_IT_IS[kind] in one_line(err)
    data = tmp_path / "data"
    write_dataset(data, tiny_dataset)
    not_a_file(data / "train-labels-idx1-ubyte.gz", kind)
    code, _, err = finishes(lambda: cli("--no-ui", "--data-dir", data, "--device", "cpu"))
    assert code == 2 and WHAT_IT_IS[kind] in one_line(err)


def test_the_checkpoint_bound_covers_real_checkpoints_with_their_optimizer_state(
    tmp_path, tiny_dataset
):
    from lenet_tui.runs.checkpoint import largest_checkpoint

    wide = ModelConfig(channels=(32, 64, 64), kernel_size=3, hidden=(256, 128, 64), batch_norm=True)
    for n, model in enumerate((ModelConfig(), wide)):
        config = TrainConfig(epochs=1, optimizer="adam", lr=0.001, device="cpu", model=model)
        with RunDriver.new(config, tiny_dataset, tmp_path / str(n)) as driver:
            for _ in driver.run():
                pass
        real = (tmp_path / str(n) / "checkpoint.pt").stat().st_size
        assert real < largest_checkpoint(model) < 10 * real + 2_000_000
    assert largest_checkpoint() > 10**10  # 512 channels, 3 x 4,096 hidden, Adam: some GBs


# -- 10. what a kill leaves is tidied; a checkpoint that is a folder is called one ---------------


def test_temporary_files_a_kill_left_are_removed_when_the_run_goes_on(tmp_path, tiny_dataset):
    run = stopped_run(tmp_path / "run", tiny_dataset)
    strays = [".checkpoint.pt.k1l2.tmp", ".config.toml.x.tmp", ".metrics.jsonl.y.tmp",
              ".confusion.csv.z.tmp", ".notes.toml.q.tmp"]  # fmt: skip
    for name in strays:
        (run / name).write_bytes(b"half written")
    (run / ".mine.tmp").write_text("not lenet-tui's")
    kept = KeptRun.open(run)
    with RunDriver.resume(kept, tiny_dataset) as driver:
        assert not any((run / name).exists() for name in strays)
        driver.request_stop()
    assert (run / ".mine.tmp").read_text() == "not lenet-tui's"


def test_a_checkpoint_that_is_a_folder_is_named_as_one(tmp_path, tiny_dataset):
    run = stopped_run(tmp_path / "run", tiny_dataset)
    (run / "checkpoint.pt").unlink()
    (run / "checkpoint.pt").mkdir()
    with pytest.raises(LenetError, match=r"checkpoint.pt: cannot read the checkpoint \(is a fold"):
        KeptRun.open(run)


# -- 11. --export-csv takes a folder of runs -----------------------------------------------------


def test_export_csv_of_a_folder_of_runs_takes_its_runs_and_grids_and_skips_the_damaged(tmp_path):
    runs = tmp_path / "runs"
    finished_run(runs, "a", [0.5, 0.6])
    finished_run(runs, "b", [0.7])
    grid = Grid.plan("lr=0.1,0.2", (), TrainConfig(epochs=1)).create(runs / "grid")
    for run in grid.runs:
        finished_run(grid.folder, run.folder.name, [0.4], lr=run.config.lr)
    make_run(runs, "damaged", [started(), epoch_end(1, 0.3)]).config_path.write_text("lr = [")
    (tmp_path / "empty").mkdir()
    code, out, err = cli("--export-csv", runs)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted({Path(r["run_dir"]).name for r in rows}) == ["a", "b", "lr=0.1", "lr=0.2"]
    assert len(rows) == 5
    skipped, summary = err.splitlines()
    assert skipped.startswith(f"lenet-tui: skipped {runs / 'damaged'}: ")
    assert summary == "5 rows (4 runs) written to stdout"
    code, out, err = cli("--export-csv", tmp_path / "empty")
    assert (code, out) == (2, "")
    assert "holds no runs (not a run folder, a grid's or a folder of runs)" in one_line(err)
