"""Pausing a run: after the batch in flight, no step while paused, the same metrics after."""

import dataclasses
import threading

import pytest
from event_fixtures import as_dicts
from test_training import without_timings

from lenet_tui.engine import training
from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.events import (
    EpochEnd,
    RunFinished,
    RunPaused,
    RunResumed,
    RunStopped,
    TrainProgress,
)
from lenet_tui.engine.run_control import RunControl
from lenet_tui.engine.training import Trainer
from lenet_tui.runs.driver import RunDriver
from lenet_tui.runs.event_log import read_events

CONFIG = TrainConfig(
    lr=0.05, epochs=2, batch_size=32, device="cpu", seed=5,
    model=ModelConfig(activation="relu", pooling="max"),
)  # fmt: skip
GUARD = 60.0
"""Seconds a test waits for the training thread before it fails (never reached when it works)."""


@pytest.fixture
def steps(monkeypatch):
    """The number of SGD steps taken so far, counted where they are taken."""
    taken, step = [], training._train_step

    def counted(*args):
        taken.append(1)
        step(*args)

    monkeypatch.setattr(training, "_train_step", counted)
    return taken


@pytest.fixture
def waiting(monkeypatch):
    """Set once the training thread blocks in a pause."""
    blocked = threading.Event()

    class Watched(RunControl):
        def wait_while_paused(self) -> None:
            blocked.set()
            super().wait_while_paused()

    monkeypatch.setattr(training, "RunControl", Watched)
    return blocked


def next_in_thread(events):
    """Ask for the next event in another thread; (thread, list that receives it)."""
    got: list = []
    thread = threading.Thread(target=lambda: got.append(next(events)), daemon=True)
    thread.start()
    return thread, got


def run_until_step(events, step):
    for event in events:
        if isinstance(event, TrainProgress) and event.step >= step:
            return event
    raise AssertionError("the run ended before the step")


def test_a_paused_run_takes_no_step_until_it_is_unpaused(tiny_dataset, steps, waiting):
    trainer = Trainer(CONFIG, tiny_dataset)
    events = trainer.run()
    report = run_until_step(events, 4)
    trainer.pause()
    assert trainer.paused
    assert next(events) == RunPaused(epoch=1, step=report.step)  # after the batch in flight
    thread, got = next_in_thread(events)
    assert waiting.wait(GUARD)  # the training thread is blocked in the pause
    assert len(steps) == report.step and got == []  # no step while paused
    trainer.unpause()
    thread.join(GUARD)
    (resumed,) = got
    assert isinstance(resumed, RunResumed) and resumed.step == report.step
    assert resumed.paused_seconds >= 0
    following = next(events)
    assert isinstance(following, TrainProgress) and following.step > report.step
    assert not trainer.paused


def test_a_stop_while_paused_ends_the_run_without_another_step(tiny_dataset, steps, waiting):
    trainer = Trainer(CONFIG, tiny_dataset)
    events = trainer.run()
    report = run_until_step(events, 4)
    trainer.pause()
    assert isinstance(next(events), RunPaused)
    thread, got = next_in_thread(events)
    assert waiting.wait(GUARD)
    trainer.request_stop()
    thread.join(GUARD)
    assert got == [RunStopped(epoch=1, step=report.step)]
    assert len(steps) == report.step and not trainer.paused
    assert list(events) == []


def test_a_paused_and_resumed_run_ends_with_the_metrics_of_one_never_paused(tiny_dataset):
    whole = list(Trainer(CONFIG, tiny_dataset).run())
    trainer = Trainer(CONFIG, tiny_dataset)
    paused = []
    for event in trainer.run():
        paused.append(event)
        if isinstance(event, TrainProgress) and event.step in (3, 20):  # epochs 1 and 2
            trainer.pause()
        elif isinstance(event, EpochEnd) and event.epoch == 1:
            trainer.pause()  # at the epoch's end: before the next epoch's first batch
        elif isinstance(event, RunPaused):
            trainer.unpause()
    pauses = [e for e in paused if isinstance(e, RunPaused | RunResumed)]
    assert [type(e) for e in pauses] == [RunPaused, RunResumed] * 3
    assert [e.step for e in pauses[::2]] == [3, 16, 20]  # 16 steps an epoch
    rest = [e for e in paused if not isinstance(e, RunPaused | RunResumed)]
    assert without_timings(rest) == without_timings(whole)
    assert isinstance(rest[-1], RunFinished)


def test_the_driver_pauses_its_run_and_logs_the_pause(tiny_dataset, tmp_path):
    config = dataclasses.replace(CONFIG, epochs=1)
    with RunDriver.new(config, tiny_dataset, tmp_path / "run") as driver:
        for event in driver.run():
            if isinstance(event, TrainProgress) and event.step == 4:
                driver.pause()
                assert driver.paused
            elif isinstance(event, RunPaused):
                driver.unpause()
                assert not driver.paused
    logged = read_events(driver.folder.metrics_path)
    kinds = [type(e) for e in logged]
    at = kinds.index(RunPaused)
    assert kinds[at - 1 : at + 3] == [TrainProgress, RunPaused, RunResumed, TrainProgress]
    assert as_dicts(logged[at : at + 1]) == as_dicts([RunPaused(1, 4)])
    assert kinds[-1] is RunFinished
