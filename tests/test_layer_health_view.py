"""Layer health in the Train tab: the layer table's columns, the sparklines (ctrl+t), a reading."""

from __future__ import annotations

from dashboard_helpers import SIZE, make_app, wait_until
from event_fixtures import progress
from inside_fixtures import d2l_started, health_progress, rendered

from lenet_tui.ui.messages import TrainingEvent
from lenet_tui.ui.session import Phase
from lenet_tui.ui.widgets.layer_health import BARS, LayerHealthView
from lenet_tui.ui.widgets.layer_table import LayerTable


async def as_if_running(pilot, events) -> None:
    """The events a run's worker posts, drawn as at the next once-a-second tick."""
    board = pilot.app.dashboard
    await wait_until(pilot, lambda: board.data is not None)
    await pilot.press("f2")
    board.train_view.show_run_starting(board.train_view.form.config)
    board.phase = Phase.RUNNING
    for event in events:
        board.train_view.post_message(TrainingEvent(event, kept=None))
    await pilot.pause()
    board.train_view.redraw()
    await pilot.pause()


def row(table: LayerTable, index: int) -> list[str]:
    return [str(cell) for cell in table.get_row(str(index))]


async def test_the_latest_report_fills_the_layer_tables_health_columns(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        reports = [health_progress(0.1, conv1_grad=1e-3), health_progress(0.2, conv1_grad=2e-4)]
        await as_if_running(pilot, [d2l_started(), *reports])
        table = app.dashboard.query_one(LayerTable)
        labels = [str(column.label) for column in table.columns.values()]
        assert labels[3:] == ["‖w‖", "‖∇‖", "Δ/w", "mean", "sat/dead"]
        assert row(table, 0)[:2] == ["Conv2d", "6×28×28"]
        assert row(table, 0)[3:6] == ["1.5", "2.0e-04", "1.0e-03"]  # the latest report's
        assert row(table, 1)[6:] == ["0.5", "0% sat"]


async def test_ctrl_t_shows_a_sparkline_per_layer_and_the_reading(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        reports = [health_progress(e / 10, conv1_grad=10 ** -(1 + e), saturated=0.8)
                   for e in range(1, 5)]  # fmt: skip
        await as_if_running(pilot, [d2l_started(), *reports])
        health = app.dashboard.query_one(LayerHealthView)
        assert not health.display
        await pilot.press("ctrl+t")
        assert health.display and not app.dashboard.query_one(LayerTable).display
        lines = rendered(health).splitlines()
        assert lines[0].startswith(
            "conv1 gradients are 1/20,000 of fc3's: the sigmoids above them are saturated"
        )
        conv1 = next(line for line in lines[1:] if line.startswith("conv1 "))
        bars = [BARS.index(bar) for bar in conv1.split()[1]]
        assert bars == sorted(set(bars), reverse=True) and len(bars) == 4  # falling, 4 reports
        assert conv1.endswith("∇ 1.0e-05")
        assert any(line.startswith("fc2 sigmoid") and "sat 80%" in line for line in lines)
        await pilot.press("ctrl+t")
        assert app.dashboard.query_one(LayerTable).display


async def test_an_old_runs_reports_without_health_leave_the_table_as_the_book_prints_it(
    tiny_dataset,
):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await as_if_running(pilot, [d2l_started(), progress(0.1), progress(0.2)])
        table = app.dashboard.query_one(LayerTable)
        assert [str(c.label) for c in table.columns.values()] == [
            "layer",
            "output shape",
            "parameters",
        ]
        await pilot.press("ctrl+t")  # not offered: nothing to show
        assert not app.dashboard.query_one(LayerHealthView).display
