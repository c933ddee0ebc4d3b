"""The Runs tab's list: one row per kept run, a mark for the runs chosen for the overlay."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from rich.text import Text
from textual.widgets.data_table import RowDoesNotExist

from lenet_tui.runs.catalog import COLUMNS, row_text
from lenet_tui.runs.history import RunSummary
from lenet_tui.ui.screens.resume import STATE_STYLES
from lenet_tui.ui.widgets.literal_table import LiteralTable

MARK_COLUMN = "mark"


class RunsTable(LiteralTable):
    """Rows keyed by run folder. `fill` rebuilds the rows only when the runs or their order
    changed, else it redraws just the rows of runs read again (a run training here): with
    1,000 runs a rebuild takes a noticeable part of a second."""

    DEFAULT_CSS = """
    RunsTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._runs: list[RunSummary] = []
        self._marks: dict[Path, Text] = {}

    def on_mount(self) -> None:
        self.add_column(" ", key=MARK_COLUMN, width=1)
        for column in COLUMNS:
            self.add_column(column.title, key=column.title)

    def fill(self, runs: Sequence[RunSummary], marks: dict[Path, Text]) -> None:
        """Show these runs, in order; a run in marks gets its mark in the first column."""
        if [r.folder.path for r in runs] != [r.folder.path for r in self._runs]:
            self._rebuild(runs, marks)
            return
        for old, new in zip(self._runs, runs, strict=True):
            if old is not new:  # read again: the catalog keeps unchanged runs as they were
                for column, cell in zip(COLUMNS, _cells(new), strict=True):
                    self.update_cell(str(new.folder.path), column.title, cell)
        self._runs = list(runs)
        self.set_marks(marks)

    def _rebuild(self, runs: Sequence[RunSummary], marks: dict[Path, Text]) -> None:
        keep = self.highlighted_path
        self.clear()
        self._runs, self._marks = list(runs), dict(marks)
        for run in runs:
            path = run.folder.path
            self.add_row(marks.get(path, " "), *_cells(run), key=str(path))
        if keep is not None:
            with contextlib.suppress(RowDoesNotExist):  # the run was deleted or filtered out
                self.move_cursor(row=self.get_row_index(str(keep)), animate=False)

    def set_marks(self, marks: dict[Path, Text]) -> None:
        """Marks for the runs in marks, blank for the others (only changed rows redrawn)."""
        shown = {run.folder.path for run in self._runs}
        for path in set(marks) | set(self._marks):
            if path in shown and _look(marks.get(path)) != _look(self._marks.get(path)):
                self.update_cell(str(path), MARK_COLUMN, marks.get(path, " "))
        self._marks = dict(marks)

    @property
    def highlighted_path(self) -> Path | None:
        """The run folder of the row under the cursor (None in an empty list)."""
        if self.row_count == 0 or self.cursor_row < 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return Path(str(row_key.value))


def _cells(run: RunSummary) -> list[object]:
    """The run's cells, one per column of COLUMNS, its state in its colour."""
    cells: list[object] = list(row_text(run))
    state = [c.title for c in COLUMNS].index("state")
    cells[state] = Text(run.state, style=STATE_STYLES.get(run.state, ""))
    return cells


def _look(mark: Text | None) -> tuple[str, str] | None:
    """What a mark looks like (rich Text equality ignores its style)."""
    return None if mark is None else (mark.plain, str(mark.style))
