"""One run with the form's settings: the dashboard's first mode, and the base of the others."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.widget import Widget

from lenet_tui.runs.driver import RunDriver
from lenet_tui.ui.messages import RunEnded

if TYPE_CHECKING:
    from lenet_tui.engine.config import TrainConfig
    from lenet_tui.engine.data import Dataset
    from lenet_tui.ui.screens.dashboard import DashboardScreen


class SingleRun(Widget):
    """Start one run; its worker is the Train tab's (TrainView), which the screen starts. A mode
    is a widget never shown, so that its workers post their messages to it."""

    def __init__(self, board: DashboardScreen) -> None:
        super().__init__()
        self.board, self.display = board, False

    def begin(self, config: TrainConfig, data: Dataset) -> None:
        run_dir = self.board.folders.run_dir  # cleared once the run's folder is opened
        self.board.begin_run(self, lambda: RunDriver.new(config, data, run_dir), "Cannot start")

    def stop(self) -> None:
        """ctrl+x: the run in flight stops after its batch."""
        self.board.train_view.stop()

    def end_runs(self) -> None:
        """Quitting: no further run starts (the screen stops the one in flight)."""

    def run_opened(self, folder: Path) -> None:
        """A run's folder is open (the Train tab shows the run, a grid's next one too)."""

    def run_ended(self, message: RunEnded) -> None:
        """Say what to do next (for a run of a stopped grid: how to finish the grid)."""
        if not self.board.local_grid.say_stopped() and message.toast:
            self.notify(message.toast, timeout=4)

    def on_unmount(self) -> None:
        self.end_runs()  # however the app ends, no further run starts
