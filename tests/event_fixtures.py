"""Engine events as metrics.jsonl holds them, for tests that write run folders by hand."""

from __future__ import annotations

import dataclasses
import json
import math

from lenet_tui.engine.events import (
    ActivationHealth,
    EpochEnd,
    Event,
    LayerHealth,
    LayerInfo,
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


def progress_with_health(epoch: float) -> TrainProgress:
    """A report with layer health as a sigmoid net gives it: NaN where a figure does not apply."""
    return dataclasses.replace(
        progress(epoch),
        lr=0.9,
        layers=(LayerHealth(0, "conv1", 1.5, 2e-4, 1e-4), LayerHealth(11, "fc3", 3.2, 0.2, 0.05)),
        activations=(ActivationHealth(1, "conv1 sigmoid", 0.48, 0.03, 0.0, math.nan),),
        threads=2,
    )


def epoch_end_with_confusion(epoch: int) -> EpochEnd:
    """Three classes, six test images: 4 right, a 1 taken for a 2 and a 2 for a 0."""
    return dataclasses.replace(epoch_end(epoch, 4 / 6), confusion=((2, 0, 0), (0, 1, 1), (1, 0, 1)))


PAUSES: list[Event] = [RunPaused(1, 12), RunResumed(1, 12, 3.5)]
