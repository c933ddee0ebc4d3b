"""The engine on a tiny generated dataset: event order, learning, stopping, reproducibility."""

import dataclasses
import math

import pytest

from lenet_tui.engine import training
from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.events import (
    EpochEnd,
    RunDiverged,
    RunFailed,
    RunFinished,
    RunPaused,
    RunResumed,
    RunStarted,
    RunStopped,
    TrainProgress,
    event_to_dict,
)
from lenet_tui.engine.training import Trainer, is_divergent
from lenet_tui.errors import ConfigError, DataError

# Learns the tiny dataset in a few epochs; d2l's sigmoid net needs far more steps to leave chance.
QUICK = TrainConfig(
    lr=0.05,
    epochs=3,
    batch_size=32,
    device="cpu",
    seed=7,
    model=ModelConfig(activation="relu", pooling="max"),
)


def run_events(config, data):
    return list(Trainer(config, data).run())


def without_timings(events):
    """The events as metrics.jsonl writes them (NaN as None, so that equal means equal), their
    timings left out."""
    timing = {"examples_per_sec", "seconds", "paused_seconds"}
    return [{k: v for k, v in event_to_dict(e).items() if k not in timing} for e in events]


def test_events_come_in_order_with_at_least_five_reports_per_epoch(tiny_dataset):
    events = run_events(QUICK, tiny_dataset)
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert events[0].train_examples == 512 and events[0].test_examples == 128
    assert events[0].config["seed"] == 7 and events[0].parameters == 61_706
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in ends] == [1, 2, 3]
    for epoch in (1, 2, 3):  # every report of epoch k lies in (k-1, k], and k itself is reported
        reports = [
            e.epoch for e in events if isinstance(e, TrainProgress) and epoch - 1 < e.epoch <= epoch
        ]
        assert len(reports) >= 5 and reports == sorted(reports) and reports[-1] == epoch
    kinds = [type(e) for e in events[1:-1]]
    assert all(k is TrainProgress for k in kinds[: kinds.index(EpochEnd)])


def test_loss_goes_down_and_the_net_learns(tiny_dataset):
    events = run_events(QUICK, tiny_dataset)
    first = next(e for e in events if isinstance(e, TrainProgress))
    final = events[-1]
    assert final.train_loss < 0.5 * first.train_loss
    assert final.test_acc > 0.8  # ten equally likely classes: chance is 0.1
    assert final.device == "cpu" and final.examples_per_sec > 0


def test_same_seed_gives_identical_metrics_and_another_seed_does_not(tiny_dataset):
    config = dataclasses.replace(QUICK, epochs=1)
    first = without_timings(run_events(config, tiny_dataset))
    assert first == without_timings(run_events(config, tiny_dataset))
    other = without_timings(run_events(dataclasses.replace(config, seed=8), tiny_dataset))
    assert other[-1] != first[-1]


def test_stop_ends_the_run_after_the_current_batch(tiny_dataset):
    trainer = Trainer(dataclasses.replace(QUICK, epochs=50), tiny_dataset)
    events = []
    for event in trainer.run():
        events.append(event)
        if isinstance(event, TrainProgress) and event.step >= 20:
            trainer.request_stop()
    stopped = events[-1]
    assert isinstance(stopped, RunStopped)
    last_report = events[-2]
    assert stopped.step == last_report.step + 1  # exactly one more batch ran
    assert stopped.epoch == 2


@pytest.mark.parametrize("where", ["build_lenet", "_train_step"])
def test_a_crash_on_the_device_becomes_a_run_failed_event(where, tiny_dataset, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("CUDA error: out of memory")

    monkeypatch.setattr(training, where, explode)
    events = list(Trainer(QUICK, tiny_dataset).run())
    assert isinstance(events[-1], RunFailed)
    assert events[-1].error == "RuntimeError: CUDA error: out of memory"
    assert "explode" in events[-1].traceback


def test_batch_norm_trains_when_the_last_batch_would_hold_one_example(tiny_dataset):
    config = dataclasses.replace(
        QUICK, epochs=1, batch_size=511, model=ModelConfig(batch_norm=True)
    )  # 512 examples: batches of 511 and 1, and batch norm cannot normalise a batch of one
    events = run_events(config, tiny_dataset)
    assert isinstance(events[-1], RunFinished), events[-1]
    assert events[0].train_examples == 512


def test_without_a_seed_one_is_chosen_and_reported(tiny_dataset):
    trainer = Trainer(dataclasses.replace(QUICK, seed=None), tiny_dataset)
    assert isinstance(trainer.config.seed, int)
    started = next(trainer.run())
    assert started.config["seed"] == trainer.config.seed


def test_an_absent_device_is_refused_before_training(tiny_dataset):
    with pytest.raises(
        ConfigError, match=r"cuda:99 is not available on this machine; available: .*cpu"
    ):
        Trainer(dataclasses.replace(QUICK, device="cuda:99"), tiny_dataset)


class Clock:
    """The engine's clock in a test: each reading advances a millisecond; the caller adds the
    time it takes."""

    now = 0.0

    def perf_counter(self) -> float:
        self.now += 0.001
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(training, "time", fake)
    return fake


def test_time_the_caller_spends_between_events_is_not_counted_as_training(tiny_dataset, clock):
    events = []  # the caller below takes 1,000 s per event
    for event in Trainer(QUICK, tiny_dataset).run():
        events.append(event)
        clock.now += 1000.0
    event = events[-1]
    assert isinstance(event, RunFinished)
    assert event.examples_per_sec > 1000  # counting the caller's time would give about 0.05
    assert event.seconds > 1000  # while the run's own wall time does include it


def test_time_paused_is_not_counted_as_training(tiny_dataset, clock):
    trainer = Trainer(dataclasses.replace(QUICK, epochs=1), tiny_dataset)
    events = []
    for event in trainer.run():
        events.append(event)
        if isinstance(event, TrainProgress) and len(events) == 3:
            trainer.pause()
        elif isinstance(event, RunPaused):
            trainer.unpause()
        clock.now += 1000.0
    resumed = next(e for e in events if isinstance(e, RunResumed))
    assert resumed.paused_seconds >= 1000  # the caller's time after RunPaused
    after = [e for e in events if isinstance(e, TrainProgress | EpochEnd)]
    assert all(e.examples_per_sec > 1000 for e in after)  # counting the pause gives under 0.5


def test_batch_norm_refuses_a_training_set_of_one(tiny_dataset):
    one = dataclasses.replace(
        tiny_dataset,
        train_images=tiny_dataset.train_images[:1],
        train_labels=tiny_dataset.train_labels[:1],
    )
    with pytest.raises(DataError, match="batch norm needs at least 2 training examples"):
        Trainer(dataclasses.replace(QUICK, model=ModelConfig(batch_norm=True)), one)


@pytest.mark.parametrize("lr", [1e4, 1e30, 50.0])
def test_a_learning_rate_far_too_high_ends_in_run_diverged_within_the_first_epoch(lr, tiny_dataset):
    config = dataclasses.replace(QUICK, lr=lr, model=ModelConfig())  # d2l's sigmoid LeNet
    events = run_events(config, tiny_dataset)
    diverged, last_report = events[-1], events[-2]
    assert isinstance(diverged, RunDiverged) and isinstance(last_report, TrainProgress)
    assert diverged.epoch == 1 and diverged.step == last_report.step
    assert diverged.train_loss == last_report.train_loss > 20 * math.log(10)
    assert diverged.message == (
        f"diverged at epoch 1, step {diverged.step} — learning rate too high?"
    )
    assert not any(isinstance(e, EpochEnd) for e in events)


@pytest.mark.parametrize(
    ("lr", "model"),
    [
        (0.9, ModelConfig()),
        (0.9, ModelConfig(activation="relu", pooling="max")),
        (0.9, ModelConfig(activation="relu", batch_norm=True)),
        (0.1, ModelConfig(activation="relu")),
        (0.1, ModelConfig(batch_norm=True)),
    ],
)
def test_healthy_settings_never_count_as_diverged(lr, model, tiny_dataset):
    config = dataclasses.replace(QUICK, lr=lr, epochs=2, model=model, reports_per_epoch=1000)
    assert isinstance(run_events(config, tiny_dataset)[-1], RunFinished)  # a report every step


def test_divergence_is_judged_against_the_first_steps_loss():
    assert is_divergent(math.nan, None) and is_divergent(math.inf, 2.3)
    assert not is_divergent(1e6, None)  # before the first step there is nothing to judge by
    assert not is_divergent(14.4, 2.36)  # ReLU at lr 0.9 on Fashion-MNIST peaked at this
    assert is_divergent(162.0, 2.62)  # sigmoid at lr 50: chance accuracy, loss 162 and up
    assert is_divergent(60.0, 2.0) and not is_divergent(45.0, 2.0)  # at least 20 x ln 10


def test_settings_for_one_dataset_are_refused_on_the_other(tiny_dataset):
    with pytest.raises(DataError, match="the settings ask for mnist but the data loaded is"):
        Trainer(dataclasses.replace(QUICK, dataset="mnist"), tiny_dataset)
