"""The form with a field out of range, as the user sees it (pytest --snapshot-update)."""

from __future__ import annotations

import colorsys

import pytest
from dashboard_helpers import SIZE, SIZES, make_app, wait_until
from textual.widgets import Input


async def lr_out_of_range(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.focused is not None)  # the form's, at start
    lr = pilot.app.query_one("#field-lr", Input)
    assert lr.has_focus
    lr.value = "0"  # then on to the next field, as a user fixing it later would
    await pilot.press("tab")
    await wait_until(pilot, lambda: lr.has_class("invalid"))
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_form_with_a_field_out_of_range(snap_compare, tiny_dataset, size):
    assert snap_compare(make_app(tiny_dataset), terminal_size=size, run_before=lr_out_of_range)


def hue_degrees(colour) -> float:
    r, g, b = colour.rgb
    return colorsys.rgb_to_hls(r / 255, g / 255, b / 255)[0] * 360


async def test_a_field_out_of_range_is_red_as_the_readme_says_focused_or_not(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        lr = app.query_one("#field-lr", Input)
        await wait_until(pilot, lambda: lr.has_focus)
        lr.value = "0"
        await wait_until(pilot, lambda: lr.has_class("invalid"))
        await pilot.pause()
        shades = [lr.background_colors[1]]  # focused: being fixed
        await pilot.press("tab")
        await pilot.pause()
        shades.append(lr.background_colors[1])
        for shade in shades:  # red: a hue within 10 degrees of 0, not magenta (about 340)
            assert min(hue_degrees(shade), 360 - hue_degrees(shade)) < 10, shade
            assert shade.rgb[0] > 2 * max(shade.rgb[1:]), shade
