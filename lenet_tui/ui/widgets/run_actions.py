"""What the Runs tab does to runs on disk: name one, delete one, export the picked ones as CSV.

A mixin of RunsView, which holds the list (`_highlighted`, `chosen`, `rescan`); the files are
lenet_tui.runs' (notes.py, catalog.delete_run, export.py), the dialogs lenet_tui.ui.screens'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lenet_tui.errors import LenetError
from lenet_tui.runs.catalog import delete_run
from lenet_tui.runs.folder import is_being_trained
from lenet_tui.runs.history import RunSummary
from lenet_tui.runs.notes import RunNote, write_note
from lenet_tui.ui.screens.confirm import ConfirmScreen
from lenet_tui.ui.screens.export_csv import ExportScreen
from lenet_tui.ui.screens.run_note import NoteScreen

if TYPE_CHECKING:
    from lenet_tui.ui.widgets.runs_view import RunsView

    _Base = RunsView
else:
    _Base = object


class RunActions(_Base):
    """n names the highlighted run, d deletes it (never one being trained), e exports."""

    def action_name(self) -> None:
        run = self._highlighted()
        if run is not None:
            self.app.push_screen(
                NoteScreen(run.name, run.note), lambda note: self._named(run, note)
            )

    def _named(self, run: RunSummary, note: RunNote | None) -> None:
        if note is None:
            return
        try:
            write_note(run.folder.path, note)
        except LenetError as exc:
            self.notify(str(exc), title="Cannot keep the name", severity="error")
        self.rescan()

    def action_delete(self) -> None:
        run = self._highlighted()
        if run is None:
            return
        if is_being_trained(run.folder):
            self.notify(f"{run.title} is being trained; stop it first", severity="warning")
            return
        question = f"Delete the run {run.title} and every file in\n{run.folder.path}?"
        screen = ConfirmScreen("Delete a run", question + "\nThis cannot be undone.")
        self.app.push_screen(screen, lambda yes: self._delete(run) if yes else None)

    def _delete(self, run: RunSummary) -> None:
        try:
            delete_run(run.folder.path)
        except LenetError as exc:
            self.notify(str(exc), title="Not deleted", severity="error")
        else:
            self.notify(f"deleted {run.folder.path}")
        self.rescan()

    def action_export(self) -> None:
        run = self._highlighted()
        paths = list(self.chosen) or ([run.folder.path] if run is not None else [])
        if paths:
            self.app.push_screen(ExportScreen(paths))
        else:
            self.notify("no runs to export", severity="warning")
