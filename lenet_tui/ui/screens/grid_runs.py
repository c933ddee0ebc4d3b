"""The dashboard's grid: the runs of a grid started from the form (its vary field), in turn.

A mixin of DashboardScreen, which holds the session (`grid`, `data`, `_run_dir`, `_begin`);
the grid itself (its folder, its runs, what is done) is lenet_tui.ui.grid_session's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from lenet_tui.engine.config import TrainConfig
from lenet_tui.errors import LenetError
from lenet_tui.runs.driver import RunDriver
from lenet_tui.ui.grid_session import GridRequest
from lenet_tui.ui.widgets.runs_view import RunsView

if TYPE_CHECKING:
    from lenet_tui.ui.screens.dashboard import DashboardScreen

    _Base = DashboardScreen
else:
    _Base = Screen


class GridRuns(_Base):
    """Begin a grid, and train its next run each time one ends."""

    def _begin_grid(self, config: TrainConfig, request: GridRequest) -> None:
        """Make the grid's folder (--run-dir, or a new one) and train its first run (or, with
        the form's ray field filled, all its runs at once on Ray)."""
        if request.ray is not None:
            self._begin_ray_grid(config, request)
            return
        grid, data, folder = self.grid, self.data, self._run_dir
        assert data is not None

        def first_run() -> RunDriver:
            return grid.begin(config, request.spec, request.seeds, data, folder)

        if self._begin(first_run, "Cannot start the grid"):
            self._run_dir = None  # the grid's folder now; later runs get new default folders
            self.query_one(RunsView).show_grid([])
            self._show_grid_run()

    def _next_grid_run(self) -> None:
        """A run of the grid ended: overlay the runs done, and train the next one if any."""
        grid, data = self.grid, self.data
        self.query_one(RunsView).show_grid(grid.done_folders)
        try:
            driver = grid.next_driver(data) if data is not None else None
        except LenetError as exc:
            self.notify(str(exc), title="Grid stopped", severity="error", timeout=30)
            return
        if driver is None:
            severity = "information" if grid.state == "done" else "warning"
            self.notify(grid.outcome, title=f"Grid {grid.state}", severity=severity, timeout=30)
            self._say_grid_stopped()
        elif self._begin(lambda: driver, "Grid stopped"):
            self._show_grid_run()

    def _show_grid_run(self) -> None:
        self.notify(f"grid {self.grid.progress}", timeout=5)
        self.train_view.status.show(message=f"grid {self.grid.progress}")

    def _say_grid_stopped(self) -> bool:
        """If the run that just stopped is a run of a stopped grid, the status panel says how to
        go on with the grid, as the grid's notification did (not how to resume the one run);
        whether it was."""
        grid, folder = self.grid, self.last_folder
        status = self.train_view.status
        if grid.state != "stopped" or grid.folder is None or folder is None:
            return False
        if folder.parent != grid.folder or status.latest.state != "stopped":
            return False
        status.show(message=grid.outcome)
        return True
