"""The Errors tab as the user sees it, compared with approved SVGs (pytest --snapshot-update)."""

from __future__ import annotations

import pytest
from dashboard_helpers import SIZES
from inside_fixtures import SECOND_EPOCH, confusion_of, epoch_end, trained_inspector

from lenet_tui.ui.app import create_app
from lenet_tui.ui.messages import TrainingEvent, WeightsSnapshot
from lenet_tui.ui.modes.state import Phase
from lenet_tui.ui.widgets.confusion_grid import ConfusionGrid
from lenet_tui.ui.widgets.confusion_images import ConfusionImages


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_errors_tab_with_a_cells_images(snap_compare, tiny_dataset, size):
    app = create_app(data=tiny_dataset, devices=["cpu"])
    inspector = trained_inspector(tiny_dataset)
    matrix = confusion_of(inspector)
    true, predicted = next((r, c) for r in range(10) for c in range(10) if r != c and matrix[r][c])

    async def list_a_cells_images(pilot) -> None:
        board = pilot.app.dashboard
        while board.phase is not Phase.READY:  # mounted, and the data shown
            await pilot.pause()
        board.post_message(WeightsSnapshot(inspector))
        board.post_message(TrainingEvent(epoch_end(1, matrix), kept=None))
        await pilot.press("f5")
        while board.query_one(ConfusionGrid).matrix != matrix:
            await pilot.pause()
        await pilot.press(*["down"] * true, *["right"] * predicted, "enter")
        while not board.query_one(ConfusionImages).thumbnails:
            await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=list_a_cells_images)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_errors_tab_after_two_epochs_with_bad_classes(snap_compare, tiny_dataset, size):
    """Pullover (8% right) and Shirt (10%) on a red diagonal, the cursor on Pullover -> Coat."""
    app = create_app(data=tiny_dataset, devices=["cpu"])
    first = tuple(tuple(n // 2 for n in row) for row in SECOND_EPOCH)

    async def two_epochs_then_a_cell(pilot) -> None:
        board = pilot.app.dashboard
        while board.phase is not Phase.READY:
            await pilot.pause()
        board.post_message(WeightsSnapshot(trained_inspector(tiny_dataset, epoch=2)))
        board.post_message(TrainingEvent(epoch_end(1, first), kept=None))
        board.post_message(TrainingEvent(epoch_end(2, SECOND_EPOCH), kept=None))
        await pilot.press("f5")
        while board.query_one(ConfusionGrid).matrix != SECOND_EPOCH:
            await pilot.pause()
        await pilot.press("down", "down", *["right"] * 4)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=two_epochs_then_a_cell)
