"""Pick a kept run to continue from its last checkpoint (ctrl+o)."""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from lenet_tui.runs.catalog import model_summary
from lenet_tui.runs.history import RunSummary
from lenet_tui.ui.widgets.literal_table import LiteralTable

MAX_NAME = 40
"""Characters of a run's name in the list (the detail line under it gives its whole folder)."""
STATE_STYLES = {
    "running": "green",
    "finished": "cyan",
    "stopped": "yellow",
    "interrupted": "yellow",
    "diverged": "red",
    "failed": "red",
    "damaged": "red",
}


class ResumeScreen(ModalScreen[Path | None]):
    """The kept runs, newest first; Enter resumes the highlighted one, Esc goes back.

    Dismissed with the run folder to resume, or None.
    """

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("enter", "resume", "Resume", priority=True),
    ]

    def __init__(self, runs: list[RunSummary], where: Path, preselect: Path | None = None) -> None:
        super().__init__()
        self.runs = runs
        self._where = where
        self._preselect = preselect

    def compose(self) -> ComposeResult:
        with Vertical(id="resume-body") as body:
            body.border_title = "Resume a run"
            yield Static(self._heading(), id="resume-heading")
            yield LiteralTable(id="resume-runs", cursor_type="row", zebra_stripes=True)
            yield Static(id="resume-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("run", "state", "epochs", "test acc", "lr", "batch", "model")
        for run in self.runs:
            table.add_row(*_cells(run), key=str(run.folder.path))
        if self.runs:
            table.move_cursor(row=self._first_row())
        table.focus()

    def _heading(self) -> Text:
        """What the list holds (its folder's name as written, never as markup)."""
        if not self.runs:
            return Text(
                f"No runs kept in {self._where} yet. A run started with ctrl+r is kept there."
            )
        return Text(f"Runs kept in {self._where}, newest first. Enter resumes; Esc goes back.")

    def _first_row(self) -> int:
        paths = [run.folder.path for run in self.runs]
        if self._preselect is not None and self._preselect in paths:
            return paths.index(self._preselect)
        resumable = [i for i, run in enumerate(self.runs) if run.resumable]
        return resumable[0] if resumable else 0

    @property
    def highlighted(self) -> RunSummary | None:
        table = self.query_one(DataTable)
        if not self.runs or table.cursor_row < 0:
            return None
        return self.runs[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def show_detail(self) -> None:
        run = self.highlighted
        self.query_one("#resume-detail", Static).update(_detail(run) if run else Text(""))

    @on(DataTable.RowSelected)
    def row_selected(self) -> None:
        self.action_resume()

    def action_resume(self) -> None:
        run = self.highlighted
        if run is None:
            self.dismiss(None)
        elif run.resumable:
            self.dismiss(run.folder.path)
        else:
            self.notify(_why_not(run), title="Cannot resume this run", severity="warning")


def _cells(run: RunSummary) -> tuple[object, ...]:
    """The run as the Runs tab names it (its given name, else `grid/run`), cut to fit, and its
    figures; every cell literal text, never markup."""
    config = run.config
    name = Text(_cut(run.title, MAX_NAME))
    state = Text(run.state, style=STATE_STYLES.get(run.state, ""))
    if config is None:
        return (name, state, *(Text("–") for _ in range(5)))
    acc = "–" if run.test_acc is None else f"{run.test_acc:.3f}"
    return (
        name,
        state,
        Text(f"{run.epochs_done} / {config.epochs}"),
        Text(acc),
        Text(f"{config.lr:g}"),
        Text(str(config.batch_size)),
        Text(model_summary(config.model)),
    )


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _detail(run: RunSummary) -> Text:
    age = _age(time.time() - run.modified) if run.modified else "unknown"
    after = "the start" if run.epochs_done == 0 else f"epoch {run.epochs_done}"
    what = f"resumes from {after}" if run.resumable else _why_not(run)
    return Text(f"{run.folder.path}\nlast changed {age} ago; {what}")  # literal, as a path is


def _why_not(run: RunSummary) -> str:
    if run.config is None:
        return f"its {run.folder.config_path.name} is damaged; start a new run instead"
    if run.state == "running":
        return "another lenet-tui is training it right now"
    if run.state == "finished" or run.epochs_done >= run.config.epochs:
        return f"it finished all {run.config.epochs} epochs; there is nothing to resume"
    if run.state == "diverged":
        return (
            "it diverged, and a resume would repeat the same steps; start a new run with a "
            "lower learning rate"
        )
    if not run.has_checkpoint:
        return "it has no checkpoint (it ended before training began); start it anew"
    return "it cannot be resumed"


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
