"""Ask before doing something that cannot be undone (deleting a run folder, say)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static


class ConfirmScreen(ModalScreen[bool]):
    """A question over the dashboard: y confirms, n or Esc declines. Dismissed with the answer.

    The title and question are shown as written (they name runs and folders), never as markup.
    """

    BINDINGS = [
        Binding("y", "dismiss(True)", "Yes"),
        Binding("n,escape", "dismiss(False)", "No"),
    ]

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self._title = title
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="runs-dialog") as body:
            body.border_title = Text(self._title)
            yield Static(Text(self._question))
            yield Static("y: yes   n or Esc: no", classes="runs-dialog-keys")
        yield Footer()
