"""A Ray grid as the dashboard follows it: one row per run, kept up to date from the grid's
`TrialUpdate`s, and the messages its worker posts.

The worker (lenet_tui.ui.modes.ray_grid) iterates `RayGrid.run()` and posts each update
as `TrialUpdated`; the UI thread folds it into `TrialRows` here, which say what every run's row
shows (state, epoch, test acc, attempt, worker) and the one-line header. No widgets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from textual.message import Message

from lenet_tui.engine.events import EpochEnd, RunStarted, TrainProgress
from lenet_tui.runs.grid import Grid, GridRun
from lenet_tui.runs.ray_grid import ENDED, TrialState, TrialUpdate
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.runs.ray_trial import TrialWorker

STATE_ORDER: tuple[TrialState, ...] = (
    "running", "retrying", "waiting", "finished", "diverged", "failed", "stopped", "lost",
    "cancelled",
)  # fmt: skip
"""The order the header counts the states in."""
DONE: tuple[TrialState, ...] = ("finished", "diverged")
"""A run in these states is done: the Runs tab overlays it, a resume leaves it alone."""
UNFINISHED: tuple[TrialState, ...] = ("failed", "lost")
"""Ended without finishing, not by a stop: the end's notification names them."""


@dataclass
class TrialUpdated(Message):
    """What one run of the Ray grid did (an event it logged, or a change of state)."""

    update: TrialUpdate


@dataclass
class RayGridEnded(Message):
    """The Ray grid's worker has ended: every run ended, or Ray could not be reached (error)."""

    error: str = ""


@dataclass
class TrialRow:
    """What the table shows of one run, and the points of its curves."""

    run: GridRun
    state: TrialState = "waiting"
    epoch: float = 0.0
    """How far it trained, in epochs (fractional while an epoch is under way)."""
    test_acc: float | None = None
    attempt: int = 1
    worker: TrialWorker | None = None
    note: str = ""
    points: list[TrainProgress | EpochEnd] = field(default_factory=list)
    """Its TrainProgress and EpochEnd events, for the plot."""

    def apply(self, update: TrialUpdate) -> bool:
        """Fold in an update; whether it added a point to the curves."""
        self.state, self.attempt = update.state, update.attempt
        self.worker = update.worker or self.worker
        if update.note:
            self.note = update.note
        event = update.event
        if isinstance(event, RunStarted):
            self.epoch = float(event.start_epoch)  # a retry goes on from its checkpoint
            again = f"try {update.attempt}, from the checkpoint of epoch {event.start_epoch}"
            self.note = again if event.start_epoch else ""
            self.points = [p for p in self.points if p.epoch <= event.start_epoch]
        elif isinstance(event, TrainProgress):
            self.epoch = event.epoch
        elif isinstance(event, EpochEnd):
            self.epoch, self.test_acc = float(event.epoch), event.test_acc
        if isinstance(event, (TrainProgress, EpochEnd)):
            self.points.append(event)
            return True
        return False

    @property
    def epochs(self) -> str:
        """`1.4/2` while training, `2/2` at an epoch's end."""
        shown = f"{self.epoch:.0f}" if self.epoch == math.floor(self.epoch) else f"{self.epoch:.1f}"
        return f"{shown}/{self.run.config.epochs}"

    @property
    def where(self) -> str:
        """`pid@node` of the worker it trains (or trained) on; "" before it starts."""
        return f"{self.worker.pid}@{self.worker.node}" if self.worker else ""


class TrialRows:
    """Every run of a Ray grid, by number, as the updates so far say it stands."""

    def __init__(self, grid: Grid, options: RayOptions) -> None:
        self.grid = grid
        self.options = options
        self.rows = {run.number: TrialRow(run) for run in grid.runs}
        for run in grid.runs:
            if run.action() == "done":  # a grid resumed with runs done before
                self.rows[run.number].state = "finished"
        self.parallel = 0
        """How many runs train at once (0 until Ray is joined)."""

    def apply(self, update: TrialUpdate) -> tuple[TrialRow, bool]:
        """Fold in an update: the row it changed, and whether it added a point to the curves."""
        row = self.rows.setdefault(update.run.number, TrialRow(update.run))
        return row, row.apply(update)

    def count(self, *states: TrialState) -> int:
        return sum(row.state in states for row in self.rows.values())

    @property
    def ended(self) -> bool:
        return all(row.state in ENDED for row in self.rows.values())

    def unfinished(self) -> list[TrialRow]:
        """The runs that failed or were lost (not those stopped or cancelled by a stop)."""
        return [row for row in self.rows.values() if row.state in UNFINISHED]

    def header(self) -> str:
        """`1/4 done · 2 running · 1 waiting · 1 finished · Ray: 2 at once on this machine`:
        what changes first, so that a narrow screen cuts only the end."""
        total, done = len(self.rows), self.count(*DONE)
        if not self.parallel and not self.count("running", *ENDED):
            verb = "starting Ray on" if self.options.address == "local" else "joining"
            return f"0/{total} done · {verb} {self.options.where}…"
        counts = [f"{self.count(s)} {s}" for s in STATE_ORDER if self.count(s)]
        at_once = f"{self.parallel} at once on" if self.parallel else "on"
        return " · ".join([f"{done}/{total} done", *counts, f"Ray: {at_once} {self.options.where}"])
