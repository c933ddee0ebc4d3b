"""The Runs tab: every kept run (filter, sort, name, delete, export), and the chosen ones'
curves overlaid.

The folders are scanned in a thread worker (lenet_tui.runs.catalog.RunCatalog re-reads only
folders that changed) when the tab is shown, and while it is shown, when a run of this session
opens or finishes an epoch, so a run training here updates live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Input, Static

from lenet_tui.engine.events import EpochEnd, RunDiverged, RunFailed, RunFinished, RunStopped
from lenet_tui.runs.catalog import COLUMNS, RunCatalog, filter_runs, run_labels
from lenet_tui.runs.catalog import sort_runs as sorted_runs
from lenet_tui.runs.folder import RunFolder, default_runs_dir
from lenet_tui.runs.history import RunSummary
from lenet_tui.ui.messages import TrainingEvent
from lenet_tui.ui.widgets.overlay_plot import METRICS, RUN_COLOURS, OverlaidRun, OverlayPlot
from lenet_tui.ui.widgets.run_actions import RunActions
from lenet_tui.ui.widgets.runs_compare import RunsCompare, legend
from lenet_tui.ui.widgets.runs_table import RunsTable

MOST_CHOSEN = len(RUN_COLOURS)
RESCAN_ON = (EpochEnd, RunFinished, RunStopped, RunDiverged, RunFailed)
"""Events of this session's run after which its row and curve are read again."""
ViewMode = Literal["both", "list", "overlay"]


@dataclass
class RunsScanned(Message):
    """The run folders were read: every kept run, newest first; or the one-line error of a
    scan that failed (a bug: a damaged folder is a damaged row)."""

    runs: list[RunSummary]
    error: str = ""


KEYS_HINT = "n name  d delete  m metric  v view  S reverse  c clear"
"""The Runs tab's keys that the footer has no room for (80 columns)."""


def marks(chosen: list[Path]) -> dict[Path, Text]:
    """The list's mark of each run overlaid: a dot of its colour on the plot."""
    return {
        path: Text("●", style=f"bold rgb({r},{g},{b})")
        for path, (r, g, b) in zip(chosen, RUN_COLOURS, strict=False)
    }


def sort_order(column: int | None, reverse: bool) -> str:
    """How the list is sorted, as its hint line says it."""
    if column is None:
        return "oldest first" if reverse else "newest first"
    return COLUMNS[column].title + (" ↑" if reverse else "")


class RunsView(RunActions, Vertical, can_focus=True):
    """The kept runs; the screen passes on this session's run folders and training events."""

    BINDINGS = [
        Binding("space", "choose", "Pick"),
        Binding("s", "sort", "Sort"),
        Binding("slash", "filter", "Find"),
        Binding("e", "export", "Export"),
        Binding("n", "name", "Name and note", show=False),
        Binding("d,delete", "delete", "Delete run", show=False),
        Binding("m", "metric", "Plot metric", show=False),
        Binding("v", "view", "List/plot view", show=False),
        Binding("S", "sort(True)", "Reverse sort", show=False),
        Binding("c", "clear", "Clear overlay", show=False),
    ]

    view_mode: reactive[ViewMode] = reactive("both")
    sort_column: reactive[int | None] = reactive(None)
    """Index into COLUMNS of the sort column; None: newest first."""
    sort_reverse: reactive[bool] = reactive(False)

    def __init__(self, opened: list[Path] | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.opened = opened if opened is not None else []
        """The run folders opened since the dashboard started (the screen adds to it)."""
        self.catalog = RunCatalog()
        self.runs: list[RunSummary] = []
        """Every kept run, newest first, as last scanned."""
        self.chosen: list[Path] = []
        """The runs overlaid, in the order they were chosen (which gives their colours)."""
        self._grid_waiting: list[Path] = []
        """A grid's runs done, to overlay once a scan lists them (`show_grid`)."""
        self._grid_shown: set[Path] = set()
        self._shown = False
        self._scan: Literal["idle", "scanning", "again"] = "idle"
        """"again": something changed while a scan ran; scan once more when it ends."""
        self.table = RunsTable(id="runs-table")
        self.plot = OverlayPlot(id="runs-plot")

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: type words any row text holds (/)", id="runs-filter")
        yield Static(id="runs-hint")
        yield self.table
        with Vertical(id="runs-overlay"):
            yield Static(id="runs-legend")
            with Horizontal(id="runs-overlay-body"):
                yield self.plot
                yield RunsCompare(id="runs-compare")

    # -- scanning ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.rescan(hidden_too=True)  # so that the list is ready when the tab is first shown

    def on_show(self) -> None:
        self._shown = True
        self._focus_list()
        self.rescan()

    def on_hide(self) -> None:
        self._shown = False

    def rescan(self, hidden_too: bool = False) -> None:
        """Read the run folders again (only changed ones are re-read) if the tab is shown;
        else it is done when the tab is next shown. One scan at a time."""
        if not (self._shown or hidden_too):
            return
        if self._scan != "idle":
            self._scan = "again"
            return
        self._scan = "scanning"
        self.scan(default_runs_dir(), list(self.opened))

    @work(thread=True, exit_on_error=False, group="runs-scan")
    def scan(self, base: Path, also: list[Path]) -> None:
        try:
            self.post_message(RunsScanned(self.catalog.scan(base, also)))
        except Exception as exc:  # a bug: shown, never a dead worker
            self.post_message(RunsScanned(self.runs, f"{type(exc).__name__}: {exc}"))

    @on(RunsScanned)
    def show_scan(self, message: RunsScanned) -> None:
        again, self._scan = self._scan == "again", "idle"
        if message.error:
            self.notify(message.error, title="Cannot list the runs", severity="error")
        self.runs = message.runs
        known = {run.folder.path for run in self.runs}
        self.chosen = [path for path in self.chosen if path in known]
        for path in [path for path in self._grid_waiting if path in known]:
            self._grid_waiting.remove(path)
            self._grid_shown.add(path)
            if path not in self.chosen and len(self.chosen) < MOST_CHOSEN:
                self.chosen.append(path)
        self.refill()
        if again:
            self.rescan()

    def run_opened(self, folder: RunFolder) -> None:
        """A run of this session has its folder (a new run, or a kept one going on)."""
        self.rescan()

    def show_grid(self, done: Sequence[Path]) -> None:
        """Overlay a grid's runs as they are done: the screen passes the runs done so far after
        each run of the grid ends, and none as a grid begins (which clears the overlay). Each is
        picked once a scan lists it (up to MOST_CHOSEN); one the user unpicks stays unpicked."""
        if not done:
            self.chosen, self._grid_shown = [], set()
        self._grid_waiting = [path for path in done if path not in self._grid_shown]
        self.rescan(hidden_too=True)

    def follow(self, message: TrainingEvent) -> None:
        """An event of the run training in this session, for its live row and curve."""
        if isinstance(message.event, RESCAN_ON):
            self.rescan()

    # -- what is shown -------------------------------------------------------------------------

    @property
    def listed(self) -> list[RunSummary]:
        """The runs the list shows: filtered, in the chosen order."""
        query = self.query_one("#runs-filter", Input).value
        return sorted_runs(filter_runs(self.runs, query), self.sort_column, self.sort_reverse)

    def refill(self) -> None:
        self.table.fill(self.listed, marks(self.chosen))
        self._show_hint()
        self._show_overlay()

    def _show_hint(self) -> None:
        shown, total = self.table.row_count, len(self.runs)
        noun = "run" if total == 1 else "runs"
        count = f"{total} {noun}" if shown == total else f"{shown} of {total} {noun}"
        order = sort_order(self.sort_column, self.sort_reverse)
        self.query_one("#runs-hint", Static).update(
            f"{count} · by {order} · {len(self.chosen)} picked · {self.plot.metric} · {KEYS_HINT}"
        )

    def _show_overlay(self) -> None:
        by_path = {run.folder.path: run for run in self.runs}
        runs = [by_path[path] for path in self.chosen]
        colours = RUN_COLOURS[: len(runs)]
        labels = run_labels(runs)
        self.plot.show_runs([
            OverlaidRun(label, colour, run.epochs, run.folder.metrics_path)
            for label, colour, run in zip(labels, colours, runs, strict=True)
        ])  # fmt: skip
        self.query_one("#runs-legend", Static).update(legend(labels, colours))
        self.query_one(RunsCompare).show_runs(runs, colours)

    @on(Input.Changed, "#runs-filter")
    def filter_changed(self) -> None:
        self.refill()

    @on(Input.Submitted, "#runs-filter")
    def filter_done(self) -> None:
        self._focus_list()

    @on(DataTable.HeaderSelected)
    def header_clicked(self, event: DataTable.HeaderSelected) -> None:
        column = event.column_index - 1  # the first column holds the overlay marks
        if column >= 0:
            same = column == self.sort_column
            self.sort_reverse = not self.sort_reverse if same else False
            self.sort_column = column

    def _sort_changed(self) -> None:
        if self.is_mounted:
            self.refill()

    watch_sort_column = watch_sort_reverse = _sort_changed

    def watch_view_mode(self, mode: ViewMode) -> None:
        self.set_class(mode == "list", "-list-only")
        self.set_class(mode == "overlay", "-overlay-only")
        if self._shown:  # at mount the tab is hidden: focus there would show it
            self._focus_list()

    def _focus_list(self) -> None:
        """Keys go to the list, or to the view itself while the list is hidden."""
        if self.is_mounted:  # at once: a focus() would come after the screen's own changes
            self.screen.set_focus(self if self.view_mode == "overlay" else self.table)

    # -- keys ----------------------------------------------------------------------------------

    def _highlighted(self) -> RunSummary | None:
        path = self.table.highlighted_path
        return next((run for run in self.runs if run.folder.path == path), None)

    def action_choose(self) -> None:
        run = self._highlighted()
        if run is None:
            return
        path = run.folder.path
        if path in self.chosen:
            self.chosen.remove(path)
        elif len(self.chosen) >= MOST_CHOSEN:
            self.notify(f"at most {MOST_CHOSEN} runs overlaid; space on one removes it")
            return
        else:
            self.chosen.append(path)
        self.table.set_marks(marks(self.chosen))
        self._show_hint()
        self._show_overlay()

    def action_clear(self) -> None:
        self.chosen = []
        self.refill()

    def action_metric(self) -> None:
        self.plot.metric = METRICS[(METRICS.index(self.plot.metric) + 1) % len(METRICS)]
        self._show_hint()

    def action_sort(self, reverse: bool = False) -> None:
        """s: the next column (after the last, newest first again); S: the other direction."""
        if reverse:
            self.sort_reverse = not self.sort_reverse
            return
        following = 0 if self.sort_column is None else self.sort_column + 1
        self.sort_reverse = False
        self.sort_column = following if following < len(COLUMNS) else None

    def action_filter(self) -> None:
        self.query_one("#runs-filter", Input).focus()

    def action_view(self) -> None:
        order: list[ViewMode] = ["both", "list", "overlay"]
        self.view_mode = order[(order.index(self.view_mode) + 1) % len(order)]
