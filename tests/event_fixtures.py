"""Engine events as metrics.jsonl holds them, for tests that write run folders by hand."""

from __future__ import annotations

import json

from lenet_tui.engine.events import (
    EpochEnd,
    Event,
    LayerInfo,
    RunDiverged,
    RunFailed,
    RunFinished,
    RunStarted,
    RunStopped,
    TrainProgress,
    event_to_dict,
)


def started(start_epoch: int = 0) -> RunStarted:
    layers = (LayerInfo("Conv2d", (1, 6, 28, 28), 156),)
    return RunStarted({"epochs": 3}, "cpu", layers, 156, 512, 128, "tiny", start_epoch)


def progress(epoch: float) -> TrainProgress:
    return TrainProgress(epoch, int(epoch * 16), 2.0 - epoch / 2, 0.1 + epoch / 10, 1000.0)


def epoch_end(epoch: int, test_acc: float = 0.5) -> EpochEnd:
    return EpochEnd(epoch, 1.0, 0.6, 1.1, test_acc, 2.0, 1000.0)


ENDINGS: dict[str, Event] = {
    "finished": RunFinished(1.0, 0.6, 1.1, 0.5, 1000.0, "cpu", 6.0),
    "stopped": RunStopped(2, 20),
    "diverged": RunDiverged(1, 3, float("inf")),
    "failed": RunFailed("RuntimeError: out of memory", "Traceback ..."),
}
"""One event of each kind that ends a run, by the state it leaves the run in."""


def as_dicts(events: list[Event]) -> list[dict]:
    """The events as JSON objects, as a reader of metrics.jsonl gets them back."""
    return [json.loads(json.dumps(event_to_dict(event))) for event in events]
