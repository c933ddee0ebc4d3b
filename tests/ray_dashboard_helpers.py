"""A scripted stand-in for RayGrid, so the dashboard's Ray grid can be driven without Ray: its
updates go through the same worker and messages as a real grid's."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from textual.widgets import Input

from lenet_tui.engine.events import EpochEnd, RunFailed, RunFinished, RunStarted, RunStopped
from lenet_tui.engine.events import TrainProgress as Progress
from lenet_tui.runs.grid import Grid, GridRun
from lenet_tui.runs.grid_runner import GridUpdate
from lenet_tui.runs.ray_trial import TrialWorker
from lenet_tui.ui import ray_form
from lenet_tui.ui.modes import ray_grid

GRID = "pooling=avg,max activation=sigmoid,relu"
WORKERS = (TrialWorker(4101, "node-a", 1), TrialWorker(4102, "node-b", 1))


def started(run: GridRun, worker: TrialWorker, attempt: int = 1, at: int = 0) -> GridUpdate:
    event = RunStarted({}, "cpu", (), 61706, 512, 128, "tiny", start_epoch=at)
    return GridUpdate(run, "running", event, attempt, worker)


def progress(run: GridRun, worker: TrialWorker, epoch: float, attempt: int = 1) -> GridUpdate:
    event = Progress(epoch, int(epoch * 16), 2.3 - epoch / 2, 0.1 + epoch / 3, 9000.0, lr=0.9)
    return GridUpdate(run, "running", event, attempt, worker)


def epoch_end(run: GridRun, worker: TrialWorker, epoch: int, acc: float) -> GridUpdate:
    event = EpochEnd(epoch, 1.5, acc - 0.02, 1.4, acc, 2.0, 9000.0)
    return GridUpdate(run, "running", event, 1, worker)


def finished(run: GridRun, worker: TrialWorker, acc: float) -> GridUpdate:
    event = RunFinished(1.4, acc - 0.02, 1.4, acc, 9000.0, "cpu", 4.0)
    return GridUpdate(run, "finished", event, 1, worker)


def mid_grid(grid: Grid) -> list[GridUpdate]:
    """Run 1 finished, run 2's worker died once and it goes on, run 3 failed, run 4 waits."""
    one, two, three, _ = grid.runs
    a, b = WORKERS
    again = TrialWorker(4103, "node-a", 1)
    died = "worker died (WorkerCrashedError: killed); retry 1/2 from the checkpoint of epoch 1"
    failed = RunFailed("ValueError: bad data", traceback="")
    return [
        *(GridUpdate(run, "waiting") for run in grid.runs),
        started(one, a),
        started(two, b),
        progress(one, a, 0.5),
        epoch_end(one, a, 1, 0.61),
        epoch_end(two, b, 1, 0.58),
        GridUpdate(two, "retrying", attempt=1, note=died),
        epoch_end(one, a, 2, 0.70),
        finished(one, a, 0.70),
        started(three, a),
        GridUpdate(three, "failed", failed, 1, a, note="ValueError: bad data"),
        started(two, again, attempt=2, at=1),
        progress(two, again, 1.5, attempt=2),
    ]


class ScriptedRayGrid:
    """Yields `script(grid)`, then, if `hold`, waits for a stop and ends the runs in flight as
    RayGrid does (stopped) and those not started (cancelled)."""

    script: Callable[[Grid], list[GridUpdate]] = staticmethod(mid_grid)
    hold = True
    made: list[ScriptedRayGrid] = []

    def __init__(self, grid: Grid, datasets: dict, options) -> None:
        self.grid, self.options, self.parallel, self.gpus = grid, options, 2, 0.0
        self._stop = threading.Event()
        self.ended = threading.Event()
        """Set once run() has ended (its thread is about to end)."""
        ScriptedRayGrid.made.append(self)

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def request_stop(self) -> None:
        self._stop.set()

    def run(self) -> Iterator[GridUpdate]:
        try:
            states = {}
            for update in self.script(self.grid):
                states[update.run.number] = update
                yield update
            if not self.hold:
                return
            assert self._stop.wait(timeout=120), "the grid was never stopped"
            for last in states.values():
                if last.state == "running":
                    yield GridUpdate(last.run, "stopped", RunStopped(1, 0), last.attempt)
                elif last.state == "waiting":
                    yield GridUpdate(last.run, "cancelled")
        finally:
            self.ended.set()


def use_scripted_ray(monkeypatch: pytest.MonkeyPatch) -> type[ScriptedRayGrid]:
    """The dashboard's Ray grids are ScriptedRayGrids, and Ray counts as installed."""
    monkeypatch.setattr(ray_grid, "RayGrid", ScriptedRayGrid)
    monkeypatch.setattr(ray_form, "ray_installed", lambda: True)
    monkeypatch.setattr(ScriptedRayGrid, "made", [])
    return ScriptedRayGrid


async def fill_in(pilot, **fields: str) -> None:
    """Set form fields (vary="...", ray="local") as if typed, and let the form check them."""
    await pilot.app.workers.wait_for_complete()
    for name, text in fields.items():
        pilot.app.query_one(f"#field-{name}", Input).value = text
    await pilot.pause()
