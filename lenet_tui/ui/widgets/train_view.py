"""The Train tab: the form or the run's status, beside the live plot and the layer table.

It owns the training worker, a thin loop over one run's driver (lenet_tui.runs.driver), or over
a grid's runner (lenet_tui.runs.grid_runner's LocalGridRunner), that posts what each driver
yields; everything shown here is drawn from those messages on the UI thread.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Static
from textual.worker import Worker, WorkerState

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import Dataset
from lenet_tui.engine.events import (
    EpochEnd,
    Event,
    RunFailed,
    RunPaused,
    RunResumed,
    RunStarted,
    TrainProgress,
    device_label,
)
from lenet_tui.errors import LenetError, RunFolderError
from lenet_tui.runs.driver import Kept, RunDriver
from lenet_tui.ui.keys import bindings
from lenet_tui.ui.machine import MachineMeter
from lenet_tui.ui.messages import ModelPreview, RunEnded, RunOpened, TrainingEvent, WeightsSnapshot
from lenet_tui.ui.widgets.config_form import ConfigForm
from lenet_tui.ui.widgets.health_panel import HealthPanel
from lenet_tui.ui.widgets.metrics_plot import ENDED_TITLE, WAITING_TITLE, MetricsPlot, legend
from lenet_tui.ui.widgets.model_preview import FormModelPreview
from lenet_tui.ui.widgets.run_status import RunStatus, StatusState, run_ending
from lenet_tui.ui.widgets.trials_table import TrialsView

if TYPE_CHECKING:
    from lenet_tui.runs.grid_runner import LocalGridRunner

Clock = Callable[[], float]
Steps = Generator[tuple[RunDriver | None, Event | None], None, None]
"""What the training worker iterates: (driver, None) once a run's folder is open, then (driver,
event) for each event while the driver waits at it; (None, RunFailed) for a run that could not
train."""


class TrainView(Horizontal):
    """Before a run, the form; during and after one, its status. `start` or `start_grid` trains.

    The weights of the form's model and of each epoch leave as ModelPreview and WeightsSnapshot
    messages, and the run's folder as RunOpened, for the screen to pass on; RunEnded says the
    worker is done.
    """

    BINDINGS = bindings("train")

    def __init__(self, config: TrainConfig, devices: list[str], clock: Clock = time.monotonic,
                 *, id: str | None = None) -> None:  # fmt: skip
        super().__init__(id=id)
        self._config = config
        self._devices = devices
        self._clock = clock
        self.data: Dataset | None = None
        """The test images the form's untrained model is shown on (set once loaded)."""
        self.driver: RunDriver | None = None
        """The run in flight (F8, ctrl+x): from its start (a grid's: folder opened) to its end."""
        self.status = RunStatus(id="status")
        self.health = HealthPanel(id="lower")
        self._preview = FormModelPreview()
        self._worker: Worker[None] | None = None
        self._meter: MachineMeter | None = None
        """Reads the process's CPU and memory during a run."""
        self._toast = ""  # what the end of the run notifies: RunEnded carries it to the screen

    def compose(self) -> ComposeResult:
        with ContentSwitcher(initial="form", id="side"):
            yield ConfigForm(self._config, self._devices, id="form")
            yield self.status
            yield TrialsView(id="trials")  # a Ray grid's runs (lenet_tui.ui.modes.ray_grid)
        with Vertical(id="main"):
            yield Static(legend(), id="legend")
            yield MetricsPlot(id="plot")
            yield self.health
        yield self._preview

    def on_mount(self) -> None:
        self.query_one(MetricsPlot).reset(self._config.epochs)
        self.set_interval(1.0, self.tick, name="elapsed")

    @property
    def form(self) -> ConfigForm:
        return self.query_one(ConfigForm)

    @property
    def running(self) -> bool:
        return self._worker is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """ctrl+t, except where a Ray grid's table of runs hides the layer table."""
        return not (action == "toggle_health" and self.has_class("-ray-grid"))

    def action_toggle_health(self) -> None:
        if self.has_class("-ray-grid"):  # from the palette: the key is not offered then
            self.notify("a Ray grid's table of runs is shown in its place", severity="warning")
        else:
            self.health.toggle()

    # -- data and the form ---------------------------------------------------------------------

    def show_data(self, data: Dataset) -> None:
        """The data is in memory: say so, and show the form's model on its test images."""
        self.data = data
        self.status.show(state="ready", data_source=data.description)
        self.form.show_data_source(data.description)
        self._preview.forget()  # the form's model was seen before there were images to show
        if self.form.config is not None:
            self._preview.ask(self.form.config, data)

    def show_no_data(self, error: str) -> None:
        self.status.show(state="failed", message=f"cannot load the data: {error}")
        self.form.show_data_source(f"cannot load it: {error}")
        self.show_side("status")

    def on_show(self) -> None:
        """The tab is shown by its key (which leaves no focus): focus the form, during a Ray
        grid its table (the keys move its cursor), or during a run what is below the plot."""
        side = self.query_one("#side", ContentSwitcher).current
        if self.screen.focused is None and side == "trials":
            self.query_one(TrialsView).table.focus()
        elif self.screen.focused is None:
            self.query_one("#field-lr").focus() if side == "form" else self.health.focus_shown()

    def show_side(self, panel: str) -> None:
        """Show the form, the run's status or a Ray grid's table beside the plot (the table
        needs the tab's width: the plot goes below it)."""
        self.query_one("#side", ContentSwitcher).current = panel
        self.set_class(panel == "trials", "-ray-grid")
        self.refresh_bindings()  # ctrl+t has no layer table to swap while the table is shown

    def show_form(self) -> None:
        """Back to the form, with the last values, for a new run."""
        self.show_side("form")
        self.query_one("#field-lr").focus()

    @on(ConfigForm.Changed)
    def form_changed(self, message: ConfigForm.Changed) -> None:
        """Show the model the form describes: its layer table, its untrained activations."""
        config, plot = message.config, self.query_one(MetricsPlot)
        if config is not None and not self.running:
            self._preview.ask(config, self.data)
            if plot.points == 0:
                plot.reset(config.epochs)  # an empty plot's axis follows the epochs field

    @on(ModelPreview)
    def show_preview(self, message: ModelPreview) -> None:
        self.health.show_layers(message.layers)

    # -- a run ---------------------------------------------------------------------------------

    def start(self, driver: RunDriver, history: Sequence[Event] = ()) -> None:
        """Show the run starting (a resumed one with its earlier points) and train it."""
        self.driver = driver
        self.show_run_starting(driver.config, driver.start_epoch)
        if history:
            _replay(self.query_one(MetricsPlot), self.status, history, driver.start_epoch)
        self._worker = self.train(_one_run(driver))

    def start_grid(self, runner: LocalGridRunner, first: TrainConfig) -> None:
        """Train a grid's runs in turn, shown with `first`'s settings until its folder opens."""
        self.show_run_starting(first)
        self._worker = self.train(_grid_runs(runner))

    def show_run_starting(self, config: TrainConfig, start_epoch: int = 0) -> None:
        """Clear the plot and switch the side panel from the form to the run's status."""
        self._preview.ignore_pending()  # the run's layers are shown now, not the form's model
        self.query_one(MetricsPlot).reset(config.epochs, empty=WAITING_TITLE)
        self.query_one("#legend", Static).update(legend(lr=config.schedule != "constant"))
        self.show_side("status")
        self.form.disabled = True  # hidden during the run: keys must not edit it unseen
        focused = self.screen.focused
        if focused is None or self.form in focused.ancestors_with_self:
            self.health.focus_shown()
        self.health.wait_for_run()
        self._meter = MachineMeter(self._clock)
        self.status.start_run(config.epochs, config.seed, start_epoch, self._clock())

    def stop(self, message: str = "stopping after the current batch…") -> None:
        """Ask the run to end after the batch in flight (its folder stays resumable)."""
        if self.driver is not None:
            self.driver.request_stop()
            self.status.show(state="stopping", message=message)

    def toggle_pause(self) -> None:
        """Pause after the batch in flight, or go on (RunPaused, RunResumed say when it is so)."""
        if self.driver is None:  # from the palette: F8 is not offered then
            self.notify("no run is training", severity="warning")
            return
        if self.status.latest.state == "stopping":
            return
        if self.driver.paused:
            self.driver.unpause()
            self.status.show(message="going on…")
        else:
            self.driver.pause()
            self.status.show(message="pausing after the current batch…")

    async def stop_and_wait(self) -> None:
        """Stop a run in progress and wait until its worker has ended and its files are whole."""
        if self._worker is not None:
            self.stop("stopping the run, then quitting…")
            with contextlib.suppress(Exception):  # a failure was already shown in the panel
                await self._worker.wait()

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def train(self, steps: Steps) -> None:
        """Post what the runs' drivers yield (weights at each start and epoch end); a driver
        writes its run's files while the engine is paused between events."""
        with contextlib.closing(steps):  # a run ended by a bug still releases its folder
            for driver, event in steps:
                if driver is not None and event is None:  # the run's folder is open
                    self.post_message(RunOpened(driver.folder, driver))
                elif event is not None:
                    if driver is not None and isinstance(event, (RunStarted, EpochEnd)):
                        self.post_message(WeightsSnapshot(driver.snapshot()))
                    self.post_message(TrainingEvent(event, driver.kept if driver else None))

    @on(RunOpened)
    def run_opened(self, message: RunOpened) -> None:
        if message.driver is not self.driver:  # a grid's run: shown from now on
            self.driver = message.driver
            self.show_run_starting(message.driver.config, message.driver.start_epoch)
        self.status.show(run_dir=_home_relative(message.folder.path))

    @on(TrainingEvent)
    def show_event(self, message: TrainingEvent) -> None:
        event, now, plot = message.event, self._clock(), self.query_one(MetricsPlot)
        if isinstance(event, RunStarted):
            self.health.show_layers(event.layers, new_run=True)
            self.status.show(device=device_label(event), data_source=event.data_source, now=now)
        elif isinstance(event, TrainProgress):  # shown at the next tick, like every figure below
            plot.add_train(event.epoch, event.train_loss, event.train_acc, event.lr)
            self.health.note(event)
            self.status.note_progress(event, now)
        elif isinstance(event, EpochEnd):
            plot.add_test(event.epoch, event.test_acc)
            self.status.note_test(event)
        elif isinstance(event, (RunPaused, RunResumed)):
            self.status.show_pause(event, now)
        else:
            self._show_end(event, message.kept, now)

    def _show_end(self, event: Event, kept: Kept | None, now: float) -> None:
        ending = run_ending(event, kept)
        if ending is not None:
            self.driver = None  # nothing left to pause or stop (a grid's next run may come)
            self._end_run(ending.state, now=now, **ending.changes)
            if ending.alert:
                self.notify(ending.alert[1], title=ending.alert[0], severity="error", timeout=30)
            self._toast = "" if ending.alert else ending.toast

    @on(Worker.StateChanged)
    def worker_ended(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or not event.worker.is_finished:
            return
        crashed = event.state == WorkerState.ERROR
        if crashed and self.status.latest.state != "failed":
            error = f"{type(event.worker.error).__name__}: {event.worker.error}"
            self._end_run("failed", message=f"training failed: {error}")
            self.notify(error, title="Training failed", severity="error", timeout=30)
        self.driver = self._worker = None
        self.form.disabled = False
        self.post_message(RunEnded("" if crashed else self._toast, crashed))

    def tick(self) -> None:
        """Once a second during a run: show the figures that arrived since the last tick.

        Progress arrives several times a second; drawing it on arrival costs the UI thread,
        and with it training on a small CPU, several renders a second for no visible gain.
        """
        if self.running:
            if self._meter is not None:
                self.status.note(process=self._meter.read())
            self.redraw()

    def redraw(self) -> None:
        """Show every figure that has arrived: the status panel as of now, the plot's points."""
        self.status.show(now=self._clock())
        self.query_one(MetricsPlot).draw_new_points()
        self.health.draw_new()

    def _end_run(self, state: StatusState, **changes: object) -> None:
        self.status.note(state=state, **changes)
        self.query_one(MetricsPlot).say_when_empty(ENDED_TITLE)
        self.redraw()  # with the last reports, which came after the last tick
        self.health.run_ended()


def _one_run(driver: RunDriver) -> Steps:
    """A single run's steps; a folder that cannot be made, opened or written ends it failed."""
    try:
        driver.open()
    except LenetError as exc:
        yield None, RunFailed(str(exc), traceback="")
        return
    try:
        yield driver, None
        for event in driver.run():
            yield driver, event
    except RunFolderError as exc:  # the disk filled up, say: training ends here
        yield driver, RunFailed(f"{exc}; training stopped", traceback="")
    finally:
        driver.close()


def _grid_runs(runner: LocalGridRunner) -> Steps:
    """A grid's steps, run after run as the runner decides; a run that cannot train (its
    folder) is a RunFailed, and the grid goes on."""
    for update in runner.run():
        if update.state == "failed" and update.event is None:
            yield None, RunFailed(update.note, traceback="")
        elif update.event is not None or update.state == "running":
            yield runner.driver, update.event


def _replay(plot: MetricsPlot, status: RunStatus, history: Sequence[Event], upto: int) -> None:
    """Plot a resumed run's points from before its checkpoint."""
    for event in history:
        if isinstance(event, TrainProgress) and _finite(event.epoch, event.train_loss,
                                                        event.train_acc):  # fmt: skip
            if event.epoch <= upto:
                plot.add_train(event.epoch, event.train_loss, event.train_acc, event.lr)
        elif isinstance(event, EpochEnd) and event.epoch <= upto and _finite(event.test_acc):
            plot.add_test(event.epoch, event.test_acc)
            status.show(test_acc=event.test_acc, test_epoch=event.epoch)
    plot.draw_new_points()


def _finite(*values: float) -> bool:
    """Real numbers, none NaN or infinite (a metrics file may hold them)."""
    return all(math.isfinite(value) for value in values)


def _home_relative(path: Path) -> str:
    """The path with the home directory shown as ~, as a shell user would write it."""
    path = Path(path).absolute()
    with contextlib.suppress(ValueError):
        return str(Path("~") / path.relative_to(Path.home()))
    return str(path)
