"""What trains a grid's runs, for every front end: `LocalGridRunner` here, one run after another,
or `RayGrid` (lenet_tui.runs.ray_grid), many at once on Ray. Both are a `GridRunner`: `run()`
trains the grid's unfinished runs through the one RunDriver and yields a `GridUpdate` for every
event and change of state; `request_stop()` (safe in a signal handler) stops the runs in flight
after their batch (each keeps its last checkpoint) and starts no more. Knows nothing about any
user interface.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from lenet_tui.engine.events import Event, RunFailed
from lenet_tui.errors import LenetError
from lenet_tui.runs.event_log import ENDINGS
from lenet_tui.runs.grid import Grid, GridRun

if TYPE_CHECKING:
    from lenet_tui.engine.data import Dataset
    from lenet_tui.runs.driver import RunDriver
    from lenet_tui.runs.ray_trial import TrialWorker

TrialState = Literal[
    "waiting", "running", "retrying", "finished", "diverged", "failed", "stopped", "lost",
    "cancelled",
]  # fmt: skip
"""Where a grid's run is in this training: waiting for its turn (or a worker); running;
retrying (its Ray worker died: it starts again from its last checkpoint); finished, diverged,
failed (its own fault: not retried), stopped (asked to while training: it keeps its last
checkpoint), as its log's RunState says; lost (its worker died more often than retries allow);
cancelled (stopped before it started)."""
ENDED: tuple[TrialState, ...] = ("finished", "diverged", "failed", "stopped", "lost", "cancelled")
UNFINISHED: tuple[TrialState, ...] = ("failed", "lost")
"""Ended without finishing, not by a stop: the grid's end names them."""


@dataclass(frozen=True)
class GridUpdate:
    """What one run of a grid did: an event it logged, or a change of state."""

    run: GridRun
    state: TrialState
    event: Event | None = None
    """The engine's event, once it is in the run's folder; None for a change of state alone."""
    attempt: int = 1
    """1 for the first try, 2 after the first retry (on Ray), ..."""
    worker: TrialWorker | None = None
    """Where it trains on Ray; None here."""
    note: str = ""
    """Why the state changed, in one line (a worker that died, a failure, a damaged folder)."""


def update_of(
    run: GridRun, event: Event, attempt: int = 1, worker: TrialWorker | None = None
) -> GridUpdate:
    """The update for an event the run's driver logged."""
    note = event.error if isinstance(event, RunFailed) else ""
    return GridUpdate(run, ENDINGS.get(type(event), "running"), event, attempt, worker, note)


class GridRunner(Protocol):
    """Trains a grid's unfinished runs, yielding what each does."""

    grid: Grid

    @property
    def parallel(self) -> int:
        """How many runs train at once (known once `run()` has begun)."""

    @property
    def stop_requested(self) -> bool: ...

    def request_stop(self) -> None:
        """Stop the runs in flight after their batch and start no more; safe in a signal
        handler."""

    def run(self) -> Iterator[GridUpdate]: ...


class LocalGridRunner:
    """Trains a grid's unfinished runs one after another in this process."""

    parallel = 1

    def __init__(self, grid: Grid, datasets: dict[str, Dataset]) -> None:
        self.grid = grid
        self.datasets = datasets
        self._stop = threading.Event()
        self._driver: RunDriver | None = None

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def driver(self) -> RunDriver | None:
        """The run in flight's driver, from its folder's opening (a "running" update) to its
        last event: to pause it, or to take its weights while `run()` waits at an event."""
        return self._driver

    def request_stop(self) -> None:
        self._stop.set()
        driver = self._driver
        if driver is not None:
            driver.request_stop()

    def run(self) -> Iterator[GridUpdate]:
        """Each pending run in turn, from its checkpoint if it has one; a run that fails or
        diverges ends alone, and the grid goes on."""
        pending = self.grid.pending()
        for run in pending:
            yield GridUpdate(run, "waiting")
        for run in pending:
            if self._stop.is_set():
                yield GridUpdate(run, "cancelled")
                continue
            try:
                yield from self._train(run, run.driver(self.datasets[run.config.dataset]))
            except LenetError as exc:  # its folder cannot be written or read (disk full, say)
                yield GridUpdate(run, "failed", note=str(exc))

    def _train(self, run: GridRun, driver: RunDriver) -> Iterator[GridUpdate]:
        with driver:
            self._driver = driver
            if self._stop.is_set():  # asked between runs, before this driver could hear it
                driver.request_stop()
            try:
                yield GridUpdate(run, "running")
                for event in driver.run():
                    yield update_of(run, event)
            finally:
                self._driver = None
