"""The test set's confusion matrix as a coloured grid with a cell cursor, and each class's accuracy.

Rows are the true classes, columns the predicted ones; a cell is coloured by its share of its row
(confusion_colours says how), so a class's mistakes stand out whatever the counts. A matrix read
from a log is checked first (`matrix_problem`): a damaged one is not drawn. Only the grid's own
text is drawn here; the Errors tab says what the cursor is on, or what is wrong with the matrix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from lenet_tui.engine.data_source import CLASSES
from lenet_tui.ui.widgets.confusion_colours import accuracy_style, cell_style, name_style

Matrix = tuple[tuple[int, ...], ...]

MOST_COUNT = 10_000_000
"""More images in one cell than any test set lenet-tui reads (an IDX file holds at most 2**30
bytes, 1.4 million images): a larger count is a damaged log's."""
SIZES = frozenset(len(names) for names in CLASSES.values())
"""The matrices a run can have: one row and column per class of a dataset (10)."""


def matrix_problem(matrix: object) -> str | None:
    """What makes a matrix read from a log impossible to draw, in a few words; None if it is
    fine. Rows with no images are fine (their accuracy is "–")."""
    if not isinstance(matrix, Sequence) or not all(isinstance(r, Sequence) for r in matrix):
        return "not a table of counts"
    size = len(matrix)
    ragged = next((len(row) for row in matrix if len(row) != size), None)
    if ragged is not None:
        return f"not square: {size} rows, one of {ragged} counts"
    if size not in SIZES:
        return f"{size}×{size}, not {' or '.join(f'{n}×{n}' for n in sorted(SIZES))}"
    values = [n for row in matrix for n in row]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in values):
        return "a count that is not an integer"
    if min(values) < 0:
        return "a negative count"
    if max(values) > MOST_COUNT:
        return "a count larger than any test set"
    return None


def abbreviate(name: str, width: int) -> str:
    """A class name in `width` cells: the part before a "/" ("T-shirt/top" -> "T-shirt"), the
    last word of several ("Ankle boot" -> "boot") when the whole does not fit, then cut."""
    if len(name) <= width:
        return name
    short = name.split("/")[0]
    if len(short) > width and " " in short:
        short = short.split()[-1]
    return short[:width]


def count_text(count: int, width: int) -> str:
    """A count in `width` characters: whole if it fits, else in thousands or millions."""
    text = str(count)
    if len(text) <= width:
        return text
    for unit, size in (("k", 1_000), ("M", 1_000_000)):
        for digits in (1, 0):
            short = f"{count / size:.{digits}f}{unit}"
            if len(short) <= width:
                return short
    return text[:width]


def row_shares(matrix: Matrix) -> list[list[float]]:
    """Each cell over its row's total (a row with no images: all 0)."""
    return [[n / sum(row) if sum(row) else 0.0 for n in row] for row in matrix]


class ConfusionGrid(Widget, can_focus=True):
    """The matrix with a cursor; `n` switches between counts and percentages of the row."""

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Move", show=False),
        Binding("down", "move(1, 0)", "Move", show=False),
        Binding("left", "move(0, -1)", "Move", show=False),
        Binding("right", "move(0, 1)", "Move", show=False),
        Binding("n", "toggle_normalised", "Counts/%"),
        Binding("enter", "choose", "Images"),
    ]

    DEFAULT_CSS = """
    ConfusionGrid {
        width: auto;
        height: auto;
    }
    """

    matrix: reactive[Matrix] = reactive((), layout=True)
    class_names: reactive[tuple[str, ...]] = reactive((), layout=True)
    normalised: reactive[bool] = reactive(False)
    cursor: reactive[tuple[int, int]] = reactive((0, 0))
    narrow: reactive[bool] = reactive(False, layout=True)
    """Abbreviated names and narrower cells, for 80 columns."""

    @dataclass
    class Chosen(Message):
        """Enter on a cell: the test images of class `true` predicted as `predicted`."""

        true: int
        predicted: int

    @dataclass
    class Moved(Message):
        """The cursor is on another cell (or the matrix changed under it)."""

        true: int
        predicted: int

    def watch_cursor(self, cursor: tuple[int, int]) -> None:
        self.post_message(self.Moved(*cursor))

    def watch_matrix(self, matrix: Matrix) -> None:
        size = len(matrix)
        row, col = self.cursor
        if size and (row >= size or col >= size):
            self.cursor = (min(row, size - 1), min(col, size - 1))
        else:
            self.post_message(self.Moved(row, col))

    def action_move(self, rows: int, cols: int) -> None:
        size = len(self.matrix)
        if size:
            row, col = self.cursor
            self.cursor = ((row + rows) % size, (col + cols) % size)

    def action_toggle_normalised(self) -> None:
        self.normalised = not self.normalised

    def action_choose(self) -> None:
        if self.matrix:
            self.post_message(self.Chosen(*self.cursor))

    def render(self) -> Table | str:
        if not self.matrix or matrix_problem(self.matrix):  # the Errors tab says what is wrong
            return ""
        return grid_table(self.matrix, self.class_names, self.cursor, self.normalised, self.narrow)


def grid_table(matrix: Matrix, classes: Sequence[str], cursor: tuple[int, int],
               normalised: bool, narrow: bool) -> Table:  # fmt: skip
    """The grid as a Rich table: a row per true class, its accuracy at the end."""
    names = [classes[i] if i < len(classes) else str(i) for i in range(len(matrix))]
    cell, label = (5, 8) if narrow else (8, 11)
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", width=label, no_wrap=True)
    header = [Text("")]
    for c, name in enumerate(names):
        table.add_column(justify="right", width=cell, no_wrap=True)
        header.append(Text(abbreviate(name, cell), style=name_style(c == cursor[1])))
    table.add_column(justify="right", width=5, no_wrap=True)
    table.add_row(*header, Text("acc", style="bold"))
    shares = row_shares(matrix)
    for r, (row, share_row) in enumerate(zip(matrix, shares, strict=True)):
        cells = [Text(abbreviate(names[r], label), style=name_style(r == cursor[0]))]
        for c, (count, share) in enumerate(zip(row, share_row, strict=True)):
            shown = f"{share:.0%}" if normalised else count_text(count, cell)
            style = cell_style(share, r == c, (r, c) == cursor)
            cells.append(Text(shown.rjust(cell), style=style))
        acc = share_row[r] if sum(row) else math.nan
        cells.append(Text("–" if math.isnan(acc) else f"{acc:.0%}", style=accuracy_style(acc)))
        table.add_row(*cells)
    return table
