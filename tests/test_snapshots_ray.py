"""The Train tab mid-way through a grid on Ray (scripted updates, so every figure is fixed): the
trials table above the plot of the highlighted run, at 120x40 and 80x24."""

from __future__ import annotations

import pytest
from dashboard_helpers import SIZES, make_app, settle, wait_until
from ray_dashboard_helpers import GRID, ScriptedRayGrid, fill_in, use_scripted_ray
from textual.widgets import DataTable

from lenet_tui.engine.config import TrainConfig

QUICK = TrainConfig(epochs=2, batch_size=128, device="cpu")


@pytest.fixture
def scripted_ray(monkeypatch) -> type[ScriptedRayGrid]:
    return use_scripted_ray(monkeypatch)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ray_grid_mid_way(snap_compare, tiny_dataset, scripted_ray, size):
    app = make_app(tiny_dataset, QUICK)

    async def half_way(pilot) -> None:
        await settle(pilot)
        await fill_in(pilot, vary=GRID, ray="local")
        await pilot.press("ctrl+r")
        table = app.query_one("#trials-table", DataTable)
        await wait_until(
            pilot, lambda: table.row_count == 4 and "2/3" in map(str, table.get_row("2"))
        )
        app.clear_notifications()  # they name the grid's temporary folder
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=half_way)
