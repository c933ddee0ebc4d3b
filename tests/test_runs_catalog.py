"""The Runs tab's catalog: hostile folders, the cached scan, sorting, filtering, the overlay's
legend, names and notes, and deleting run folders safely."""

from __future__ import annotations

import os

import pytest
from event_fixtures import started
from run_folder_fixtures import curve_epoch, finished_run, make_run, touch

from lenet_tui.engine.config import ModelConfig
from lenet_tui.errors import RunFolderError
from lenet_tui.runs.catalog import (
    COLUMNS,
    RunCatalog,
    delete_run,
    filter_runs,
    model_summary,
    row_text,
    run_labels,
    short_titles,
    sort_runs,
)
from lenet_tui.runs.folder import RunLock
from lenet_tui.runs.history import list_runs
from lenet_tui.runs.notes import NOTES_NAME, RunNote, read_note, write_note

COLUMN = {column.title: i for i, column in enumerate(COLUMNS)}


def test_hostile_folders_are_damaged_rows_or_left_out_never_an_error(tmp_path):
    base = tmp_path / "runs"
    finished_run(base, "good", [0.5, 0.7])
    (base / "empty").mkdir()
    (base / "stray-file.txt").write_text("not a folder")
    make_run(base, "half-written", []).metrics_path.unlink()  # a config.toml only
    foreign = base / "foreign"
    foreign.mkdir()
    (foreign / "config.toml").write_text('[tool.poetry]\nname = "other"\n')
    (base / "metrics-only").mkdir()
    (base / "metrics-only" / "metrics.jsonl").write_text("\x00\xff binary junk\n")
    garbage = finished_run(base, "garbage", [0.4, 0.6])
    lines = garbage.metrics_path.read_text().splitlines(keepends=True)
    garbage.metrics_path.write_text("".join([*lines[:2], "garbage {{{\n", *lines[2:]]))
    twisted = make_run(base, "config-is-a-folder", [started()])
    twisted.config_path.unlink()
    twisted.config_path.mkdir()  # cannot be read as a file
    folders = make_run(base, "both-are-folders", [])
    for path in (folders.config_path, folders.metrics_path):
        path.unlink()
        path.mkdir()
    locked_out = finished_run(base, "mode-000", [0.5])
    locked_out.path.chmod(0)
    try:
        runs = {run.name: run for run in RunCatalog().scan(base)}
    finally:
        locked_out.path.chmod(0o755)
    assert not {"empty", "stray-file.txt", "both-are-folders"} & set(runs)
    states = {name: run.state for name, run in runs.items()}
    assert states["good"] == "finished"
    assert states["half-written"] == "not started"
    assert states["foreign"] == states["metrics-only"] == "damaged"
    assert states["config-is-a-folder"] == "damaged"
    # a damaged line hides nothing after it: the run's whole history is listed
    assert (runs["garbage"].state, runs["garbage"].epochs_done) == ("finished", 2)
    assert row_text(runs["foreign"])[COLUMN["model"]] == "–"
    assert row_text(runs["foreign"])[COLUMN["epochs"]] == "0/?"


def test_runs_in_a_grid_folder_are_listed_with_the_grids_name(tmp_path):
    base = tmp_path / "runs"
    grid = base / "grid-pooling"
    grid.mkdir(parents=True)
    (grid / "grid.toml").write_text('vary = "pooling=avg,max"\n')
    finished_run(grid, "pooling=max", [0.8], pooling="max")
    finished_run(base, "alone", [0.7])
    titles = sorted(run.title for run in RunCatalog().scan(base))
    assert titles == ["alone", "grid-pooling/pooling=max"]
    assert sorted(run.name for run in list_runs(base)) == ["alone", "pooling=max"]  # ctrl+o too


def test_a_scan_reads_again_only_the_folders_that_changed(tmp_path):
    base = tmp_path / "runs"
    finished_run(base, "still", [0.5])
    growing = make_run(base, "growing", [started(), curve_epoch(1, 0.5)])
    catalog = RunCatalog()
    first = {run.name: run for run in catalog.scan(base)}
    with growing.metrics_path.open("a") as f:
        f.write(
            growing.metrics_path.read_text().splitlines()[-1].replace('"epoch": 1', '"epoch": 2')
            + "\n"
        )
    touch(growing.path, 1_700_000_100)
    second = {run.name: run for run in catalog.scan(base)}
    assert second["still"] is first["still"]  # not read again
    assert (first["growing"].epochs_done, second["growing"].epochs_done) == (1, 2)
    lock = RunLock(growing)
    assert lock.acquire()  # a process begins training it: same files, another state
    try:
        assert {run.name: run.state for run in catalog.scan(base)}["growing"] == "running"
    finally:
        lock.release()


def test_sorting_by_a_column_puts_runs_without_a_value_last_either_way(tmp_path):
    runs = [
        summary(tmp_path, "low", [0.5, 0.6], 1),
        summary(tmp_path, "high", [0.9], 2),
        summary(tmp_path, "none", [], 3),
    ]
    final = COLUMN["final"]
    assert names(sort_runs(runs, final)) == ["high", "low", "none"]  # best first
    assert names(sort_runs(runs, final, reverse=True)) == ["low", "high", "none"]
    assert names(sort_runs(runs, COLUMN["run"])) == ["high", "low", "none"]
    assert names(sort_runs(runs, None)) == ["low", "high", "none"]  # newest first
    assert names(sort_runs(runs, None, reverse=True)) == ["none", "high", "low"]


def test_the_filter_keeps_runs_that_hold_every_word_in_any_case(tmp_path):
    relu = finished_run(tmp_path, "a", [0.8], activation="relu", pooling="max")
    finished_run(tmp_path, "b", [0.7], activation="relu")
    finished_run(tmp_path, "c", [0.6])
    write_note(relu.path, RunNote("", "Exercise 3: ReLU and max pooling"))
    runs = RunCatalog().scan(tmp_path)
    assert sorted(names(filter_runs(runs, "RELU"))) == ["a", "b"]
    assert names(filter_runs(runs, "relu max")) == ["a"]
    assert names(filter_runs(runs, "exercise")) == ["a"]  # the note is searched too
    assert sorted(names(filter_runs(runs, "  "))) == ["a", "b", "c"]
    assert filter_runs(runs, "relu avg nothing") == []


def test_the_legend_names_runs_by_what_differs_between_them(tmp_path):
    a = summary(tmp_path, "a", [0.5], pooling="avg", lr=0.9)
    b = summary(tmp_path, "b", [0.5], pooling="max", lr=0.1)
    c = summary(tmp_path, "c", [0.5], pooling="max", lr=0.9)
    assert run_labels([a, b, c]) == [  # the model's settings first
        "pooling=avg, lr=0.9",
        "pooling=max, lr=0.1",
        "pooling=max, lr=0.9",
    ]
    twin = summary(tmp_path, "twin", [0.5], pooling="avg", lr=0.9)
    assert run_labels([a, twin]) == ["a", "twin"]  # nothing differs: their names
    assert run_labels([a, twin, b]) == [
        "pooling=avg, lr=0.9 (a)",
        "pooling=avg, lr=0.9 (twin)",
        "pooling=max, lr=0.1",
    ]
    on_gpu = summary(tmp_path, "gpu", [0.5], pooling="avg", lr=0.9, device="cuda")
    assert run_labels([a, on_gpu]) == ["a", "gpu"]  # the device changes nothing learnt
    write_note(a.folder.path, RunNote("book's net"))
    named = RunCatalog().scan(tmp_path)
    assert "book's net" in run_labels([r for r in named if r.name in ("a", "twin")])


@pytest.mark.parametrize(
    ("titles", "shown"),
    [
        (["20261203-233604/pooling=avg", "20261203-233604/pooling=max"],
         ["…pooling=avg", "…pooling=max"]),  # the grid's name, shared, goes first
        (["20261203-233604/pooling=avg,activation=sigmoid",
          "20261203-233604/pooling=max,activation=sigmoid"],
         ["…pooling=avg…", "…pooling=max…"]),  # then the end they share
        (["20261203-233604/pooling=max,lr=0.1,activation=relu,batch_size=64",
          "20261203-233604/pooling=max,lr=0.01,activation=relu,batch_size=64"],
         ["…lr=0.1…", "…lr=0.01…"]),
        (["grid-20261203-233604/run-001", "20261101-100000"],
         ["grid-2026…04/run-001", "20261101-100000"]),  # nothing shared: the middle goes
        (["a", "b"], ["a", "b"]),
    ],
)  # fmt: skip
def test_long_run_titles_keep_what_tells_them_apart(titles, shown):
    assert short_titles(titles, 20) == shown
    assert all(len(title) <= 20 for title in short_titles(titles, 20))


def test_a_legend_naming_grid_runs_by_title_keeps_their_difference(tmp_path):
    """Two runs of one grid with the same settings: named by their titles, cut at the front."""
    grid = tmp_path / "20261203-233604"
    (grid / "grid.toml").parent.mkdir()
    (grid / "grid.toml").write_text("")
    finished_run(grid, "pooling=max,seed=0", [0.5])
    finished_run(grid, "pooling=max,seed=1", [0.5])
    runs = RunCatalog().scan(tmp_path)
    assert sorted(run_labels(runs)) == ["…seed=0", "…seed=1"]


def test_the_model_summary_says_what_is_not_the_books():
    assert model_summary(ModelConfig()) == "sigmoid·avg 6-16 k5"
    modern = ModelConfig("relu", "max", True, (32, 64), 3, (256,), "kaiming")
    assert model_summary(modern) == "relu·max 32-64 k3 bn h256 kaiming"


def test_a_name_and_note_round_trip_and_a_damaged_notes_file_reads_as_none(tmp_path):
    run = finished_run(tmp_path, "a", [0.5])
    before = RunCatalog().scan(tmp_path)[0].modified
    kept = write_note(run.path, RunNote("  max\npooling ", ' says "hi"\n and more\n'))
    assert kept == RunNote("max pooling", 'says "hi"\n and more')
    assert read_note(run.path) == kept
    named = RunCatalog().scan(tmp_path)[0]
    assert named.title == "max pooling"
    assert named.modified == before  # naming a run does not make it the newest
    write_note(run.path, RunNote("", ""))
    assert not (run.path / NOTES_NAME).exists()
    (run.path / NOTES_NAME).write_text("name = [")
    assert read_note(run.path) == RunNote()
    (run.path / NOTES_NAME).write_text("name = 3\nnote = 'kept'\n")
    assert read_note(run.path) == RunNote("", "kept")


def test_only_a_run_folder_nobody_is_training_is_deleted(tmp_path):
    run = finished_run(tmp_path, "run", [0.5])
    lock = RunLock(run)
    assert lock.acquire()
    with pytest.raises(RunFolderError, match="is training this run; stop it first"):
        delete_run(run.path)
    lock.release()
    assert run.path.exists()
    delete_run(run.path)
    assert not run.path.exists()
    metrics_only = tmp_path / "metrics-only"
    metrics_only.mkdir()
    (metrics_only / "metrics.jsonl").write_text("junk\n")
    delete_run(metrics_only)  # half-written runs go too
    assert not metrics_only.exists()


@pytest.mark.parametrize("kind", ["empty", "holds a folder", "grid", "link", "absent"])
def test_a_folder_that_is_not_a_run_folder_is_never_deleted(tmp_path, kind):
    target = tmp_path / "target"
    if kind == "link":
        real = finished_run(tmp_path, "real", [0.5])
        target.symlink_to(real.path)
    elif kind != "absent":
        target.mkdir()
    if kind == "holds a folder":
        (target / "config.toml").write_text("")
        (target / "precious").mkdir()
    if kind == "grid":
        (target / "grid.toml").write_text("")
        finished_run(target, "inner", [0.5])
    with pytest.raises(RunFolderError, match="not a run folder"):
        delete_run(target)
    assert os.path.lexists(target) == (kind != "absent")
    if kind == "link":
        assert (tmp_path / "real" / "config.toml").exists()


def summary(tmp_path, name, accs, age=0, **settings):
    """A finished run's summary; a larger age is older."""
    finished_run(tmp_path, name, accs, mtime=1_700_000_000 - age, **settings)
    return next(run for run in RunCatalog().scan(tmp_path) if run.name == name)


def names(runs) -> list[str]:
    return [run.name for run in runs]
