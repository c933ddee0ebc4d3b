"""`lenet-tui --no-ui --grid`, `--resume GRID_DIR` and `--export-csv` on a tiny dataset: the
table and grid.csv agree with each run's metrics.jsonl, and a grid stopped by Ctrl-C in its
third run ends, once resumed, with the table of a grid that was never stopped."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
from pathlib import Path

import pytest
from idx_fixtures import make_tiny_dataset, write_dataset

from lenet_tui.cli import main
from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data_source import DataSource
from lenet_tui.headless_grid import run_headless_grid
from lenet_tui.runs.grid import Grid

SPEC = "pooling=avg,max activation=sigmoid,relu"
FLAGS = ["--epochs", "2", "--lr", "0.1", "--batch-size", "128", "--device", "cpu", "--seed", "3"]
BASE = TrainConfig(epochs=2, lr=0.1, batch_size=128, device="cpu", seed=3)
RUNS = [
    "pooling=avg,activation=sigmoid",
    "pooling=avg,activation=relu",
    "pooling=max,activation=sigmoid",
    "pooling=max,activation=relu",
]


def cli(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def metrics(run_dir: Path) -> list[dict]:
    """A run's events as plain JSON, read without lenet-tui's reader."""
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def accuracies_of(run_dir: Path) -> list[float]:
    epochs = {e["epoch"]: e["test_acc"] for e in metrics(run_dir) if e["event"] == "epoch_end"}
    return [epochs[n] for n in sorted(epochs)]


def table(stdout: str) -> list[list[str]]:
    """The table's rows as cells: from its header line to the grid.csv line."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("pooling  activation"))
    return [line.split() for line in lines[start:-1]]


def csv_rows(grid_dir: Path) -> list[dict[str, str]]:
    with (grid_dir / "grid.csv").open() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def uninterrupted(tiny_data_dir, tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("grids") / "whole"
    code, out, err = cli("--no-ui", "--grid", SPEC, *FLAGS, "--data-dir", tiny_data_dir,
                         "--run-dir", folder)  # fmt: skip
    assert code == 0, err
    return folder, out


def test_a_grid_of_four_finishes_and_its_table_and_csv_agree_with_each_runs_metrics(
    uninterrupted,
):
    folder, out = uninterrupted
    assert out.startswith(f"grid folder: {folder}\n4 runs: {SPEC}, seed 3\n")
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == sorted(RUNS)
    rows, saved = table(out), csv_rows(folder)
    assert rows[0] == ["pooling", "activation", "best", "test", "acc", "final", "test", "acc",
                       "examples/sec"]  # fmt: skip
    assert [row[:2] for row in rows[1:]] == [name.replace("pooling=", "").replace(
        "activation=", "").split(",") for name in RUNS]  # fmt: skip
    for name, row, line in zip(RUNS, rows[1:], saved, strict=True):
        accs = accuracies_of(folder / name)
        assert len(accs) == 2
        assert row[2:4] == [f"{max(accs):.3f}", f"{accs[-1]:.3f}"]
        best, final = float(line["best_test_acc"]), float(line["final_test_acc"])
        assert (best, final) == (max(accs), accs[-1])
        finished = metrics(folder / name)[-1]
        assert finished["event"] == "run_finished"
        assert float(line["examples_per_sec"]) == pytest.approx(finished["examples_per_sec"])
        assert row[4] == f"{float(line['examples_per_sec']):,.0f}"
        assert (line["seeds"], line["runs"], line["state"], line["run_dirs"]) == (
            "3", "1", "finished", name)  # fmt: skip
    assert out.splitlines()[-1] == f"grid.csv: {folder / 'grid.csv'}"


class SigintOnLine(io.StringIO):
    """stderr that sends this process a SIGINT once a line holds all the given words."""

    def __init__(self, *words: str) -> None:
        super().__init__()
        self.words, self.sent = words, False

    def write(self, text: str) -> int:
        written = super().write(text)
        line = self.getvalue().rstrip("\n").rsplit("\n", 1)[-1]
        if not self.sent and all(word in line for word in self.words):
            self.sent = True
            os.kill(os.getpid(), signal.SIGINT)  # handled before the next line runs
        return written


def test_ctrl_c_in_the_third_run_then_resume_ends_with_the_uninterrupted_table(
    uninterrupted, tiny_data_dir, tmp_path
):
    whole, whole_out = uninterrupted
    folder = tmp_path / "stopped"
    err = SigintOnLine("run 3/4", "epoch 1/2")
    grid = Grid.plan(SPEC, (), BASE, DataSource(tiny_data_dir))
    code = run_headless_grid(grid, stdout=io.StringIO(), stderr=err, run_dir=folder)
    assert code == 130
    last = err.getvalue().splitlines()[-1]
    assert last == (
        "SIGINT: stopped the grid (2 of 4 runs done; the run in flight keeps its last "
        f"checkpoint); resume it with: lenet-tui --no-ui --resume {folder}"
    )
    opened = Grid.open(folder)
    assert [run.action() for run in opened.runs] == ["done", "done", "resume", "start"]
    assert not (folder / "grid.csv").exists()

    code, out, err_text = cli("--no-ui", "--resume", folder)
    assert code == 0, err_text
    assert out.startswith(f"grid folder: {folder} (resumed)\n")
    assert "run 1/4 pooling=avg,activation=sigmoid: done before" in err_text
    assert "run 3/4 pooling=max,activation=sigmoid: started in" in err_text
    assert "resumed after epoch 1" in err_text
    # The same figures, examples/sec aside (a measure of the machine at the time).
    assert [row[:-1] for row in table(out)] == [row[:-1] for row in table(whole_out)]
    for ours, theirs in zip(csv_rows(folder), csv_rows(whole), strict=True):
        ours.pop("examples_per_sec"), theirs.pop("examples_per_sec")
        assert ours == theirs
    for name in RUNS:
        assert accuracies_of(folder / name) == accuracies_of(whole / name)


def test_a_run_that_fails_or_diverges_ends_alone_and_the_grid_goes_on_to_its_table(tmp_path):
    data, folder = tmp_path / "one-example", tmp_path / "grid"
    write_dataset(data, make_tiny_dataset(n_train=1, n_test=20, seed=0))  # batch norm refuses it
    code, out, err = cli("--no-ui", "--grid", "batch_norm=true,false lr=0.1,1e30", "--activation",
                         "relu", "--epochs", "3", "--device", "cpu", "--data-dir", data,
                         "--run-dir", folder)  # fmt: skip
    assert code == 1
    assert [line.split()[-1] for line in out.splitlines()[2:-1]] == [
        "state", "unfinished", "unfinished", "finished", "diverged"]  # fmt: skip
    failed = re.findall(r"run (\d)/4 .*: training failed: batch norm needs at least 2", err)
    assert failed == ["1", "2"]
    assert re.search(r"run 4/4 .*: diverged at epoch \d, step \d+ .* \(not retried; the", err)
    assert err.splitlines()[-1] == (
        "2 of 4 runs did not finish (run 1, 2); the table marks them; train them again with: "
        f"lenet-tui --no-ui --resume {folder}"
    )
    assert (folder / "grid.csv").is_file()


def test_export_csv_writes_each_run_and_epoch_of_a_grid_with_its_metrics(uninterrupted, tmp_path):
    folder, _ = uninterrupted
    target = tmp_path / "runs.csv"
    code, out, err = cli("--export-csv", folder, "-o", target)
    assert (code, out) == (0, "")
    assert err == f"8 rows (4 runs) written to {target}\n"
    rows = list(csv.DictReader(target.open()))
    assert [(Path(r["run_dir"]).name, r["epoch"]) for r in rows] == [
        (name, epoch) for name in RUNS for epoch in ("1", "2")
    ]
    for name in RUNS:
        mine = [float(r["test_acc"]) for r in rows if Path(r["run_dir"]).name == name]
        assert mine == accuracies_of(folder / name)
    code, out, _ = cli("--export-csv", folder / RUNS[3])  # one run folder, to stdout
    assert code == 0
    assert [r["model.pooling"] for r in csv.DictReader(io.StringIO(out))] == ["max", "max"]


def test_export_csv_of_a_folder_that_is_no_run_writes_nothing(tmp_path):
    target = tmp_path / "out.csv"
    code, out, err = cli("--export-csv", tmp_path, "-o", target)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "not a run folder" in err
    assert not target.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grid", "lr=0.1,0.2"], "lenet-tui: --grid trains headless for now; add --no-ui"),
        (["--no-ui", "--seeds", "0,1"], "lenet-tui: --seeds repeats the runs of a grid"),
        (["--no-ui", "--grid", "lr=1", "--seeds", "1", "--seed", "2"], "--seed and --seeds"),
        (["--no-ui", "--grid", "lr=1", "--metrics-out", "m.jsonl"], "--metrics-out: each run"),
        (["--no-ui", "--grid", "lr=1", "--resume", "{grid}"], "--grid starts a new grid"),
        (["--no-ui", "--resume", "{grid}", "--lr", "0.1"], "--resume takes the grid's settings"),
        (["--resume", "{grid}"], "(a grid folder) trains headless for now; add --no-ui"),
        (["--no-ui", "--grid", "pooling=avg,mean"], "--grid: pooling=mean: must be one of"),
        (["--out", "x.csv"], "-o/--out names the file of --export-csv"),
        (["--no-ui", "--grid", "lr=0.1", "--run-dir", "{grid}"], "is not empty; pick a new"),
    ],
)
def test_a_refused_grid_says_why_in_one_line_and_trains_nothing(args, message, tmp_path):
    grid = Grid.plan("lr=0.1", (), BASE).create(tmp_path / "grid")
    before = sorted(p.name for p in grid.folder.iterdir())
    code, out, err = cli(*(a.format(grid=grid.folder) for a in args))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and message in err, err
    assert sorted(p.name for p in grid.folder.iterdir()) == before
