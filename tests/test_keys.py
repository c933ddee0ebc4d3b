"""The keys are described once (lenet_tui.ui.keys): the bindings, the F1 page and the palette say
the same, and a palette entry does what its key does, or says why it cannot now."""

from __future__ import annotations

import dataclasses

from dashboard_helpers import SHORT, SIZE, as_if_running, drawn, make_app, notes, view, wait_until
from event_fixtures import progress
from inside_fixtures import d2l_started
from ray_dashboard_helpers import GRID, fill_in, use_scripted_ray
from textual.widgets import Markdown, TabbedContent

from lenet_tui.ui.app import LenetApp
from lenet_tui.ui.keys import KEYS
from lenet_tui.ui.screens.dashboard import DashboardScreen
from lenet_tui.ui.widgets.layer_health import LayerHealthView
from lenet_tui.ui.widgets.train_view import TrainView

OWNERS = {"app": LenetApp, "dashboard": DashboardScreen, "train": TrainView}


def palette(app: LenetApp) -> dict:
    return {command.title: command for command in app.get_system_commands(app.screen)}


async def test_every_key_is_on_the_f1_page_and_in_the_palette_as_the_table_says(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=(120, 60)) as pilot:  # the whole table on the screen
        commands = palette(app)
        await pilot.press("f1")
        await wait_until(pilot, lambda: "ctrl+q" in drawn(app, app.screen.query_one(Markdown)))
        source, page = app.screen.query_one(Markdown).source, drawn(app)
    for key in KEYS:
        assert f"| **{key.key}** | {key.text} |" in source and f"│ {key.key} " in page
        if key.key != "ctrl+p":  # the palette itself
            assert commands[f"{key.title} ({key.key})"].help.lower() == key.text.lower()


def test_every_binding_is_one_the_table_describes():
    described = {(key.scope, key.key.lower(), *binding) for key in KEYS
                 for binding in ((key.action, key.label, key.show), *key.also)}  # fmt: skip
    bound = {(scope, binding.key, binding.action, binding.description, binding.show)
             for scope, owner in OWNERS.items() for binding in owner.BINDINGS}  # fmt: skip
    assert bound == {entry for entry in described if entry[0] != "textual"}


async def test_the_palettes_pause_says_why_without_a_run_and_pauses_one(tiny_dataset):
    app = make_app(tiny_dataset, dataclasses.replace(SHORT, epochs=30))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.dashboard.data is not None)
        pause = palette(app)["Pause or go on (F8)"]
        pause.callback()
        await wait_until(pilot, lambda: notes(app))
        assert notes(app) == ["no run is training"]
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: view(app).state == "running")
        pause.callback()
        await wait_until(pilot, lambda: view(app).state == "paused")
        pause.callback()  # the same entry goes on, as F8 does
        await wait_until(pilot, lambda: view(app).state == "running")
        await pilot.press("ctrl+x")


async def test_the_palettes_layer_health_shows_the_train_tab_with_it(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await as_if_running(pilot, [d2l_started(), progress(0.1)])
        await pilot.press("f4")
        palette(app)["Layer health or table (ctrl+t)"].callback()
        await wait_until(pilot, lambda: app.query_one(TabbedContent).active == "train")
        assert app.dashboard.query_one(LayerHealthView).display


async def test_on_a_ray_grid_the_palettes_pause_and_layer_health_say_why_not(
    tiny_dataset, monkeypatch
):
    use_scripted_ray(monkeypatch)
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await fill_in(pilot, vary=GRID, ray="local")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.dashboard.train_view.has_class("-ray-grid"))
        palette(app)["Pause or go on (F8)"].callback()
        await wait_until(pilot, lambda: notes(app, "No pause on Ray"))
        palette(app)["Layer health or table (ctrl+t)"].callback()
        await wait_until(
            pilot, lambda: "a Ray grid's table of runs is shown in its place" in notes(app)
        )
        assert not app.dashboard.query_one(LayerHealthView).display
