"""A grid from the form (vary + ray) trained at once on Ray, its folder made as for a grid here.

A thread worker iterates the runner's `run()` (a RayGrid, which writes every run's folder) and
posts each update; the Train tab shows a table of the runs (lenet_tui.ui.widgets.trials_table)
and the highlighted run's curves. A run on Ray does not pause; ctrl+x (and quitting) cancels the
runs in flight, which keep their checkpoints. Of the runner, only `run()`, `request_stop()`,
`stop_requested` and `parallel` (how many runs train at once) are used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message
from textual.worker import Worker, WorkerState, get_current_worker

from lenet_tui.engine.events import EpochEnd, RunDiverged, RunFinished, RunStarted, TrainProgress
from lenet_tui.errors import LenetError
from lenet_tui.runs.grid_runner import GridUpdate
from lenet_tui.runs.ray_grid import RayGrid
from lenet_tui.ui.messages import TrainingEvent
from lenet_tui.ui.modes.local_grid import GridRequest, LocalGrid
from lenet_tui.ui.modes.state import Phase
from lenet_tui.ui.widgets.metrics_plot import MetricsPlot
from lenet_tui.ui.widgets.runs_view import RunsView
from lenet_tui.ui.widgets.trials_table import DONE, TrialRow, TrialRows, TrialsView

if TYPE_CHECKING:
    from lenet_tui.engine.config import TrainConfig
    from lenet_tui.engine.data import Dataset

NO_PAUSE = (
    "a grid on Ray does not pause (its runs train in Ray's workers); ctrl+x stops it, each run "
    "keeping its last checkpoint"
)


@dataclass
class TrialUpdated(Message):
    """What one run of the Ray grid did (an event it logged, or a change of state)."""

    update: GridUpdate


class RayGridMode(LocalGrid):
    """Begin a grid on Ray, show its runs as they change, and stop it."""

    runner: RayGrid | None = None
    """The grid's runs while they train (`end_runs` cancels them)."""

    @property
    def trials(self) -> TrialsView:  # the table of the grid's runs, in the Train tab
        return self.board.train_view.query_one(TrialsView)

    def begin_grid(self, config: TrainConfig, request: GridRequest, data: Dataset) -> None:
        """Make the grid's folder (--run-dir, or a new one) and train its runs on Ray."""
        board, options = self.board, request.ray
        assert options is not None
        try:
            made = self.grid.begin(config, request.spec, request.seeds, data,
                                   board.folders.run_dir, options)  # fmt: skip
        except LenetError as exc:
            self.notify(str(exc), title="Cannot start the grid", severity="error", timeout=30)
            return
        board.folders.run_dir = None  # the grid's folder now; later runs get new default folders
        board.folders.last = made.folder
        self.runner = runner = RayGrid(made, {data.name: data}, options)
        board.mode, board.phase = self, Phase.RUNNING
        board.query_one(RunsView).show_grid([])
        board.train_view.show_side("trials")  # the table in place of the form
        board.train_view.form.disabled = True  # hidden during the grid: keys must not edit it
        self.trials.begin(TrialRows(made, options))
        self.trials.table.focus()
        self.notify(f"{len(made.runs)} runs on Ray, in {made.folder}", title="Grid", timeout=5)
        self.follow(runner)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ray-grid")
    def follow(self, runner: RayGrid) -> str:
        """Iterate the runner and post what it yields; the one line of a LenetError (Ray cannot
        be reached), "" once every run has ended. Cancelled (the app quits), it stops the grid
        and goes on reading until every run has ended and Ray is shut down."""
        worker = get_current_worker()
        try:
            for update in runner.run():
                if worker.is_cancelled and not runner.stop_requested:
                    runner.request_stop()
                self.post_message(TrialUpdated(update))
        except LenetError as exc:
            return str(exc)
        return ""

    def stop(self) -> None:
        if self.runner is not None:
            self.end_runs()
            text = (
                "grid stopping: the runs in flight are cancelled and keep their last checkpoints; "
                f"finish it with {self.grid.resume}"
            )
            self.notify(text, title="Grid stopped", severity="warning", timeout=30)

    @on(TrialUpdated)
    def show(self, message: TrialUpdated) -> None:
        """One run's update: its row, the plot if it is the highlighted one, the Runs tab."""
        board, trials, update = self.board, self.trials, message.update
        if trials.rows is None:
            return
        if self.runner is not None:
            trials.rows.parallel = self.runner.parallel
        row, point = trials.show(update) or (None, False)
        trials.show_header()
        if row is None:
            return
        if point and row is trials.highlighted:
            self._plot([row.points[-1]])
        event = update.event
        if isinstance(event, RunStarted) and row.run.folder not in board.folders.opened:
            board.folders.opened.append(row.run.folder)
        if event is not None:  # the Runs tab lists the run and its newest figures
            board.query_one(RunsView).follow(TrainingEvent(event, kept=None))
        if isinstance(event, (RunFinished, RunDiverged)):  # overlaid as soon as it is done
            done = [r.run.folder for r in trials.rows.rows.values() if r.state in DONE]
            board.query_one(RunsView).show_grid(done)
        if update.state in ("retrying", "lost", "failed") and update.note:
            severity = "warning" if update.state == "retrying" else "error"
            text = f"run {row.run.number} {row.run.name}: {update.note}"
            self.notify(text, title=f"Run {update.state}", severity=severity, timeout=15)

    def plot_run(self, row: TrialRow) -> None:
        """The plot shows the highlighted run's curves, from its events so far."""
        plot = self.board.train_view.query_one(MetricsPlot)
        plot.reset(row.run.config.epochs, empty=f"no points yet from run {row.run.number}")
        self._plot(row.points)

    def _plot(self, points: Sequence[TrainProgress | EpochEnd]) -> None:
        plot = self.board.train_view.query_one(MetricsPlot)
        for event in points:
            if isinstance(event, EpochEnd):
                plot.add_test(event.epoch, event.test_acc)
            else:
                plot.add_train(event.epoch, event.train_loss, event.train_acc, event.lr)
        plot.draw_new_points()

    @on(Worker.StateChanged)
    def ended(self, event: Worker.StateChanged) -> None:
        """Every run ended (or Ray could not be reached, or a bug ended the worker: its one
        line, the traceback is Textual's): grid.csv, the overlay, and one line."""
        if event.state == WorkerState.ERROR:
            error = f"{type(event.worker.error).__name__}: {event.worker.error}"
        elif event.state == WorkerState.SUCCESS:
            error = str(event.worker.result)
        else:
            return
        board, runner, rows = self.board, self.runner, self.trials.rows
        if runner is None or board.phase is not Phase.RUNNING:
            return
        unfinished = rows.unfinished() if rows else []
        named = [f"run {r.run.number} {r.run.name} {r.state}" for r in unfinished]
        self.runner = None
        board.phase = Phase.READY
        board.train_view.form.disabled = False
        self.trials.show_header(f"grid failed: {error}" if error else _ended(rows))
        self.finish(named, runner.stop_requested, error)

    def say_no_pause(self) -> None:
        self.notify(NO_PAUSE, title="No pause on Ray", severity="warning")


def _ended(rows: TrialRows | None) -> str | None:
    """The header once the grid's runs have all ended (None: the usual one)."""
    if rows is None or not rows.ended:
        return None
    return f"{rows.header()} · ended; ctrl+n for the form"
