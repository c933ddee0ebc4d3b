"""A kept run's training curve as the Runs tab overlays it: its train loss and train accuracy at
every progress report (ten an epoch by default), so that even a run of one epoch is a curve.

The Runs list reads only the epoch ends of every run (history.summarise); the progress reports,
most of a metrics file, are read here, for the few runs overlaid, and kept until the file
changes. Knows nothing about any user interface.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lenet_tui.engine.events import TrainProgress
from lenet_tui.errors import LenetError
from lenet_tui.runs.event_log import read_events


@dataclass(frozen=True)
class TrainPoint:
    """The running means of one progress report."""

    epoch: float
    """Fractional: 0.1 is a tenth into the first epoch."""
    train_loss: float
    train_acc: float


def train_points(path: Path) -> tuple[TrainPoint, ...]:
    """The progress reports of a metrics file, in epoch order; none if it cannot be read.

    Where the file goes back in time (a killed run's reports after its checkpoint, trained again
    on resume), the later reports replace the earlier ones. Non-finite figures (a diverged run's
    loss, a damaged line) are left out.
    """
    events: list = []
    with contextlib.suppress(LenetError, OSError, ValueError):  # unreadable: no curve
        events = read_events(path)
    points: list[TrainPoint] = []
    for event in events:
        if not isinstance(event, TrainProgress):
            continue
        point = TrainPoint(event.epoch, event.train_loss, event.train_acc)
        if not all(map(math.isfinite, (point.epoch, point.train_loss, point.train_acc))):
            continue
        while points and points[-1].epoch >= point.epoch:
            points.pop()
        points.append(point)
    return tuple(points)


class CurveCache:
    """Runs' train points, read again only when their metrics file changed (its size or time).

    Used from one worker at a time.
    """

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple, tuple[TrainPoint, ...]]] = {}

    def read(self, metrics_paths: Iterable[Path]) -> dict[Path, tuple[TrainPoint, ...]]:
        """Each file's train points (keyed by the path given); others are forgotten."""
        fresh = {}
        for path in metrics_paths:
            stamp = _stamp(path)
            cached = self._cache.get(path)
            if cached is None or cached[0] != stamp or not stamp:
                cached = (stamp, train_points(path))
            fresh[path] = cached
        self._cache = fresh
        return {path: points for path, (_, points) in fresh.items()}


def _stamp(path: Path) -> tuple:
    try:
        stat = os.stat(path)
    except OSError:
        return ()
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)
