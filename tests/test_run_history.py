"""The list of kept runs that ctrl+o offers: what each run folder's files say about it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from event_fixtures import ENDINGS, epoch_end, progress, started

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import Event, event_to_dict
from lenet_tui.engine.training import Trainer
from lenet_tui.errors import RunFolderError
from lenet_tui.runs.driver import RunDriver
from lenet_tui.runs.folder import RunFolder, RunLock, is_being_trained
from lenet_tui.runs.history import list_runs, summarise

CONFIG = TrainConfig(epochs=3)


def make_run(base: Path, name: str, events: list[Event], checkpoint: bool = True,
             mtime: float = 1_700_000_000) -> RunFolder:  # fmt: skip
    folder = RunFolder.create(CONFIG, base / name)
    lines = (json.dumps(event_to_dict(e)) + "\n" for e in events)
    folder.metrics_path.write_text("".join(lines))
    if checkpoint:
        folder.checkpoint_path.write_bytes(b"not read by the list")
    for path in (*folder.path.iterdir(), folder.path):
        os.utime(path, (mtime, mtime))
    return folder


STARTED = started()


def test_each_state_is_read_from_the_last_event(tmp_path):
    cases = {
        "finished": [STARTED, *(epoch_end(i, 0.5) for i in (1, 2, 3)), ENDINGS["finished"]],
        "stopped": [STARTED, epoch_end(1, 0.4), ENDINGS["stopped"]],
        "diverged": [STARTED, ENDINGS["diverged"]],
        "failed": [STARTED, ENDINGS["failed"]],
        "interrupted": [STARTED, epoch_end(1, 0.4), progress(1.3)],
        "not started": [],
    }
    for state, events in cases.items():
        run = summarise(make_run(tmp_path, state.replace(" ", "-"), events))
        assert run.state == state, state
    stopped = summarise(RunFolder(tmp_path / "stopped"))
    assert (stopped.epochs_done, stopped.test_acc, stopped.resumable) == (1, 0.4, True)
    assert not summarise(RunFolder(tmp_path / "finished")).resumable
    assert not summarise(RunFolder(tmp_path / "diverged")).resumable  # it would diverge again


def test_a_run_another_process_is_training_is_listed_as_running(tmp_path):
    folder = make_run(tmp_path, "live", [STARTED, epoch_end(1, 0.4)])
    lock = RunLock(folder)
    assert lock.acquire()
    try:
        run = summarise(folder)
        assert (run.state, run.resumable) == ("running", False)
        assert not RunLock(folder).acquire()  # a second trainer is turned away
    finally:
        lock.release()
    assert summarise(folder).state == "interrupted"


def test_a_run_without_checkpoint_or_with_a_damaged_config_is_not_resumable(tmp_path):
    no_checkpoint = make_run(tmp_path, "a", [STARTED], checkpoint=False)
    assert not summarise(no_checkpoint).resumable
    damaged = make_run(tmp_path, "b", [STARTED, epoch_end(1, 0.3)])
    damaged.config_path.write_text("epochs = [")
    run = summarise(damaged)
    assert (run.state, run.config, run.resumable) == ("damaged", None, False)


def test_a_torn_last_line_counts_as_an_interrupted_run(tmp_path):
    folder = make_run(tmp_path, "a", [STARTED, epoch_end(1, 0.3), epoch_end(2, 0.6)])
    with folder.metrics_path.open("a") as f:
        f.write('{"event": "train_prog')  # killed mid-write
    run = summarise(folder)
    assert (run.state, run.epochs_done, run.resumable) == ("interrupted", 2, True)


def test_runs_are_listed_newest_first_with_folders_elsewhere_and_strays_left_out(tmp_path):
    base = tmp_path / "runs"
    make_run(base, "old", [STARTED], mtime=1_700_000_000)
    make_run(base, "new", [STARTED], mtime=1_700_000_500)
    (base / "not-a-run").mkdir()
    elsewhere = make_run(tmp_path / "mine", "chosen", [STARTED], mtime=1_700_000_100)
    names = [run.name for run in list_runs(base, also=[elsewhere.path])]
    assert names == ["new", "chosen", "old"]
    assert [run.name for run in list_runs(base, limit=1)] == ["new"]
    assert list_runs(tmp_path / "absent") == []


def test_a_second_trainer_of_a_run_is_turned_away_until_the_first_ends(tmp_path, tiny_dataset):
    config = TrainConfig(epochs=1, batch_size=32, device="cpu", seed=0)
    with RunDriver.new(config, tiny_dataset, tmp_path / "run") as first:
        folder = first.folder
        second = RunDriver(Trainer(config, tiny_dataset), folder=folder)  # as a resume would
        with pytest.raises(RunFolderError, match="another lenet-tui is training this run right"):
            second.open()
        assert is_being_trained(folder)
    assert not is_being_trained(folder)
    with RunDriver(Trainer(config, tiny_dataset), folder=folder):  # free again
        assert is_being_trained(folder)
