"""The Train tab during a Ray grid: a header line, one row per run changing live, and the
highlighted run's note (why its state changed). The rows come from lenet_tui.ui.modes.trial_rows."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowDoesNotExist

from lenet_tui.runs.ray_grid import TrialUpdate
from lenet_tui.ui.modes.trial_rows import TrialRow, TrialRows
from lenet_tui.ui.widgets.literal_table import LiteralTable

TRIAL_STYLES = {
    "waiting": "dim",
    "running": "green",
    "retrying": "bold yellow",
    "finished": "cyan",
    "diverged": "red",
    "failed": "bold red",
    "stopped": "yellow",
    "lost": "bold red",
    "cancelled": "dim",
}
"""Each run state's colour (the kept-runs list's colours for the states both have)."""
COLUMNS = ("#", "run", "state", "epoch", "test acc", "try", "worker")


class TrialsView(Vertical):
    """`begin(rows)` shows a Ray grid's runs; `show(update)` changes the run's row."""

    DEFAULT_CSS = """
    TrialsView {
        height: auto;
    }
    TrialsView #trials-table {
        height: auto;
        max-height: 14;
    }
    TrialsView #trials-header, TrialsView #trials-note {
        height: 1;
        padding: 0 1;
    }
    TrialsView #trials-note {
        color: $text-muted;
    }
    """

    @dataclass
    class Highlighted(Message):
        """The cursor is on this run's row (the plot shows its curves)."""

        row: TrialRow

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: TrialRows | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="trials-header")
        yield LiteralTable(id="trials-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="trials-note")

    @property
    def table(self) -> LiteralTable:
        return self.query_one("#trials-table", LiteralTable)

    @property
    def highlighted(self) -> TrialRow | None:
        """The row under the cursor (None before a grid)."""
        if self.rows is None or self.table.row_count == 0:
            return None
        key, _ = self.table.coordinate_to_cell_key(self.table.cursor_coordinate)
        return self.rows.rows.get(int(str(key.value)))

    def begin(self, rows: TrialRows) -> None:
        """Show every run of the grid, from the top."""
        self.rows, table = rows, self.table
        table.clear(columns=True)
        for title in COLUMNS:
            table.add_column(title, key=title)
        for number, row in rows.rows.items():
            table.add_row(*_cells(row, rows.options.retries), key=str(number))
        table.move_cursor(row=0, animate=False)
        self.show_header()

    def show(self, update: TrialUpdate) -> tuple[TrialRow, bool] | None:
        """Fold an update in and redraw its row (only the cells that changed); the row and
        whether the update added a point to its curves."""
        if self.rows is None:
            return None
        row, point = self.rows.apply(update)
        key = str(row.run.number)
        with contextlib.suppress(RowDoesNotExist):
            shown = self.table.get_row(key)
            for title, old, new in zip(COLUMNS, shown, _cells(row, self.rows.options.retries),
                                       strict=True):  # fmt: skip
                if str(old) != str(new):
                    self.table.update_cell(key, title, new, update_width=True)
        if row is self.highlighted:
            self.show_note(row)
        return row, point

    def show_header(self, text: str | None = None) -> None:
        """The one line above the table: text, else how the grid stands."""
        if text is None and self.rows is not None:
            text = self.rows.header()
        self.query_one("#trials-header", Static).update(Text(text or "", no_wrap=True))

    def show_note(self, row: TrialRow) -> None:
        """Which run the plot shows (the highlighted one), and why its state last changed."""
        note = f"; {row.note}" if row.note else ""
        text = f"plotted: run {row.run.number} {row.run.name}{note}"
        self.query_one("#trials-note", Static).update(Text(text, no_wrap=True, overflow="ellipsis"))

    @on(DataTable.RowHighlighted, "#trials-table")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        row = self.highlighted
        if row is not None:
            self.show_note(row)
            self.post_message(self.Highlighted(row))


def _cells(row: TrialRow, retries: int) -> tuple[object, ...]:
    acc = "–" if row.test_acc is None else f"{row.test_acc:.3f}"
    state = Text(row.state, style=TRIAL_STYLES.get(row.state, ""))
    return (str(row.run.number), row.run.name, state, row.epochs, acc,
            f"{row.attempt}/{retries + 1}", row.where)  # fmt: skip
