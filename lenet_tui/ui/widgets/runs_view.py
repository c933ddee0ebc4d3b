"""The Runs tab: every kept run, and the chosen ones' curves overlaid (being built: issue 11)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from lenet_tui.runs.folder import RunFolder
from lenet_tui.ui.messages import TrainingEvent


class RunsView(Vertical):
    """The kept runs; the screen passes on this session's run folders and training events."""

    def compose(self) -> ComposeResult:
        yield Static("the kept runs will be listed here", id="runs-placeholder")

    def run_opened(self, folder: RunFolder) -> None:
        """A run of this session has its folder (a new run, or a kept one going on)."""

    def follow(self, message: TrainingEvent) -> None:
        """An event of the run training in this session, for its live row and curve."""
