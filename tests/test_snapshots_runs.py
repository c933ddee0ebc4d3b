"""The Runs tab's overlay of three runs as the user sees it, compared with approved SVGs
(pytest --snapshot-update). The run folders are written by hand: no dates or times change."""

from __future__ import annotations

import pytest
from dashboard_helpers import SIZES, make_app, wait_until
from run_folder_fixtures import finished_run, grid_folder, reported_run
from textual.widgets import Input

from lenet_tui.ui.widgets.runs_view import RunsView


def book_exercise_runs(runs_dir) -> None:
    """The book's net, max pooling, and ReLU with max pooling at a lower learning rate."""
    book = [0.45, 0.62, 0.70, 0.74, 0.76, 0.78, 0.79, 0.80, 0.81, 0.82]
    pooled = [0.70, 0.80, 0.84, 0.86, 0.87, 0.88, 0.885, 0.89, 0.89, 0.895]
    relu = [0.75, 0.83, 0.86, 0.87, 0.88, 0.89, 0.895, 0.90, 0.90, 0.905]
    finished_run(runs_dir, "20261101-100000", book, mtime=1_700_000_000)
    finished_run(runs_dir, "20261101-110000", pooled, mtime=1_700_000_100, pooling="max")
    finished_run(runs_dir, "20261101-120000", relu, mtime=1_700_000_200,
                 pooling="max", activation="relu", lr=0.1)  # fmt: skip
    finished_run(runs_dir, "20261101-090000", [0.3, 0.4], mtime=1_699_999_000, lr=0.01)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overlay_of_three_runs(snap_compare, tiny_dataset, runs_dir, size):
    book_exercise_runs(runs_dir)

    async def pick_three(pilot) -> None:
        await wait_until(pilot, lambda: pilot.app.focused is not None)  # the form's, at start
        await pilot.press("f4")
        view = pilot.app.dashboard.query_one(RunsView)
        await wait_until(pilot, lambda: view.table.row_count == 4)
        await wait_until(pilot, lambda: view.table.has_focus)
        await pilot.press("space", "down", "space", "down", "space")
        if size[0] < 100:  # 80 columns: the overlay alone, with its table of differences
            await pilot.press("v", "v")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = make_app(tiny_dataset)
    assert snap_compare(app, terminal_size=size, run_before=pick_three)


def two_one_epoch_runs(runs_dir) -> None:
    """A grid of two 1-epoch runs whose names differ only at their end."""
    grid = grid_folder(runs_dir, "20261203-233604")
    reported_run(grid, "pooling=avg,activation=sigmoid", [0.71], speed=1.5, mtime=1_700_000_000)
    reported_run(grid, "pooling=max,activation=sigmoid", [0.80], speed=3.0, mtime=1_700_000_100,
                 pooling="max")  # fmt: skip


@pytest.mark.parametrize("metric", ["test acc", "train loss"], ids=lambda m: m.replace(" ", "-"))
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overlay_of_two_one_epoch_runs(snap_compare, tiny_dataset, runs_dir, size, metric):
    """Test acc: a marked point a run; the train loss: a curve a run, a point per report."""
    two_one_epoch_runs(runs_dir)

    async def pick_both(pilot) -> None:
        for widget in pilot.app.query(Input):
            widget.cursor_blink = False
        await wait_until(pilot, lambda: pilot.app.focused is not None)
        await pilot.press("f4")
        view = pilot.app.dashboard.query_one(RunsView)
        await wait_until(pilot, lambda: view.table.row_count == 2)
        await wait_until(pilot, lambda: view.table.has_focus)
        await pilot.press("space", "down", "space")
        if size[0] < 100:  # 80 columns: the overlay alone, with its table of differences
            await pilot.press("v", "v")
        if metric == "train loss":
            await pilot.press("m")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = make_app(tiny_dataset)
    assert snap_compare(app, terminal_size=size, run_before=pick_both)
