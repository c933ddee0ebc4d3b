"""The list of kept runs that ctrl+o offers: what each run folder's files say about it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lenet_tui.config import TrainConfig
from lenet_tui.run_history import list_runs, summarise
from lenet_tui.runs import RunFolder, RunFolderError, RunLock, RunRecorder
from lenet_tui.training import Trainer

CONFIG = TrainConfig(epochs=3)


def make_run(base: Path, name: str, events: list[dict], checkpoint: bool = True,
             mtime: float = 1_700_000_000) -> RunFolder:  # fmt: skip
    folder = RunFolder.create(CONFIG, base / name)
    folder.metrics_path.write_text("".join(json.dumps(e) + "\n" for e in events))
    if checkpoint:
        folder.checkpoint_path.write_bytes(b"not read by the list")
    for path in (*folder.path.iterdir(), folder.path):
        os.utime(path, (mtime, mtime))
    return folder


def epoch_end(epoch: int, acc: float) -> dict:
    return {"event": "epoch_end", "epoch": epoch, "test_acc": acc}


STARTED = {"event": "run_started"}


def test_each_state_is_read_from_the_last_event(tmp_path):
    cases = {
        "finished": [STARTED, *(epoch_end(i, 0.5) for i in (1, 2, 3)), {"event": "run_finished"}],
        "stopped": [STARTED, epoch_end(1, 0.4), {"event": "run_stopped"}],
        "diverged": [STARTED, {"event": "run_diverged"}],
        "interrupted": [STARTED, epoch_end(1, 0.4), {"event": "train_progress", "epoch": 1.3}],
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
    folder = RunFolder.create(config, tmp_path / "run")
    first = RunRecorder(folder, Trainer(config, tiny_dataset))
    try:
        with pytest.raises(RunFolderError, match="another lenet-tui is training this run right"):
            RunRecorder(folder, Trainer(config, tiny_dataset))
    finally:
        first.close()
    RunRecorder(folder, Trainer(config, tiny_dataset)).close()  # free again
