"""The test set's confusion matrix as a coloured grid with a cell cursor, and each class's accuracy.

Rows are the true classes, columns the predicted ones; a cell's colour is its share of its row,
green on the diagonal (right) and red off it (wrong), so a class's mistakes stand out whatever the
counts. Only the grid's own text is drawn here; the Errors tab says what the cursor is on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

Matrix = tuple[tuple[int, ...], ...]

RIGHT = (22, 163, 74)
"""The diagonal's colour at 100% of its row."""
WRONG = (220, 38, 38)
"""An off-diagonal cell's colour at its strongest (see `cell_style`)."""
BACKGROUND = (30, 30, 36)


def abbreviate(name: str, width: int) -> str:
    """A class name in `width` cells: the part before a "/" ("T-shirt/top" -> "T-shirt"), the
    last word of several ("Ankle boot" -> "boot") when the whole does not fit, then cut."""
    if len(name) <= width:
        return name
    short = name.split("/")[0]
    if len(short) > width and " " in short:
        short = short.split()[-1]
    return short[:width]


def row_shares(matrix: Matrix) -> list[list[float]]:
    """Each cell over its row's total (a row with no images: all 0)."""
    return [[n / sum(row) if sum(row) else 0.0 for n in row] for row in matrix]


def cell_style(share: float, diagonal: bool) -> Style:
    """Green for the right answers, red for the mistakes; a mistake is coloured on a square-root
    scale, so that 2% of a row already shows while 30% is loud."""
    strength = share if diagonal else min(1.0, math.sqrt(share * 3))
    r, g, b = (
        round(low + (high - low) * strength)
        for low, high in zip(BACKGROUND, RIGHT if diagonal else WRONG, strict=True)
    )
    text = "black" if strength > 0.6 else "white"
    return Style.parse(f"{text} on rgb({r},{g},{b})")


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
        if not self.matrix:
            return ""
        return grid_table(self.matrix, self.class_names, self.cursor, self.normalised, self.narrow)


def grid_table(matrix: Matrix, classes: Sequence[str], cursor: tuple[int, int],
               normalised: bool, narrow: bool) -> Table:  # fmt: skip
    """The grid as a Rich table: a row per true class, its accuracy at the end."""
    names = [classes[i] if i < len(classes) else str(i) for i in range(len(matrix))]
    cell, label = (4, 8) if narrow else (8, 11)
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", width=label, no_wrap=True)
    header = [Text("")]
    for c, name in enumerate(names):
        table.add_column(justify="right", width=cell, no_wrap=True)
        header.append(Text(abbreviate(name, cell), style=_name_style(c == cursor[1])))
    table.add_column(justify="right", width=5, no_wrap=True)
    table.add_row(*header, Text("acc", style="bold"))
    shares = row_shares(matrix)
    for r, (row, share_row) in enumerate(zip(matrix, shares, strict=True)):
        cells = [Text(abbreviate(names[r], label), style=_name_style(r == cursor[0]))]
        for c, (count, share) in enumerate(zip(row, share_row, strict=True)):
            shown = f"{share:.0%}" if normalised else str(count)
            style = cell_style(share, r == c)
            if (r, c) == cursor:
                style += Style(reverse=True, bold=True)
            cells.append(Text(shown.rjust(cell), style=style))
        acc = share_row[r] if sum(row) else math.nan
        cells.append(Text("–" if math.isnan(acc) else f"{acc:.0%}", style=_acc_style(acc)))
        table.add_row(*cells)
    return table


def _acc_style(acc: float) -> str:
    if math.isnan(acc):
        return "dim"
    return "green" if acc >= 0.9 else "yellow" if acc >= 0.7 else "red"


def _name_style(on_cursor: bool) -> str:
    return "bold reverse" if on_cursor else "bold"
