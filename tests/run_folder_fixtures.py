"""Run folders written by hand, for tests of the Runs tab, its catalog and the CSV export."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from event_fixtures import ENDINGS, epoch_end, started

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.events import EpochEnd, Event, TrainProgress, event_to_dict
from lenet_tui.runs.folder import RunFolder

MTIME = 1_700_000_000
"""A fixed modification time, so that order and pictures do not depend on the clock."""


def make_run(
    base: Path,
    name: str,
    events: list[Event],
    config: TrainConfig | None = None,
    mtime: float = MTIME,
) -> RunFolder:
    """A run folder with config (3 epochs by default) and events in its metrics.jsonl."""
    folder = RunFolder.create(config or TrainConfig(epochs=3), base / name)
    lines = (json.dumps(event_to_dict(e)) + "\n" for e in events)
    folder.metrics_path.write_text("".join(lines))
    touch(folder.path, mtime)
    return folder


def touch(path: Path, mtime: float) -> None:
    """Set the modification time of a folder and everything directly in it."""
    for item in (*path.iterdir(), path):
        os.utime(item, (mtime, mtime))


def finished_run(
    base: Path, name: str, accs: list[float], mtime: float = MTIME, **settings: object
) -> RunFolder:
    """A run that finished len(accs) epochs with these test accuracies; model settings
    (activation, pooling, ...) and run settings (lr, ...) may be given by name."""
    epochs = [curve_epoch(i, acc) for i, acc in enumerate(accs, start=1)]
    config = settings_of(len(accs), settings)
    return make_run(base, name, [started(), *epochs, ENDINGS["finished"]], config, mtime)


def settings_of(epochs: int, settings: dict[str, object]) -> TrainConfig:
    """The settings of a run of `epochs` epochs, model and run settings given by name."""
    model_keys = set(ModelConfig.__dataclass_fields__)
    model = ModelConfig(**{k: v for k, v in settings.items() if k in model_keys})
    run = {k: v for k, v in settings.items() if k not in model_keys}
    return TrainConfig(epochs=epochs, model=model, **run)  # type: ignore[arg-type]


def reported_run(base: Path, name: str, accs: list[float], speed: float, mtime: float = MTIME,
                 **settings: object) -> RunFolder:  # fmt: skip
    """A run that finished len(accs) epochs with these test accuracies and ten progress reports
    an epoch, its loss falling (and train acc rising) the faster the higher `speed`."""
    events: list[Event] = [started()]
    for epoch, acc in enumerate(accs, start=1):
        for tenth in range(1, 11):
            at = round(epoch - 1 + tenth / 10, 1)
            left = math.exp(-speed * at)
            events.append(TrainProgress(at, int(at * 16), 0.4 + 1.9 * left, 0.88 - 0.78 * left,
                                        1000.0))  # fmt: skip
        done = events[-1]
        assert isinstance(done, TrainProgress)
        events.append(EpochEnd(epoch, done.train_loss, done.train_acc, 0.5, acc, 2.0, 1000.0))
    events.append(ENDINGS["finished"])
    return make_run(base, name, events, settings_of(len(accs), settings), mtime)


def grid_folder(base: Path, name: str) -> Path:
    """A grid's folder, as the Runs tab finds one: its runs go inside."""
    folder = base / name
    folder.mkdir(parents=True)
    (folder / "grid.toml").write_text("")
    return folder


def curve_epoch(epoch: int, test_acc: float) -> EpochEnd:
    """An epoch whose train figures follow its test accuracy, so each curve has its own shape."""
    return EpochEnd(
        epoch, 2.0 - test_acc * 2, test_acc - 0.02, 1.9 - test_acc, test_acc, 2.0, 1000.0
    )


__all__ = [
    "curve_epoch",
    "epoch_end",
    "finished_run",
    "grid_folder",
    "make_run",
    "reported_run",
    "touch",
]
