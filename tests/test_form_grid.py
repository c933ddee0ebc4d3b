"""The form's vary and seeds fields, driven with Pilot: a grid asked for, checked as typed."""

from __future__ import annotations

from dashboard_helpers import SIZE, make_app, running, shown, wait_until
from textual.widgets import Button, Input

from lenet_tui.ui.modes.local_grid import GridRequest
from lenet_tui.ui.widgets.config_form import ConfigForm


async def type_into(pilot, name: str, text: str) -> None:
    """Focus a form field, clear it and type text, key by key, as a user would."""
    widget = pilot.app.query_one(f"#field-{name}", Input)
    await pilot.app.workers.wait_for_complete()  # the start's previews and scans, which may
    await pilot.pause()  # move the focus once they are done

    def focused() -> bool:
        if pilot.app.focused is not widget:
            widget.focus()
        return pilot.app.focused is widget

    await wait_until(pilot, focused)
    widget.select_all()
    await pilot.press(*text) if text else await pilot.press("backspace")
    await pilot.pause()


def start_enabled(app) -> bool:
    return not app.query_one("#form-start", Button).disabled


async def test_a_bad_vary_is_red_with_its_reason_and_a_good_one_asks_for_the_grid(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        form = app.query_one(ConfigForm)
        assert form.grid_request is None and start_enabled(app)  # blank: one run, as before

        await type_into(pilot, "vary", "pooling=avg,maxx")
        assert app.query_one("#field-vary").has_class("invalid")
        assert shown(app, "#form-problems") == "vary: pooling=maxx: must be one of avg, max"
        assert form.grid_request is None and form.config is None and not start_enabled(app)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not running(app)

        await pilot.press("backspace")
        await type_into(pilot, "seeds", "0,1")
        assert not app.query_one("#field-vary").has_class("invalid")
        assert shown(app, "#form-problems") == ""
        assert form.grid_request == GridRequest("pooling=avg,max", (0, 1))
        assert form.config is not None and start_enabled(app)


async def test_seeds_need_a_vary_and_a_vary_is_checked_with_the_other_fields(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        form = app.query_one(ConfigForm)
        await type_into(pilot, "seeds", "0,1")
        assert set(form.problems) == {"seeds"} and not start_enabled(app)
        assert "fill in vary too" in shown(app, "#form-problems")

        await type_into(pilot, "vary", "lr=0.1,0.9")
        await type_into(pilot, "momentum", "0.5")
        assert form.grid_request == GridRequest("lr=0.1,0.9", (0, 1)) and start_enabled(app)
        await type_into(pilot, "vary", "momentum=0,0.9")  # with the nesterov switch, 0 is refused
        app.query_one("#field-nesterov").value = True
        await pilot.pause()
        assert set(form.problems) == {"vary"} and form.grid_request is None
        assert "the combination momentum=0.0 is refused: --nesterov" in form.problems["vary"]

        await type_into(pilot, "vary", "")
        assert set(form.problems) == {"seeds"}
        await type_into(pilot, "seeds", "")  # both blank again: one run of the form's settings
        assert form.problems == {} and form.grid_request is None and start_enabled(app)
