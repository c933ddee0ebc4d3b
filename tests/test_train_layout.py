"""The Train tab at 80x24 as a newcomer meets it: the Start button in reach, nothing cut."""

from __future__ import annotations

from dashboard_helpers import as_if_running, lines, make_app, running, view, wait_until
from inside_fixtures import d2l_started, health_progress
from textual.widgets import Button, Input, Select, Static

from lenet_tui.ui.widgets.layer_table import LayerTable

SMALL = (80, 24)


def inside(inner, outer) -> bool:
    """Whether region inner lies wholly in region outer."""
    return outer.contains_region(inner)


async def test_the_start_button_stays_in_view_while_the_fields_scroll_under_it(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        form, start = app.query_one("#form"), app.query_one("#form-start", Button)
        rows = app.query_one("#form-rows")
        assert "ctrl+r" in str(start.label) and inside(start.region, form.region)
        assert start.region.bottom <= 24 - 1  # above the footer
        for name in ("kernel_size", "hidden", "ray_cpus"):  # rows below the first screenful
            field = app.query_one(f"#field-{name}")
            field.focus()
            await pilot.pause()
            assert inside(field.region, rows.region) and not field.region.overlaps(start.region)
            assert inside(start.region, form.region)


async def test_presets_and_hints_fit_their_fields(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        preset = app.query_one("#field-preset", Select)
        for title, _ in preset._options:
            assert len(str(title)) <= preset.content_region.width - 3  # beside the ▼
        for field in app.query_one("#form").query(Input):
            assert len(field.placeholder) <= field.content_region.width, field.id


async def test_a_finished_run_shows_its_folder_and_summary_whole(tiny_dataset, runs_dir):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: view(app).state == "finished" and not running(app))
        status = app.query_one("#status")
        table = lines(app.query_one("#status-table", Static))
        kept = [line[8:].rstrip() for line in table[table.index(next(
            line for line in table if line.startswith("kept in"))):]]  # fmt: skip
        assert all(line.endswith("/") for line in kept[:-1])  # broken after a folder's name
        shown_path = "".join(kept)
        folder = str(app.dashboard.last_folder)
        assert (
            shown_path == folder
            or (  # a long path: the folders nearest the run, whole
                shown_path.startswith("…/") and folder.endswith(shown_path[1:])
            )
        )
        assert shown_path.endswith("/runs/" + app.dashboard.last_folder.name)
        summary = app.query_one("#status-summary", Static)
        assert inside(summary.region, status.region)  # in view, not below the panel's end
        assert lines(summary)[0].endswith(
            ","
        )  # the book's line wraps after its commas, not mid-phrase


async def test_the_layer_table_keeps_the_health_columns_it_has_room_for(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SMALL) as pilot:
        await as_if_running(pilot, [d2l_started(), health_progress(0.1, loss=1.5)])
        table = app.query_one(LayerTable)
        labels = [str(column.label) for column in table.columns.values()]
        assert labels == ["layer", "‖∇‖", "Δ/w", "sat/dead"]
        assert table.virtual_size.width <= table.scrollable_content_region.width
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        labels = [str(column.label) for column in table.columns.values()]
        assert labels[3:] == ["‖w‖", "‖∇‖", "Δ/w", "mean", "sat/dead"]
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert [str(cell) for cell in table.get_row("0")][4:6] == ["2.0e-04", "1.0e-03"]
