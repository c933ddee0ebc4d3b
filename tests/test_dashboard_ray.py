"""A grid on Ray started from the form: the trials table changing live, ctrl+x, F8, quitting;
scripted updates through the dashboard's own worker and messages, and one grid on a real local
Ray."""

from __future__ import annotations

import pytest
from dashboard_helpers import SIZE, make_app, notes, running, shown, wait_until
from ray_dashboard_helpers import (
    GRID,
    WORKERS,
    ScriptedRayGrid,
    fill_in,
    finished,
    mid_grid,
    use_scripted_ray,
)
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

from lenet_tui.engine.config import TrainConfig
from lenet_tui.runs.grid import Grid
from lenet_tui.runs.ray_grid import GridUpdate
from lenet_tui.ui.widgets.metrics_plot import MetricsPlot
from lenet_tui.ui.widgets.runs_view import RunsView

QUICK = TrainConfig(epochs=2, batch_size=128, device="cpu")
"""512 tiny training images: 4 steps an epoch."""


@pytest.fixture
def scripted_ray(monkeypatch) -> type[ScriptedRayGrid]:
    return use_scripted_ray(monkeypatch)


async def start_ray_grid(pilot, address: str = "local", cpus: str = "") -> None:
    await fill_in(pilot, vary=GRID, ray=address, ray_cpus=cpus)
    await pilot.press("ctrl+r")


def rows(app) -> list[list[str]]:
    table = app.query_one("#trials-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def footer_keys(app) -> list[str]:
    return [key.description for key in app.screen.query(FooterKey)]


async def test_the_table_follows_each_runs_state_and_ctrl_x_stops_the_grid(
    tiny_dataset, scripted_ray
):
    app = make_app(tiny_dataset, QUICK)
    async with app.run_test(size=SIZE) as pilot:
        await start_ray_grid(pilot)
        await wait_until(pilot, lambda: len(rows(app)) == 4 and rows(app)[1][5] == "2/3")
        assert rows(app) == [
            ["1", "pooling=avg,activation=sigmoid", "finished", "2/2", "0.700", "1/3",
             "4101@node-a"],
            ["2", "pooling=avg,activation=relu", "running", "1.5/2", "0.580", "2/3",
             "4103@node-a"],
            ["3", "pooling=max,activation=sigmoid", "failed", "0/2", "–", "1/3", "4101@node-a"],
            ["4", "pooling=max,activation=relu", "waiting", "0/2", "–", "1/3", ""],
        ]  # fmt: skip
        assert shown(app, "#trials-header") == (
            "1/4 done · 1 running · 1 waiting · 1 finished · 1 failed · Ray: 2 at once on this "
            "machine"
        )
        retried = "run 2 pooling=avg,activation=relu: worker died (WorkerCrashedError: killed)"
        assert notes(app, "Run retrying")[0].startswith(retried)
        assert notes(app, "Run failed") == [
            "run 3 pooling=max,activation=sigmoid: ValueError: bad data"
        ]
        assert running(app) and "Stop" in footer_keys(app) and "Start" not in footer_keys(app)
        assert shown(app, "#trials-note") == "plotted: run 1 pooling=avg,activation=sigmoid"
        plot = app.query_one(MetricsPlot)
        assert plot.points == 2 * 1 + 2  # run 1's progress point and its two test points

        await pilot.press("f4", "f2", "down")  # back on the tab, the arrows pick the run
        await pilot.pause()
        assert shown(app, "#trials-note") == (
            "plotted: run 2 pooling=avg,activation=relu; try 2, from the checkpoint of epoch 1"
        )
        assert plot.points == 2 * 1 + 1  # the new try's progress point, epoch 1's test point

        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: not running(app))
        assert [row[2] for row in rows(app)] == ["finished", "stopped", "failed", "cancelled"]
        folder = app.dashboard.grid.folder
        assert notes(app, "Grid stopped")[-1] == (
            f"grid stopped: 0 of 4 runs done; finish it with lenet-tui --no-ui --resume "
            f"{folder} --ray"
        )
        assert "Start" in footer_keys(app)
        await pilot.press("ctrl+n")  # back to the form, the table gone
        await pilot.pause()
        assert not app.query_one("#trials").display and app.query_one("#form").display


async def test_f8_says_a_ray_grid_does_not_pause_and_the_footer_fits(tiny_dataset, scripted_ray):
    app = make_app(tiny_dataset, QUICK)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_ray_grid(pilot)
        await wait_until(pilot, lambda: len(rows(app)) == 4 and rows(app)[1][5] == "2/3")
        assert "Pause" not in footer_keys(app)
        await pilot.press("f8")
        await pilot.pause()
        assert notes(app, "No pause on Ray") == [
            "a grid on Ray does not pause (its runs train in Ray's workers); ctrl+x stops it, "
            "each run keeping its last checkpoint"
        ]
        assert running(app) and not scripted_ray.made[0].stop_requested
        footer = sum(len(key) + 4 for key in footer_keys(app))
        assert footer <= 80


async def test_quitting_stops_the_ray_grid_and_its_worker_ends(tiny_dataset, scripted_ray):
    app = make_app(tiny_dataset, QUICK)
    async with app.run_test(size=SIZE) as pilot:
        await start_ray_grid(pilot)
        await wait_until(pilot, lambda: len(rows(app)) == 4 and rows(app)[1][5] == "2/3")
        await pilot.press("ctrl+q")
    ray_grid = scripted_ray.made[0]
    assert ray_grid.stop_requested
    assert ray_grid.ended.wait(timeout=30)  # a guard against a hang, not a timing


async def test_at_the_end_the_runs_that_failed_or_were_lost_are_named(tiny_dataset, monkeypatch,
                                                                     scripted_ray):  # fmt: skip
    def every_run_ends(grid: Grid) -> list[GridUpdate]:
        _, two, _, four = grid.runs
        return [
            *mid_grid(grid),
            finished(two, WORKERS[1], 0.66),
            GridUpdate(four, "lost", attempt=3, note="worker died (NodeDiedError: gone)"),
        ]

    monkeypatch.setattr(scripted_ray, "script", staticmethod(every_run_ends))
    monkeypatch.setattr(scripted_ray, "hold", False)
    app = make_app(tiny_dataset, QUICK)
    async with app.run_test(size=SIZE) as pilot:
        await start_ray_grid(pilot, "10.0.0.5:6379", "2")
        await wait_until(pilot, lambda: app.dashboard.grid.state == "done" and not running(app))
        folder = app.dashboard.grid.folder
        assert notes(app, "Grid done") == [
            "grid done: 0 of 4 runs finished (run 3 pooling=max,activation=sigmoid failed, run 4 "
            f"pooling=max,activation=relu lost); its table is {folder}/grid.csv; train those "
            f"again with lenet-tui --no-ui --resume {folder} --ray 10.0.0.5:6379 "
            "--ray-cpus-per-run 2"
        ]
        assert (folder / "grid.csv").is_file()
        assert notes(app, "Run lost") == [
            "run 4 pooling=max,activation=relu: worker died (NodeDiedError: gone)"
        ]


@pytest.mark.ray
async def test_a_grid_on_a_local_ray_trains_its_four_runs_and_overlays_them(
    tiny_dataset, local_ray
):
    app = make_app(tiny_dataset, TrainConfig(epochs=1, batch_size=128, device="cpu"))
    async with app.run_test(size=SIZE) as pilot:
        await start_ray_grid(pilot)
        grid = app.dashboard.grid
        await wait_until(pilot, lambda: grid.state == "done" and not running(app), timeout=600)
        assert [row[2] for row in rows(app)] == ["finished"] * 4
        assert all(row[6] for row in rows(app))  # each names the worker it trained on
        assert (grid.folder / "grid.csv").is_file()
        assert notes(app, "Grid done") == [
            f"grid done: 4 runs; its table is {grid.folder}/grid.csv"
        ]
        runs_view = app.query_one(RunsView)
        overlay = {run.folder for run in grid.grid.runs}
        await wait_until(pilot, lambda: set(runs_view.chosen) == overlay)
