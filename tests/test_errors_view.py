"""The Errors tab (F5): the newest epoch's confusion matrix, a cell's images, and on to F3."""

from __future__ import annotations

import pytest
from dashboard_helpers import SIZE, make_app, wait_until
from inside_fixtures import confusion_of, epoch_end, rendered, trained_inspector
from textual.widgets import TabbedContent

from lenet_tui.ui.messages import TrainingEvent, WeightsSnapshot
from lenet_tui.ui.widgets.activation_viewer import ActivationViewer
from lenet_tui.ui.widgets.confusion_grid import ConfusionGrid, abbreviate
from lenet_tui.ui.widgets.confusion_images import ConfusionImages
from lenet_tui.ui.widgets.errors_view import cell_text


async def show_epoch(pilot, data):
    """Weights and an epoch end as a run's worker posts them; the matrix, as the engine counts."""
    inspector = trained_inspector(data)
    matrix = confusion_of(inspector)
    board = pilot.app.dashboard
    await wait_until(pilot, lambda: board.data is not None)
    board.post_message(WeightsSnapshot(inspector))
    board.post_message(TrainingEvent(epoch_end(1, matrix), kept=None))
    await pilot.press("f5")
    await wait_until(pilot, lambda: board.query_one(ConfusionGrid).matrix == matrix)
    return inspector, matrix


def cell_shown(app) -> str:
    return str(app.dashboard.query_one("#errors-cell").render())


async def test_before_the_first_epoch_one_line_says_what_will_be_there(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        assert "appears here after the first epoch" in cell_shown(app)
        assert app.dashboard.query_one(ConfusionGrid).matrix == ()


async def test_the_matrix_shows_counts_then_row_shares_and_the_cursor_names_a_cell(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        _, matrix = await show_epoch(pilot, tiny_dataset)
        grid = app.dashboard.query_one(ConfusionGrid)
        text = rendered(grid)
        assert "T-shirt" in text and "Ankle boot" in text and "acc" in text
        assert str(matrix[0][0]) in text.splitlines()[1]
        await pilot.press("n")
        assert "%" in rendered(grid)
        await pilot.press("down", "right", "right")  # true Trouser, predicted Pullover
        expected = cell_text(matrix, tiny_dataset.classes, 1, 2)
        assert cell_shown(app) == f"epoch 1 · {expected}"
        assert f"{matrix[1][2]} Trouser predicted as Pullover" in expected


async def test_enter_lists_the_cells_images_and_picking_one_opens_it_in_f3(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        inspector, matrix = await show_epoch(pilot, tiny_dataset)
        true, predicted = next(
            (r, c) for r in range(10) for c in range(10) if r != c and matrix[r][c]
        )
        await pilot.press(*["down"] * true, *["right"] * predicted, "enter")
        images = app.dashboard.query_one(ConfusionImages)
        await wait_until(pilot, lambda: images.thumbnails)
        predictions = inspector.predictions().tolist()
        expected = [
            i for i, p in enumerate(predictions) if p == predicted and inspector.label(i) == true
        ]
        assert [t.index for t in images.thumbnails] == expected
        assert images.has_focus
        await pilot.press("right", "enter") if len(expected) > 1 else await pilot.press("enter")
        chosen = expected[1] if len(expected) > 1 else expected[0]
        assert app.dashboard.query_one(TabbedContent).active == "activations"
        viewer = app.dashboard.query_one(ActivationViewer)
        await wait_until(pilot, lambda: viewer.inspection and viewer.inspection.index == chosen)


@pytest.mark.parametrize(
    ("name", "width", "short"),
    [("T-shirt/top", 7, "T-shirt"), ("Ankle boot", 4, "boot"), ("Bag", 4, "Bag"),
     ("Pullover", 4, "Pull"), ("7", 4, "7")],
)  # fmt: skip
def test_class_names_are_abbreviated_to_the_cells_width(name, width, short):
    assert abbreviate(name, width) == short


def test_a_cell_in_words():
    matrix = ((90, 10), (87, 913))
    names = ("T-shirt/top", "Shirt")
    assert cell_text(matrix, names, 1, 0) == "87 Shirt predicted as T-shirt/top, 8.7% of the Shirt"
    assert cell_text(matrix, names, 0, 0) == "90 T-shirt/top right, 90.0% of the T-shirt/top"
