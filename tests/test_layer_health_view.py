"""Layer health in the Train tab: the layer table's columns, the sparklines (ctrl+t), a reading."""

from __future__ import annotations

from dashboard_helpers import SIZE, as_if_running, make_app
from event_fixtures import ENDINGS, progress
from inside_fixtures import d2l_report, d2l_started, health_progress, plateau_reports, rendered

from lenet_tui.ui.messages import TrainingEvent
from lenet_tui.ui.widgets.layer_health import BARS, LayerHealthView
from lenet_tui.ui.widgets.layer_table import LayerTable


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
        # a loss below chance (no plateau), gradients vanishing through saturated sigmoids
        reports = [health_progress(e / 10, conv1_grad=10 ** -(1 + e), saturated=0.8, loss=1.5)
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
        await pilot.press("ctrl+t")
        assert rendered(app.dashboard.query_one(LayerHealthView)).startswith(
            "this run's reports carry no layer health"
        )


async def test_ctrl_t_before_the_first_report_opens_the_panel_saying_it_waits(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await as_if_running(pilot, [])  # ctrl+r pressed: no event has come yet
        health = app.dashboard.query_one(LayerHealthView)
        await pilot.press("ctrl+t")
        assert health.display and not app.dashboard.query_one(LayerTable).display
        assert rendered(health).startswith("waiting for the first report of the run")
        await as_if_running(pilot, [d2l_started()])  # the model is built: still no report
        assert rendered(health).startswith("waiting for the first report of the run")
        await as_if_running(pilot, [d2l_started(), *plateau_reports()[:1]])
        assert rendered(health).startswith("no warning sign in the latest report")


async def test_the_reading_says_plateau_while_the_loss_is_flat_and_not_once_it_falls(
    tiny_dataset,
):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await as_if_running(pilot, [d2l_started(), *plateau_reports()])
        await pilot.press("ctrl+t")
        health = app.dashboard.query_one(LayerHealthView)
        said = " ".join(rendered(health).split())
        assert said.startswith("loss on a plateau since epoch 0.1: 2.33, the loss of guessing")
        assert "conv1 gradients are 1/23 of fc3's" in said
        await as_if_running(pilot, [d2l_report(1.1, 1.95, 0.32, "learning")])  # it falls
        assert rendered(health).startswith("no warning sign in the latest report")


async def test_a_run_that_ends_shows_its_last_reports_figures(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await as_if_running(pilot, [d2l_started(), health_progress(0.9, conv1_grad=1e-3)])
        board = app.dashboard
        for event in (health_progress(1.0, conv1_grad=3e-3), ENDINGS["finished"]):
            board.train_view.post_message(TrainingEvent(event, kept=None))  # before a tick
        await pilot.pause()
        assert row(board.query_one(LayerTable), 0)[4] == "3.0e-03"
