"""The Errors tab (F5): the newest epoch's confusion matrix, a cell's images, and on to F3."""

from __future__ import annotations

import colorsys
import io
import json
import math

import pytest
from dashboard_helpers import SIZE, make_app, wait_until
from event_fixtures import started
from inside_fixtures import SECOND_EPOCH, confusion_of, epoch_end, rendered, trained_inspector
from rich.console import Console
from run_folder_fixtures import make_run
from textual.widgets import TabbedContent

from lenet_tui.engine.data_source import CLASSES
from lenet_tui.engine.events import EpochEnd, event_to_dict
from lenet_tui.ui.messages import TrainingEvent, WeightsSnapshot
from lenet_tui.ui.widgets.activation_viewer import ActivationViewer
from lenet_tui.ui.widgets.confusion_colours import cell_colours, cell_style
from lenet_tui.ui.widgets.confusion_grid import ConfusionGrid, abbreviate, count_text, grid_table
from lenet_tui.ui.widgets.confusion_images import ConfusionImages, Thumbnail
from lenet_tui.ui.widgets.errors_view import ErrorsView, cell_text

CLASS_NAMES = CLASSES["fashion-mnist"]


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


# -- colours: readable at every value, a bad class looks bad, the cursor stands out ----------


def wcag_contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2's contrast ratio, from its definition of relative luminance."""

    def luminance(rgb):
        linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
                  for c in rgb]  # fmt: skip
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def colours_of(style) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    return tuple(style.color.triplet), tuple(style.bgcolor.triplet)


@pytest.mark.parametrize("place", ["diagonal", "mistake", "cursor"])
def test_every_cells_text_contrasts_4_5_to_1_with_the_cell_at_every_share(place):
    for tenths in range(1001):  # 0.0% to 100.0% of the row
        style = cell_style(tenths / 1000, place == "diagonal", cursor=place == "cursor")
        text, cell = colours_of(style)
        assert wcag_contrast(text, cell) >= 4.5, (place, tenths / 10, text, cell)


def cells_drawn(matrix, cursor, narrow=False) -> list[tuple[str, object]]:
    """The (text, style) of every cell the grid draws with a background of its own."""
    console = Console(width=200, file=io.StringIO())
    table = grid_table(matrix, CLASS_NAMES, cursor, normalised=False, narrow=narrow)
    return [(s.text.strip(), s.style) for s in console.render(table)
            if s.text.strip() and s.style and s.style.bgcolor]  # fmt: skip


@pytest.mark.parametrize("narrow", [False, True])
def test_the_grid_as_drawn_keeps_every_cells_text_readable(narrow):
    cells = cells_drawn(SECOND_EPOCH, (2, 4), narrow)
    assert len(cells) == 100 + 2  # the matrix, and the cursor's row and column names
    for text, style in cells:
        assert wcag_contrast(*colours_of(style)) >= 4.5, text


def hue(rgb) -> float:
    """0 red, 1/3 green (of HLS)."""
    return colorsys.rgb_to_hls(*(c / 255 for c in rgb))[0]


def test_a_class_mostly_wrong_has_a_red_diagonal_and_a_good_one_a_green_one():
    cells = dict(cells_drawn(SECOND_EPOCH, (0, 1)))  # counts are unique on the diagonal
    pullover, shirt, boot = (colours_of(cells[str(n)])[1] for n in (80, 100, 927))
    mistake = colours_of(cells["690"])[1]  # Pullover taken for a Coat, 69% of the row
    for bad in (pullover, shirt):
        assert bad[0] > 2 * max(bad[1:]) and hue(bad) == hue(mistake) == 0  # red, as a mistake
    assert abs(hue(boot) - 1 / 3) < 0.01 and boot[1] > 2 * boot[0]  # 93%: green
    assert cell_colours(0.08, diagonal=True) == cell_colours(0.10, diagonal=True)
    middling = cell_colours(0.7, diagonal=True)[1]  # 70%: yellow, a warning
    assert abs(hue(middling) - 1 / 6) < 0.01


def test_the_cursor_is_a_cell_of_its_own_colour():
    cells = cells_drawn(SECOND_EPOCH, (2, 4))
    cursor = {colours_of(style)[1] for text, style in cells if text in ("690", "Pullover", "Coat")}
    others = {colours_of(style)[1] for text, style in cells if text not in ("690", "Pullover",
                                                                            "Coat")}  # fmt: skip
    assert len(cursor) == 1 and not cursor & others
    (white,) = cursor
    assert all(wcag_contrast(white, other) > 1.5 for other in others)


# -- a damaged matrix from a log: shown if it can be, else said, never a crash -----------------


def damaged(row: int, col: int, value) -> list[list]:
    matrix = [list(r) for r in SECOND_EPOCH]
    matrix[row][col] = value
    return matrix


DAMAGED = {
    "negative": (damaged(2, 4, -5), "a negative count"),
    "not an integer": (damaged(0, 0, 780.5), "a count that is not an integer"),
    "NaN": (damaged(6, 6, math.nan), "a count that is not an integer"),
    "huge": (damaged(9, 9, 10**400), "a count larger than any test set"),
    "3x3": (((2, 0, 0), (0, 1, 1), (1, 0, 1)), "3×3, not 10×10"),
    "11 rows": ([*SECOND_EPOCH, SECOND_EPOCH[0]], "not square: 11 rows, one of 10 counts"),
    "ragged": ([*SECOND_EPOCH[:9], SECOND_EPOCH[9][:7]], "not square: 10 rows, one of 7 counts"),
}


async def show_events(pilot, data, *ends: EpochEnd) -> ErrorsView:
    """A run's first weights and these epoch ends, as its worker posts them, then F5."""
    board = pilot.app.dashboard
    await wait_until(pilot, lambda: board.data is not None)
    board.post_message(
        WeightsSnapshot(trained_inspector(data, epoch=ends[-1].epoch if ends else 0))
    )
    for end in ends:
        board.post_message(TrainingEvent(end, kept=None))
    await pilot.press("f5")
    await pilot.pause()
    return board.query_one(ErrorsView)


def end_with(epoch: int, matrix) -> EpochEnd:
    return EpochEnd(epoch, 1.0, 0.5, 1.1, 0.5, 2.0, 1000.0, confusion=matrix)


@pytest.mark.parametrize("case", DAMAGED, ids=str)
async def test_a_damaged_matrix_is_not_drawn_and_the_tab_says_why(tiny_dataset, case):
    matrix, why = DAMAGED[case]
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        view = await show_events(
            pilot, tiny_dataset, end_with(1, SECOND_EPOCH), end_with(2, matrix)
        )
        await wait_until(pilot, lambda: "damaged" in cell_shown(app))
        assert cell_shown(app) == (
            f"epoch 2's confusion matrix in the run's log is damaged ({why}); it is not drawn"
        )
        await pilot.press("down", "right", "n", "enter")  # the grid's keys do nothing harmful
        await pilot.pause()
        assert view.grid.matrix == () and rendered(view.grid).strip() == ""
        assert not view.images.thumbnails
        app.dashboard.post_message(TrainingEvent(end_with(3, SECOND_EPOCH), kept=None))
        await wait_until(pilot, lambda: view.grid.matrix == SECOND_EPOCH)
        assert cell_shown(app).startswith("epoch 3 · ")


async def test_rows_with_no_images_are_drawn_with_no_accuracy(tiny_dataset):
    matrix = (*SECOND_EPOCH[:5], (0,) * 10, *SECOND_EPOCH[6:])  # no Sandal in the test set
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        view = await show_events(pilot, tiny_dataset, end_with(1, matrix))
        await wait_until(pilot, lambda: view.grid.matrix == matrix)
        sandal = next(line for line in rendered(view.grid).splitlines() if "Sandal" in line[:12])
        assert sandal.split()[1:] == ["0"] * 10 + ["–"]
        await pilot.press(*["down"] * 5, *["right"] * 5)
        assert cell_shown(app) == "epoch 1 · 0 Sandal right, – of the Sandal"
    zeros = ((0,) * 10,) * 10
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        view = await show_events(pilot, tiny_dataset, end_with(1, zeros))
        await wait_until(pilot, lambda: view.grid.matrix == zeros)
        assert rendered(view.grid).count("–") == 10


@pytest.mark.parametrize(
    ("newest", "shown"),
    [
        (json.dumps(event_to_dict(end_with(2, damaged(2, 4, -5)))),
         "epoch 2's confusion matrix in the run's log is damaged (a negative count); "
         "it is not drawn"),
        (json.dumps({**event_to_dict(end_with(2, SECOND_EPOCH)), "confusion": damaged(0, 0, 0.5)}),
         "epoch 1 · 780 T-shirt/top right, 78.0% of the T-shirt/top"),  # a line no event: left out
    ],
)  # fmt: skip
async def test_a_damaged_metrics_file_shows_what_it_can_on_resume(tiny_dataset, tmp_path, newest,
                                                                  shown):  # fmt: skip
    """A resumed run's matrix comes from its metrics.jsonl, read as a resume reads it."""
    folder = make_run(tmp_path, "damaged", [started(), end_with(1, SECOND_EPOCH)])
    with folder.metrics_path.open("a") as log:
        log.write(newest + "\n")
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        view = await show_events(pilot, tiny_dataset)
        assert "appears here after the first epoch" in cell_shown(app)
        view.replay(folder.read_events(), upto=2)
        await wait_until(pilot, lambda: cell_shown(app) == shown)


def test_counts_too_long_for_a_cell_are_shortened_not_cut():
    assert [count_text(n, 5) for n in (99999, 123456, 1234567, 10_000_000)] == [
        "99999", "123k", "1235k", "10.0M"]  # fmt: skip
    assert count_text(10_000_000, 8) == "10000000"


# -- a cell's thumbnails: a grid that fills the room under the matrix, and scrolls -----------


def thumbnails(count: int) -> tuple[Thumbnail, ...]:
    """Test images 0..count-1, each a different diagonal ramp."""
    return tuple(
        Thumbnail(i, [[((r + c + i) % 28) / 28 for c in range(28)] for r in range(28)])
        for i in range(count)
    )


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_cells_images_wrap_into_rows_and_scroll_to_the_picked_one(tiny_dataset, size):
    app = make_app(tiny_dataset)
    async with app.run_test(size=size) as pilot:
        view = await show_events(pilot, tiny_dataset, end_with(1, SECOND_EPOCH))
        view.post_message(ErrorsView.Found(6, 0, thumbnails(40), 240))
        images = view.images
        await wait_until(pilot, lambda: images.thumbnails and images.has_focus)
        await pilot.pause()
        console = Console(width=images.content_region.width, file=io.StringIO(), record=True)
        console.print(images.render())
        lines = console.export_text().splitlines()
        labels = [line.split() for line in lines if line.startswith("#")]
        per_row = len(labels[0])
        assert per_row >= 7 and [n for row in labels for n in row] == [
            f"#{i + 1}" for i in range(40)
        ]
        assert len(labels) == -(-40 // per_row) and len(lines) == images.size.height
        scroll = view.query_one("#errors-images-scroll")
        assert scroll.region.bottom <= size[1] - 1  # above the footer
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == 0
        pitch = (len(lines) + 1) // len(labels)  # a row and a blank line
        assert all(not lines[row * pitch - 1].strip() for row in range(1, len(labels)))
        for row in range(1, len(labels)):
            await pilot.press("down")
            assert images.picked == row * per_row
            top, bottom = row * pitch, (row + 1) * pitch - 1  # the picked row, whole, is shown
            assert scroll.scroll_y <= top and bottom <= scroll.scroll_y + scroll.size.height
        last = (len(labels) - 1) * per_row  # the first of the last row
        await pilot.press("right", "up")
        assert images.picked == last + 1 - per_row
        await pilot.press("escape")
        assert view.grid.has_focus
