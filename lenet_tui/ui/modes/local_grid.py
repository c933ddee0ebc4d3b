"""A grid from the form (its vary field) trained here: its runs in turn, each as a single run.

The grid itself (its folder, its runs, what is done) is lenet_tui.ui.modes.grid_progress's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lenet_tui.errors import LenetError
from lenet_tui.runs.driver import RunDriver
from lenet_tui.ui.messages import RunEnded
from lenet_tui.ui.modes.grid_progress import GridProgress, GridRequest
from lenet_tui.ui.modes.single import SingleRun
from lenet_tui.ui.widgets.runs_view import RunsView

if TYPE_CHECKING:
    from lenet_tui.engine.config import TrainConfig
    from lenet_tui.engine.data import Dataset
    from lenet_tui.ui.screens.dashboard import DashboardScreen


class LocalGrid(SingleRun):
    """Begin a grid, and train its next run each time one ends."""

    def __init__(self, board: DashboardScreen, grid: GridProgress) -> None:
        super().__init__(board)
        self.grid = grid

    @property
    def active(self) -> bool:  # type: ignore[override]
        return self.grid.active

    def begin_grid(self, config: TrainConfig, request: GridRequest, data: Dataset) -> None:
        """Make the grid's folder (--run-dir, or a new one) and train its first run."""
        grid, folders = self.grid, self.board.folders

        def first_run() -> RunDriver:
            return grid.begin(config, request.spec, request.seeds, data, folders.run_dir)

        if self.board.begin_run(self, first_run, "Cannot start the grid"):
            folders.run_dir = None  # the grid's folder now; later runs get new default folders
            self.board.query_one(RunsView).show_grid([])
            self._show_progress()

    def stop(self) -> None:
        if self.grid.active:  # no further run of the grid starts
            self.grid.stop()
            self.notify(self.grid.outcome, title="Grid stopped", severity="warning", timeout=30)
        super().stop()

    def end_runs(self) -> None:
        self.grid.stop()

    def run_ended(self, message: RunEnded) -> None:
        if self.grid.active:
            self._next_run()
        elif not self._say_stopped():
            super().run_ended(message)

    def _next_run(self) -> None:
        """A run of the grid ended: overlay the runs done, and train the next one if any."""
        grid, data = self.grid, self.board.data
        self.board.query_one(RunsView).show_grid(grid.done_folders)
        try:
            driver = grid.next_driver(data) if data is not None else None
        except LenetError as exc:
            self.notify(str(exc), title="Grid stopped", severity="error", timeout=30)
            return
        if driver is None:
            severity = "information" if grid.state == "done" else "warning"
            self.notify(grid.outcome, title=f"Grid {grid.state}", severity=severity, timeout=30)
            self._say_stopped()
        elif self.board.begin_run(self, lambda: driver, "Grid stopped"):
            self._show_progress()

    def _say_stopped(self) -> bool:
        """If the grid's run stopped, the status panel says how to go on with the grid, as its
        notification did (not how to resume the one run); whether it did."""
        status = self.board.train_view.status
        if self.grid.state != "stopped" or status.latest.state != "stopped":
            return False
        status.show(message=self.grid.outcome)
        return True

    def _show_progress(self) -> None:
        self.notify(f"grid {self.grid.progress}", timeout=5)
        self.board.train_view.status.show(message=f"grid {self.grid.progress}")
