"""The Errors tab: where the network errs, as the test set's confusion matrix (issue 12)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from lenet_tui.ui.messages import TrainingEvent


class ErrorsView(Vertical):
    """The newest epoch's confusion matrix; the screen passes on the training events."""

    def compose(self) -> ComposeResult:
        yield Static("the confusion matrix appears after the first epoch", id="errors-placeholder")

    def follow(self, message: TrainingEvent) -> None:
        """An event of the run training in this session (epoch ends carry the matrix)."""
