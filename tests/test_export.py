"""Exporting runs' per-epoch metrics as CSV: one row per run and epoch, settings as columns."""

from __future__ import annotations

import csv
import io

import pytest
from event_fixtures import started
from run_folder_fixtures import finished_run, make_run

from lenet_tui.errors import RunFolderError
from lenet_tui.runs.export import write_runs_csv
from lenet_tui.runs.notes import RunNote, write_note


def read_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_each_run_and_epoch_is_a_row_with_the_runs_settings_and_name(tmp_path):
    avg = finished_run(tmp_path, "avg", [0.5, 0.6, 0.7], pooling="avg", lr=0.9)
    best = finished_run(tmp_path, "max", [0.55, 0.75], pooling="max", lr=0.1)
    write_note(best.path, RunNote("max pooling", "the book's exercise 2"))
    out = io.StringIO()
    assert write_runs_csv([avg.path, best.path], out) == 5
    rows = read_rows(out.getvalue())
    assert [(r["run_dir"], r["epoch"], r["test_acc"]) for r in rows] == [
        (str(avg.path), "1", "0.5"),
        (str(avg.path), "2", "0.6"),
        (str(avg.path), "3", "0.7"),
        (str(best.path), "1", "0.55"),
        (str(best.path), "2", "0.75"),
    ]
    last = rows[-1]
    assert (last["name"], last["note"]) == ("max pooling", "the book's exercise 2")
    assert (last["model.pooling"], last["lr"], last["epochs"]) == ("max", "0.1", "2")
    assert (last["model.channels"], last["seed"]) == ("6 16", "0")
    assert rows[0]["name"] == ""
    assert float(last["train_loss"]) == pytest.approx(0.5)
    assert (last["seconds"], last["examples_per_sec"]) == ("2.0", "1000.0")


def test_a_resumed_epoch_counts_once_and_a_torn_or_garbage_tail_is_ignored(tmp_path):
    run = finished_run(tmp_path, "a", [0.5, 0.6])
    text = run.metrics_path.read_text()
    lines = text.splitlines(keepends=True)
    run.metrics_path.write_text(text + lines[2] + "not json at all\n" + lines[1])
    out = io.StringIO()
    assert write_runs_csv([run.path], out) == 2
    assert [r["epoch"] for r in read_rows(out.getvalue())] == ["1", "2"]


def test_a_run_with_no_finished_epoch_gives_no_rows_but_a_header(tmp_path):
    run = make_run(tmp_path, "new", [started()])
    out = io.StringIO()
    assert write_runs_csv([run.path], out) == 0
    assert out.getvalue().startswith("run_dir,name,note,lr,optimizer,")


def test_a_folder_that_is_not_a_run_is_refused_in_one_line_and_nothing_is_written(tmp_path):
    run = finished_run(tmp_path, "a", [0.5])
    (tmp_path / "stray").mkdir()
    out = io.StringIO()
    with pytest.raises(RunFolderError, match=r"stray: not a run folder \(no config.toml\)"):
        write_runs_csv([run.path, tmp_path / "stray"], out)
    with pytest.raises(RunFolderError, match="absent: no such run folder"):
        write_runs_csv([tmp_path / "absent"], out)
    run.config_path.write_text("epochs = [")
    with pytest.raises(RunFolderError, match=r"damaged: .*config.toml: not valid TOML"):
        write_runs_csv([run.path], out)
    assert out.getvalue() == ""
