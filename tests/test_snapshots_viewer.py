"""The Activations tab comparing two images, as the user sees it (pytest --snapshot-update)."""

from __future__ import annotations

import pytest
from dashboard_helpers import SIZES, make_app, settle


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_pinned_coat_beside_a_pullover(snap_compare, tiny_dataset, size):
    async def pin_a_coat_then_pick_a_pullover(pilot) -> None:
        await settle(pilot)
        await pilot.press("f3", "4")
        await settle(pilot)
        await pilot.press("space", "2")
        await settle(pilot)

    app = make_app(tiny_dataset)
    assert snap_compare(app, terminal_size=size, run_before=pin_a_coat_then_pick_a_pullover)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_forward_pass_of_a_coat(snap_compare, tiny_dataset, size):
    async def show_a_coats_forward_pass(pilot) -> None:
        await settle(pilot)
        await pilot.press("f3", "4", "f")
        await settle(pilot)

    app = make_app(tiny_dataset)
    assert snap_compare(app, terminal_size=size, run_before=show_a_coats_forward_pass)
