"""A grid started from the dashboard's form: its runs train in turn, the Runs tab overlays them."""

from __future__ import annotations

import threading

from dashboard_helpers import SIZE, make_app, notes, running, view, wait_until
from test_form_grid import type_into

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import Event, TrainProgress
from lenet_tui.errors import RunFolderError
from lenet_tui.runs.driver import RunDriver
from lenet_tui.runs.event_log import EventLog
from lenet_tui.runs.folder import RunFolder, RunLock
from lenet_tui.ui.modes.local_grid import GridProgress, GridRequest
from lenet_tui.ui.screens.resume import ResumeScreen
from lenet_tui.ui.widgets.config_form import ConfigForm
from lenet_tui.ui.widgets.runs_view import RunsView

QUICK = TrainConfig(epochs=1, batch_size=128, device="cpu")
"""512 tiny training images: 4 steps a run."""


async def train_grid(pilot) -> GridProgress:
    """Start the grid lr=0.1,0.9 from the form and wait until it is over."""
    await type_into(pilot, "vary", "lr=0.1,0.9")
    await pilot.press("ctrl+r")
    grid = pilot.app.dashboard.grid
    await wait_until(pilot, lambda: not running(pilot.app) and grid.state != "running")
    return grid


async def test_the_form_starts_a_grid_whose_runs_train_in_turn_and_are_overlaid(tiny_dataset):
    app = make_app(tiny_dataset, QUICK)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "vary", "pooling=avg,max")
        await pilot.press("ctrl+r")
        grid = app.dashboard.grid
        await wait_until(pilot, lambda: grid.state == "done" and not running(app))
        folder = grid.folder
        assert [p.name for p in sorted(folder.iterdir())] == [
            "grid.csv",
            "grid.toml",
            "pooling=avg",
            "pooling=max",
        ]
        assert notes(app, "Grid done") == [f"grid done: 2 runs; its table is {folder}/grid.csv"]
        assert not [n for n in notes(app) if n.startswith("run ")]  # no "ctrl+n" between runs
        overlay = [folder / "pooling=avg", folder / "pooling=max"]
        runs_view = app.query_one(RunsView)
        await wait_until(pilot, lambda: runs_view.chosen == overlay)


async def test_ctrl_x_stops_the_run_in_flight_and_the_grid(tiny_dataset):
    app = make_app(tiny_dataset, TrainConfig(epochs=1000, batch_size=8, device="cpu"))
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "vary", "lr=0.1,0.9")
        assert app.query_one(ConfigForm).grid_request == GridRequest("lr=0.1,0.9", ())
        await pilot.press("ctrl+r")
        grid = app.dashboard.grid
        assert grid.progress == "run 1/2 lr=0.1" and "grid run 1/2 lr=0.1" in notes(app)
        await wait_until(pilot, lambda: running(app) and app.dashboard.last_folder is not None)
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: not running(app))
        await pilot.pause()
        assert grid.state == "stopped" and not running(app)
        assert [p.name for p in grid.folder.iterdir() if p.is_dir()] == ["lr=0.1"]
        resume = f"lenet-tui --no-ui --resume {grid.folder}"
        assert notes(app, "Grid stopped") == [
            f"grid stopped: 0 of 2 runs done; finish it with {resume}"
        ]
        # the status panel says the same, not how to resume the one run (ctrl+o)
        assert view(app).message == notes(app, "Grid stopped")[0]
        assert not [n for n in notes(app) if n.startswith("run ")]


async def test_a_run_of_a_stopped_grid_resumed_and_stopped_says_how_to_finish_the_grid(
    tiny_dataset,
):
    app = make_app(tiny_dataset, TrainConfig(epochs=1000, batch_size=8, device="cpu"))
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "vary", "lr=0.1,0.9")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: running(app) and app.dashboard.last_folder is not None)
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: not running(app))
        grid = app.dashboard.grid
        await pilot.press("ctrl+o")  # the grid's run, stopped, is highlighted: go on with it
        assert isinstance(app.screen, ResumeScreen)
        assert app.screen.highlighted.folder.path == grid.folder / "lr=0.1"
        await pilot.press("enter")
        await wait_until(pilot, lambda: running(app))
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: not running(app) and view(app).state == "stopped")
        await pilot.pause()
        assert view(app).message == grid.outcome  # how to finish the grid, not the one run
        assert grid.outcome.startswith("grid stopped: 0 of 2 runs done; finish it with")
        assert not [n for n in notes(app) if n.startswith("run ")]


async def test_a_stop_that_comes_as_the_run_finishes_says_the_runs_done(tiny_dataset, monkeypatch):
    """ctrl+x after the run's last batch: it finishes all the same, and the grid's end says so."""
    last_batch, go_on, write = threading.Event(), threading.Event(), EventLog.write

    def held(log: EventLog, event: Event) -> None:  # the run's last report waits for ctrl+x
        if isinstance(event, TrainProgress) and event.epoch == 1 and not go_on.is_set():
            last_batch.set()
            go_on.wait(timeout=60)
        write(log, event)

    monkeypatch.setattr(EventLog, "write", held)
    app = make_app(tiny_dataset, QUICK)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "vary", "lr=0.1,0.9")
        await pilot.press("ctrl+r")
        await wait_until(pilot, last_batch.is_set)
        await pilot.press("ctrl+x")
        go_on.set()
        grid = app.dashboard.grid
        await wait_until(pilot, lambda: not running(app) and grid.state != "running")
        await pilot.pause()
        assert grid.state == "stopped"
        assert [p.name for p in grid.folder.iterdir() if p.is_dir()] == ["lr=0.1"]
        outcome = f"grid stopped: 1 of 2 runs done; finish it with {grid.resume}"
        assert notes(app, "Grid stopped") == [outcome]
        assert view(app).state == "finished" and view(app).message == outcome


async def test_a_run_that_fails_is_named_and_the_grid_goes_on(tiny_dataset, monkeypatch):
    """As with --no-ui --grid: the runner trains the next run; the grid's end names the failed."""
    write = EventLog.write

    def full(log: EventLog, event: Event) -> None:  # the first run's disk fills up
        if isinstance(event, TrainProgress) and log.path.parent.name == "lr=0.1":
            raise RunFolderError(f"cannot write metrics to {log.path}: No space left on device")
        write(log, event)

    monkeypatch.setattr(EventLog, "write", full)
    app = make_app(tiny_dataset, QUICK)
    async with app.run_test(size=SIZE) as pilot:
        grid = await train_grid(pilot)
        assert "No space left on device" in notes(app, "Training failed")[0]
        assert "grid run 2/2 lr=0.9" in notes(app)
        table = grid.folder / "grid.csv"
        assert notes(app, "Grid done") == [
            f"grid done: 1 of 2 runs finished (run 1 lr=0.1 failed); its table is {table}; "
            f"train those again with {grid.resume}"
        ]
        assert view(app).state == "finished"  # the last run's


async def test_a_bug_in_the_worker_stops_the_grid_and_says_how_to_finish_it(
    tiny_dataset, monkeypatch
):
    def broken(driver: RunDriver) -> None:
        raise RuntimeError("no weights")

    monkeypatch.setattr(RunDriver, "snapshot", broken)
    app = make_app(tiny_dataset, QUICK)
    async with app.run_test(size=SIZE) as pilot:
        grid = await train_grid(pilot)
        assert notes(app, "Training failed") == ["RuntimeError: no weights"]
        assert notes(app, "Grid stopped") == [
            f"grid stopped: 0 of 2 runs done; finish it with {grid.resume}"
        ]
        assert view(app).message == "training failed: RuntimeError: no weights"
        assert not (grid.folder / "lr=0.9").exists() and not (grid.folder / "grid.csv").exists()
        assert RunLock(RunFolder(grid.folder / "lr=0.1")).acquire()  # released: it can go on
