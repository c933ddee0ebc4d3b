"""Write the chosen runs' per-epoch metrics as CSV where the user says (the Runs tab's e key)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from lenet_tui.errors import LenetError
from lenet_tui.runs.export import export_runs_csv
from lenet_tui.runs.folder import default_runs_dir


def default_csv_path() -> Path:
    """runs-YYYYmmdd-HHMMSS.csv in the runs dir."""
    return default_runs_dir() / f"runs-{datetime.now().strftime('%Y%m%d-%H%M%S')}.csv"


class ExportScreen(ModalScreen[Path | None]):
    """The path to write, filled in with a default: Enter writes there (a leading ~ expanded),
    Esc cancels. A path that cannot be written is said in one line and can be changed.

    Dismissed with the path written, or None.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, run_dirs: Sequence[Path]) -> None:
        super().__init__()
        self.run_dirs = list(run_dirs)

    def compose(self) -> ComposeResult:
        count = len(self.run_dirs)
        with Vertical(classes="runs-dialog") as body:
            body.border_title = f"Export {count} run{'s' if count != 1 else ''} as CSV"
            yield Label("write the per-epoch metrics to")
            yield Input(str(default_csv_path()), id="export-path")
            yield Static("Enter: write   Esc: cancel", classes="runs-dialog-keys")
        yield Footer()

    @on(Input.Submitted)
    def write(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.notify("give a file to write to", severity="warning")
            return
        out = Path(event.value.strip()).expanduser()
        try:
            rows = export_runs_csv(self.run_dirs, out)
        except LenetError as exc:
            self.notify(str(exc), title="Not exported", severity="error")
            return
        runs = len(self.run_dirs)
        self.notify(f"{rows} rows ({runs} runs, one row per epoch) written to {out}")
        self.dismiss(out)
