"""The Train tab during a Ray grid: a header line, one row per run changing live, and the
highlighted run's note (why its state changed).

`TrialRows` folds the grid's `GridUpdate`s (from the Ray grid mode's worker) into what every
run's row shows (state, epoch, test acc, attempt, worker) and the one-line header.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowDoesNotExist

from lenet_tui.engine.events import EpochEnd, RunStarted, TrainProgress
from lenet_tui.runs.grid import Grid, GridRun
from lenet_tui.runs.grid_runner import ENDED, UNFINISHED, GridUpdate, TrialState
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.runs.ray_trial import TrialWorker
from lenet_tui.ui.widgets.literal_table import LiteralTable

STATE_ORDER: tuple[TrialState, ...] = (
    "running", "retrying", "waiting", "finished", "diverged", "failed", "stopped", "lost",
    "cancelled",
)  # fmt: skip
"""The order the header counts the states in."""
DONE: tuple[TrialState, ...] = ("finished", "diverged")
"""A run in these states is done: the Runs tab overlays it, a resume leaves it alone."""
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


@dataclass
class TrialRow:
    """What the table shows of one run, and the points of its curves."""

    run: GridRun
    state: TrialState = "waiting"
    epoch: float = 0.0
    """How far it trained, in epochs (fractional while an epoch is under way)."""
    test_acc: float | None = None
    attempt: int = 1
    worker: TrialWorker | None = None
    note: str = ""
    points: list[TrainProgress | EpochEnd] = field(default_factory=list)
    """Its TrainProgress and EpochEnd events, for the plot."""

    def apply(self, update: GridUpdate) -> bool:
        """Fold in an update; whether it added a point to the curves."""
        self.state, self.attempt = update.state, update.attempt
        self.worker = update.worker or self.worker
        if update.note:
            self.note = update.note
        event = update.event
        if isinstance(event, RunStarted):
            self.epoch = float(event.start_epoch)  # a retry goes on from its checkpoint
            again = f"try {update.attempt}, from the checkpoint of epoch {event.start_epoch}"
            self.note = again if event.start_epoch else ""
            self.points = [p for p in self.points if p.epoch <= event.start_epoch]
        elif isinstance(event, TrainProgress):
            self.epoch = event.epoch
        elif isinstance(event, EpochEnd):
            self.epoch, self.test_acc = float(event.epoch), event.test_acc
        if isinstance(event, (TrainProgress, EpochEnd)):
            self.points.append(event)
            return True
        return False

    @property
    def epochs(self) -> str:
        """`1.4/2` while training, `2/2` at an epoch's end."""
        shown = f"{self.epoch:.0f}" if self.epoch == math.floor(self.epoch) else f"{self.epoch:.1f}"
        return f"{shown}/{self.run.config.epochs}"

    @property
    def where(self) -> str:
        """`pid@node` of the worker it trains (or trained) on; "" before it starts."""
        return f"{self.worker.pid}@{self.worker.node}" if self.worker else ""


class TrialRows:
    """Every run of a Ray grid, by number, as the updates so far say it stands."""

    def __init__(self, grid: Grid, options: RayOptions) -> None:
        self.grid = grid
        self.options = options
        self.rows = {run.number: TrialRow(run) for run in grid.runs}
        for run in grid.runs:
            if run.action() == "done":  # a grid resumed with runs done before
                self.rows[run.number].state = "finished"
        self.parallel = 0
        """How many runs train at once (0 until Ray is joined)."""

    def apply(self, update: GridUpdate) -> tuple[TrialRow, bool]:
        """Fold in an update: the row it changed, and whether it added a point to the curves."""
        row = self.rows.setdefault(update.run.number, TrialRow(update.run))
        return row, row.apply(update)

    def count(self, *states: TrialState) -> int:
        return sum(row.state in states for row in self.rows.values())

    @property
    def ended(self) -> bool:
        return all(row.state in ENDED for row in self.rows.values())

    def unfinished(self) -> list[TrialRow]:
        """The runs that failed or were lost (not those stopped or cancelled by a stop)."""
        return [row for row in self.rows.values() if row.state in UNFINISHED]

    def header(self) -> str:
        """`1/4 done · 2 running · 1 waiting · 1 finished · Ray: 2 at once on this machine`:
        what changes first, so that a narrow screen cuts only the end."""
        total, done = len(self.rows), self.count(*DONE)
        if not self.parallel and not self.count("running", *ENDED):
            verb = "starting Ray on" if self.options.address == "local" else "joining"
            return f"0/{total} done · {verb} {self.options.where}…"
        counts = [f"{self.count(s)} {s}" for s in STATE_ORDER if self.count(s)]
        at_once = f"{self.parallel} at once on" if self.parallel else "on"
        return " · ".join([f"{done}/{total} done", *counts, f"Ray: {at_once} {self.options.where}"])


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

    def show(self, update: GridUpdate) -> tuple[TrialRow, bool] | None:
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
