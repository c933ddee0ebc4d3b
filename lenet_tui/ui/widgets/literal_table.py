"""A DataTable that shows its text as written.

Textual's DataTable reads every str cell, column label and row label as markup: a run named
`[/]` would end the dashboard with a MarkupError, and `[@click=app.quit]x[/]` would be a link
that runs an action. Run names, notes, folder names and paths come from the user and from files,
so every table of the dashboard is a LiteralTable (tests/test_literal_text.py checks).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


def literal(value: object, wrap: bool = False) -> object:
    """A str as a Text shown as written (as DataTable would lay it out, less the markup);
    anything else (a Text, a number) as it is."""
    return Text(value, end="", no_wrap=not wrap) if isinstance(value, str) else value


class LiteralTable(DataTable):
    """A DataTable whose str cells and labels are text, never markup."""

    def add_column(self, label: str | Text, *, width: int | None = None, key: str | None = None,
                   default: object | None = None) -> ColumnKey:  # fmt: skip
        return super().add_column(literal(label), width=width, key=key, default=literal(default))

    def add_row(self, *cells: object, height: int | None = 1, key: str | None = None,
                label: str | Text | None = None) -> RowKey:  # fmt: skip
        wrap = height != 1  # what DataTable does with a str cell
        row = [literal(cell, wrap) for cell in cells]
        return super().add_row(*row, height=height, key=key, label=literal(label, wrap))

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: object, *,
                    update_width: bool = False) -> None:  # fmt: skip
        row = self.rows.get(row_key)  # type: ignore[call-overload]
        wrap = row is not None and row.height != 1
        super().update_cell(row_key, column_key, literal(value, wrap), update_width=update_width)
