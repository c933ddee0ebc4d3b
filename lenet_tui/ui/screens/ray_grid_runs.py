"""The dashboard's grid on Ray: the runs of a grid from the form (vary + ray) trained at once.

A mixin of DashboardScreen, which holds the session (`grid`, `data`, `phase`, `_run_dir`). The
grid's folder is made here as for a grid trained in turn (lenet_tui.ui.grid_session); a thread
worker iterates `RayGrid.run()` (lenet_tui.runs.ray_grid, which writes every run's folder) and
posts each update; the Train tab shows a table of the runs in place of the form and the status
(lenet_tui.ui.widgets.trials_table), and its plot the highlighted run's curves. A run on Ray
does not pause; ctrl+x (and quitting) cancels the runs in flight, which keep their checkpoints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import ContentSwitcher, TabbedContent
from textual.worker import Worker, WorkerState, get_current_worker

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import EpochEnd, RunDiverged, RunFinished, RunStarted
from lenet_tui.errors import LenetError
from lenet_tui.runs.ray_grid import RayGrid
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.ui.grid_session import GridRequest
from lenet_tui.ui.messages import TrainingEvent
from lenet_tui.ui.ray_session import DONE, RayGridEnded, TrialRow, TrialRows, TrialUpdated
from lenet_tui.ui.session import Phase
from lenet_tui.ui.widgets.metrics_plot import MetricsPlot
from lenet_tui.ui.widgets.runs_view import RunsView
from lenet_tui.ui.widgets.trials_table import TrialsView

if TYPE_CHECKING:
    from lenet_tui.ui.screens.dashboard import DashboardScreen

    _Base = DashboardScreen
else:
    _Base = Screen

TRIALS = "trials"
"""The Train tab's side panel during a Ray grid (beside the form and the status)."""
NO_PAUSE = (
    "a grid on Ray does not pause (its runs train in Ray's workers); ctrl+x stops it, each run "
    "keeping its last checkpoint"
)


class RayGridRuns(_Base):
    """Begin a grid on Ray, show its runs as they change, and stop it."""

    _ray_at_start: RayOptions | None = None

    def offer_ray(self, options: RayOptions) -> None:
        """Fill the form's ray fields with these options (`lenet-tui --ray [ADDRESS]`)."""
        self._ray_at_start = options
        if self.is_mounted:
            self.train_view.form.set_ray(options)

    def on_mount(self) -> None:
        side = self.train_view.query_one("#side", ContentSwitcher)
        trials = TrialsView(id=TRIALS)
        trials.display = False  # the switcher shows it during a Ray grid
        side.mount(trials)
        self.watch(side, "current", self._side_shown, init=False)
        if self._ray_at_start is not None:
            self.train_view.form.set_ray(self._ray_at_start)

    def on_unmount(self) -> None:
        """However the app ends, a Ray grid's runs are cancelled (its worker then ends)."""
        self.grid.stop()

    @property
    def trials(self) -> TrialsView:
        """The table of a Ray grid's runs, in the Train tab's side panel."""
        return self.train_view.query_one(TrialsView)

    @on(TabbedContent.TabActivated)
    def focus_trials(self, event: TabbedContent.TabActivated) -> None:
        """Back on the Train tab during a Ray grid, the keys move the table's cursor."""
        side = self.train_view.query_one("#side", ContentSwitcher)
        if event.pane.id == "train" and side.current == TRIALS:
            self.trials.table.focus()

    def _side_shown(self, current: str | None) -> None:
        """The table needs the tab's width: the plot goes below it while it is shown."""
        self.train_view.set_class(current == TRIALS, "-ray-grid")
        self.refresh_bindings()  # ctrl+t has no layer table to swap while the table is shown

    def _begin_ray_grid(self, config: TrainConfig, request: GridRequest) -> None:
        """Make the grid's folder (--run-dir, or a new one) and train its runs on Ray."""
        grid, data, options = self.grid, self.data, request.ray
        assert data is not None and options is not None
        try:
            made = grid.begin_ray(config, request, data, self._run_dir)
        except LenetError as exc:
            self._say(str(exc), title="Cannot start the grid", severity="error", timeout=30)
            return
        self._run_dir = None  # the grid's folder now; later runs get new default folders
        self.last_folder = made.folder
        grid.ray_grid = ray_grid = RayGrid(made, {data.name: data}, options)
        self.phase = Phase.RUNNING
        self.query_one(RunsView).show_grid([])
        self._show_trials(TrialRows(made, options))
        self._say(f"{len(made.runs)} runs on Ray, in {made.folder}", title="Grid", timeout=5)
        self.train_ray_grid(ray_grid)

    def _show_trials(self, rows: TrialRows) -> None:
        trials = self.trials
        self.train_view.query_one("#side", ContentSwitcher).current = TRIALS
        self.train_view.form.disabled = True  # hidden during the grid: keys must not edit it
        trials.begin(rows)
        trials.table.focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="ray-grid")
    def train_ray_grid(self, ray_grid: RayGrid) -> None:
        """Iterate the Ray grid and post what it yields; a LenetError (Ray cannot be reached)
        ends it in one line. Cancelled (the app quits), it stops the grid and goes on reading
        until every run has ended and Ray is shut down."""
        worker = get_current_worker()
        try:
            for update in ray_grid.run():
                if worker.is_cancelled and not ray_grid.stop_requested:
                    ray_grid.request_stop()
                self.post_message(TrialUpdated(update))
        except LenetError as exc:
            self.post_message(RayGridEnded(str(exc)))
            return
        self.post_message(RayGridEnded())

    @on(TrialUpdated)
    def show_trial(self, message: TrialUpdated) -> None:
        update, trials = message.update, self.trials
        if trials.rows is None:
            return
        if self.grid.ray_grid is not None:
            trials.rows.parallel = self.grid.ray_grid.parallel
        row, point = trials.show(update) or (None, False)
        trials.show_header()
        if row is None:
            return
        if point and row is trials.highlighted:
            self._plot_point(row)
        event = update.event
        if isinstance(event, RunStarted) and row.run.folder not in self.session_folders:
            self.session_folders.append(row.run.folder)
        if event is not None:  # the Runs tab lists the run and its newest figures
            self.query_one(RunsView).follow(TrainingEvent(event, kept=None))
        if isinstance(event, (RunFinished, RunDiverged)):  # overlaid as soon as it is done
            done = [r.run.folder for r in trials.rows.rows.values() if r.state in DONE]
            self.query_one(RunsView).show_grid(done)
        if update.state in ("retrying", "lost", "failed") and update.note:
            severity = "warning" if update.state == "retrying" else "error"
            text = f"run {row.run.number} {row.run.name}: {update.note}"
            self._say(text, title=f"Run {update.state}", severity=severity, timeout=15)

    @on(TrialsView.Highlighted)
    def plot_trial(self, message: TrialsView.Highlighted) -> None:
        """The plot shows the highlighted run's curves, from its events so far."""
        plot, row = self.train_view.query_one(MetricsPlot), message.row
        plot.reset(row.run.config.epochs, empty=f"no points yet from run {row.run.number}")
        for event in row.points:
            if isinstance(event, EpochEnd):
                plot.add_test(event.epoch, event.test_acc)
            else:
                plot.add_train(event.epoch, event.train_loss, event.train_acc, event.lr)
        plot.draw_new_points()

    def _plot_point(self, row: TrialRow) -> None:
        plot, event = self.train_view.query_one(MetricsPlot), row.points[-1]
        if isinstance(event, EpochEnd):
            plot.add_test(event.epoch, event.test_acc)
        else:
            plot.add_train(event.epoch, event.train_loss, event.train_acc, event.lr)
        plot.draw_new_points()

    @on(RayGridEnded)
    def ray_grid_ended(self, message: RayGridEnded) -> None:
        """Every run ended (or Ray could not be reached): grid.csv, the overlay, and one line."""
        self._end_ray_grid(message.error)

    @on(Worker.StateChanged)
    def ray_worker_failed(self, event: Worker.StateChanged) -> None:
        """A bug in the worker ends the grid with its one line (the traceback is Textual's)."""
        if event.worker.group == "ray-grid" and event.state == WorkerState.ERROR:
            self._end_ray_grid(f"{type(event.worker.error).__name__}: {event.worker.error}")

    def _end_ray_grid(self, error: str) -> None:
        grid, rows = self.grid, self.trials.rows
        if grid.ray is None or self.phase is not Phase.RUNNING:
            return
        named = (
            [f"run {r.run.number} {r.run.name} {r.state}" for r in rows.unfinished()]
            if rows
            else []
        )
        if error:
            grid.stop()
        try:
            grid.ray_ended(named)
        except LenetError as exc:
            self._say(str(exc), title="Grid table not written", severity="error", timeout=30)
        self.phase = Phase.READY
        self.train_view.form.disabled = False
        self.trials.show_header(f"grid failed: {error}" if error else _ended(rows))
        self.query_one(RunsView).show_grid(grid.done_folders)
        if error:
            text = f"{error}; the grid is kept: {grid.outcome}"
            self._say(text, title="Grid failed", severity="error", timeout=30)
            return
        severity = "information" if grid.state == "done" and not named else "warning"
        self._say(grid.outcome, title=f"Grid {grid.state}", severity=severity, timeout=30)

    def _say(self, text: str, *, title: str, severity: SeverityLevel = "information",
             timeout: float = 30) -> None:  # fmt: skip
        """A notification shown as written (paths and Ray's errors may hold [brackets])."""
        self.notify(text, title=title, severity=severity, timeout=timeout, markup=False)

    def action_ray_pause(self) -> None:
        self.notify(NO_PAUSE, title="No pause on Ray", severity="warning")


def _ended(rows: TrialRows | None) -> str | None:
    """The header once the grid's runs have all ended (None: the usual one)."""
    if rows is None or not rows.ended:
        return None
    return f"{rows.header()} · ended; ctrl+n for the form"
