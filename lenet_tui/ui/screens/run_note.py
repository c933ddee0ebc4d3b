"""Give a kept run a name and a note (the Runs tab's n key)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from lenet_tui.runs.notes import MAX_NAME, MAX_NOTE, RunNote


class NoteScreen(ModalScreen[RunNote | None]):
    """Edit a run's name and note: Enter in the name goes to the note, Enter in the note saves,
    Esc cancels. Dismissed with the new RunNote, or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, folder_name: str, note: RunNote) -> None:
        super().__init__()
        self._folder_name = folder_name
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="runs-dialog") as body:
            body.border_title = Text(f"Name and note of {self._folder_name}")  # never markup
            yield Label("name (shown in the list instead of the folder's)")
            yield Input(self._note.name, max_length=MAX_NAME, id="note-name")
            yield Label("note (found by the filter)")
            yield Input(self._note.note, max_length=MAX_NOTE, id="note-text")
            yield Static(
                "Enter: next / save   Esc: cancel   empty both: remove", classes="runs-dialog-keys"
            )
        yield Footer()

    @on(Input.Submitted, "#note-name")
    def next_field(self) -> None:
        self.query_one("#note-text", Input).focus()

    @on(Input.Submitted, "#note-text")
    def save(self) -> None:
        name = self.query_one("#note-name", Input).value
        self.dismiss(RunNote(name, self.query_one("#note-text", Input).value))
