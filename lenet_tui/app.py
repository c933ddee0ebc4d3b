"""The dashboard: a form before a run; live plots, status and activations while it trains.

Training runs in a thread worker that drives the engine (lenet_tui.training) and posts its events
as messages; everything on screen is updated from those messages on the UI thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from lenet_tui.config import TrainConfig
from lenet_tui.data import FashionMNIST, load_fashion_mnist
from lenet_tui.devices import available_devices
from lenet_tui.errors import LenetError
from lenet_tui.events import (
    EpochEnd,
    RunDiverged,
    RunFailed,
    RunFinished,
    RunStarted,
    RunStopped,
    TrainProgress,
    summary_lines,
)
from lenet_tui.help_screen import HelpScreen
from lenet_tui.inspection import Inspector
from lenet_tui.messages import (
    DataFailed,
    DataLoaded,
    ModelPreview,
    TrainingEvent,
    WeightsSnapshot,
)
from lenet_tui.model import build_lenet, layer_table
from lenet_tui.training import Trainer
from lenet_tui.widgets.activation_viewer import ActivationViewer
from lenet_tui.widgets.config_form import ConfigForm
from lenet_tui.widgets.layer_table import LayerTable
from lenet_tui.widgets.metrics_plot import MetricsPlot, legend
from lenet_tui.widgets.run_status import RunStatus, RunView
from lenet_tui.worker_threads import ThreadPerTask

Clock = Callable[[], float]
NARROW = 100
"""Terminals narrower than this get the compact layout (80x24 must stay readable)."""


class LenetApp(App[None]):
    """Edit the settings, start a run, watch LeNet learn."""

    CSS_PATH = "app.tcss"
    TITLE = "lenet-tui"
    SUB_TITLE = "LeNet-5 on Fashion-MNIST"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]
    BINDINGS = [
        Binding("ctrl+r", "start", "Start", priority=True),
        Binding("ctrl+x", "stop", "Stop", priority=True),
        Binding("ctrl+n", "new_run", "New run", priority=True),
        Binding("f2", "show_tab('train')", "Train", show=False),
        Binding("f3", "show_tab('activations')", "Activations", show=False),
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    running: reactive[bool] = reactive(False, bindings=True)
    """A training worker is alive."""

    def __init__(
        self,
        config: TrainConfig,
        *,
        data_dir: Path | None = None,
        download: bool = False,
        data: FashionMNIST | None = None,
        devices: list[str] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__()
        self.initial_config = config
        self.data = data
        self._data_dir, self._download = data_dir, download
        self._devices = devices if devices is not None else available_devices()
        self._clock = clock
        self._trainer: Trainer | None = None
        self._worker: Worker[None] | None = None
        self._untrained_key: object = None
        self._start_when_loaded = False
        self.view = RunView(state="loading" if data is None else "ready")
        """What the status panel shows; replaced, never mutated."""

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            with TabPane("Train  F2", id="train"), Horizontal(id="train-body"):
                with ContentSwitcher(initial="form", id="side"):
                    yield ConfigForm(self.initial_config, self._devices, id="form")
                    yield RunStatus(id="status")
                with Vertical(id="main"):
                    yield Static(legend(), id="legend")
                    yield MetricsPlot(id="plot")
                    yield LayerTable(id="layers")
            with TabPane("Activations  F3", id="activations"):
                yield ActivationViewer(id="viewer")
        yield Footer()

    def on_mount(self) -> None:
        # Before the first worker: every thread worker gets a thread that ends with it (why: see
        # lenet_tui.worker_threads); the loop shuts the executor down, joining them, on exit.
        asyncio.get_running_loop().set_default_executor(ThreadPerTask("lenet-tui"))
        self.query_one(MetricsPlot).reset(self.initial_config.epochs)
        self.set_interval(1.0, self.tick, name="elapsed")
        self.query_one("#field-lr").focus()
        if self.data is None:
            self.load_data()
        else:
            self.post_message(DataLoaded(self.data))

    def on_resize(self, event: Resize) -> None:
        self.query_one(Footer).compact = event.size.width < NARROW

    # -- data ----------------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="data")
    def load_data(self) -> None:
        try:
            data = load_fashion_mnist(self._data_dir, download=self._download)
        except LenetError as exc:
            self.post_message(DataFailed(str(exc)))
        except Exception as exc:  # a bug or the machine (memory): still never a silent hang
            self.post_message(DataFailed(f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(DataLoaded(data))

    @on(DataLoaded)
    def data_ready(self, message: DataLoaded) -> None:
        self.data = message.data
        self._set_view(state="ready", data_source=message.data.source)
        self._untrained_key = None  # the form's model was seen before there were images to show
        self.query_one(ConfigForm).show_data_source(message.data.source)
        self.show_form_model(self.query_one(ConfigForm).config)
        if self._start_when_loaded:
            self.action_start()

    @on(DataFailed)
    def data_failed(self, message: DataFailed) -> None:
        self._set_view(state="failed", message=f"cannot load the data: {message.error}")
        self.query_one(ConfigForm).show_data_source(f"cannot load it: {message.error}")
        self.query_one("#side", ContentSwitcher).current = "status"
        self.notify(message.error, title="No data", severity="error", timeout=30)

    # -- the form ------------------------------------------------------------------------------

    @on(ConfigForm.Changed)
    def form_changed(self, message: ConfigForm.Changed) -> None:
        self.show_form_model(message.config)
        plot = self.query_one(MetricsPlot)
        if message.config and not self.running and plot.points == 0:
            plot.reset(message.config.epochs)  # an empty plot's axis follows the epochs field
        self.refresh_bindings()

    @on(ConfigForm.StartPressed)
    def form_start(self) -> None:
        self.action_start()

    def show_form_model(self, config: TrainConfig | None) -> None:
        """Layer table and (before a run) activations for the model the form describes."""
        if config is None or self.running:
            return
        key = (config.model, config.seed)
        if key == self._untrained_key:
            return
        self._untrained_key = key
        self.preview_model(key, config, self.data)

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def preview_model(self, key: object, config: TrainConfig, data: FashionMNIST | None) -> None:
        """Build the form's model off the UI thread.

        No torch work runs on the UI thread: a thread that runs a parallel torch op keeps an
        OpenMP pool for life, which slows training (see lenet_tui.worker_threads); a worker's
        thread and pool end with the worker.
        """
        layers = layer_table(build_lenet(config.model))
        inspector = None if data is None else Inspector.untrained(config.model, config.seed, data)
        self.post_message(ModelPreview(key, layers, inspector))

    @on(ModelPreview)
    def show_preview(self, message: ModelPreview) -> None:
        if message.key != self._untrained_key or self.running:
            return  # the form changed again, or a run started, since it was asked for
        self.query_one(LayerTable).show_layers(message.layers)
        if message.inspector is not None:
            self.query_one(ActivationViewer).show_weights(message.inspector)

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return None if self.running or self.query_one(ConfigForm).config is None else True
        if action == "stop":
            return True if self.running else None
        if action == "new_run":
            return None if self.running else True
        return True

    def action_start(self) -> None:
        config = self.query_one(ConfigForm).config
        if self.running:
            return
        if config is None:
            self.notify("fix the highlighted fields first", severity="warning")
            return
        if self.data is None:
            if self.view.state == "loading":
                self._start_when_loaded = True
                self.notify("loading the data; the run starts as soon as it is in memory")
            else:
                self.notify("there is no data to train on; see the status panel", severity="error")
            return
        try:
            self._trainer = Trainer(config, self.data)
        except LenetError as exc:
            self.notify(str(exc), title="Cannot start", severity="error")
            return
        self.show_run_starting(self._trainer.config)
        self.running = True
        self._worker = self.train(self._trainer)

    def show_run_starting(self, config: TrainConfig) -> None:
        """Clear the plot and switch the side panel from the form to the run's status."""
        self.query_one(MetricsPlot).reset(config.epochs)
        self.query_one("#side", ContentSwitcher).current = "status"
        form = self.query_one(ConfigForm)
        form.disabled = True  # hidden during the run: keys must not edit it unseen
        if self.focused is None or form in self.focused.ancestors_with_self:
            self.query_one(LayerTable).focus()
        now = self._clock()
        self.view = RunView(data_source=self.view.data_source)
        self._set_view(
            state="running", epochs=config.epochs, started_at=now, now=now, seed=config.seed
        )

    def action_stop(self) -> None:
        if self._trainer is not None and self.running:
            self._trainer.request_stop()
            self._set_view(state="stopping", message="stopping after the current batch…")

    def action_new_run(self) -> None:
        if self.running:
            self.notify("stop the run first (ctrl+x)", severity="warning")
            return
        self.query_one("#side", ContentSwitcher).current = "form"
        self.action_show_tab("train")
        self.query_one("#field-lr").focus()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "activations":
            self.query_one(ActivationViewer).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Stop a run in progress first, so the process ends with the terminal restored."""
        if self._trainer is not None and self._worker is not None and self.running:
            self._trainer.request_stop()
            self._set_view(state="stopping", message="stopping the run, then quitting…")
            with contextlib.suppress(Exception):  # a failure was already shown in the panel
                await self._worker.wait()
        self.exit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Start training", "Train with the form's settings", self.action_start)
        yield SystemCommand("Stop training", "Stop after the current batch", self.action_stop)
        yield SystemCommand("New run", "Back to the form with the last values", self.action_new_run)
        yield SystemCommand(
            "Show activations",
            "Pick test images, see conv feature maps",
            lambda: self.action_show_tab("activations"),
        )
        yield SystemCommand("Keys", "Every key of lenet-tui", self.action_help)

    # -- training ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def train(self, trainer: Trainer) -> None:
        """Drive the engine; weights are copied while it is paused between two events."""
        for event in trainer.run():
            if isinstance(event, (RunStarted, EpochEnd)) and trainer.model is not None:
                epoch = event.epoch if isinstance(event, EpochEnd) else 0
                self.post_message(WeightsSnapshot(Inspector(trainer.model, trainer.data, epoch)))
            self.post_message(TrainingEvent(event))

    @on(WeightsSnapshot)
    def show_weights(self, message: WeightsSnapshot) -> None:
        self.query_one(ActivationViewer).show_weights(message.inspector)

    @on(TrainingEvent)
    def show_event(self, message: TrainingEvent) -> None:
        event, now, plot = message.event, self._clock(), self.query_one(MetricsPlot)
        if isinstance(event, RunStarted):
            self.query_one(LayerTable).show_layers(event.layers)
            self._set_view(device=event.device, data_source=event.data_source, now=now)
        elif isinstance(event, TrainProgress):  # shown at the next tick, like every figure below
            plot.add_train(event.epoch, event.train_loss, event.train_acc)
            self._note(
                epoch=event.epoch,
                train_loss=event.train_loss,
                train_acc=event.train_acc,
                examples_per_sec=event.examples_per_sec,
                now=now,
            )
        elif isinstance(event, EpochEnd):
            plot.add_test(event.epoch, event.test_acc)
            self._note(epoch=float(event.epoch), test_acc=event.test_acc, test_epoch=event.epoch)
        elif isinstance(event, RunFinished):
            self._end_run("finished", summary=summary_lines(event), now=now)
        elif isinstance(event, RunStopped):
            self._end_run("stopped", message=f"stopped in epoch {event.epoch}, step {event.step}")
        elif isinstance(event, RunDiverged):
            self._end_run("diverged", message=event.message)
            self.notify(event.message, title="Run diverged", severity="error", timeout=30)
        elif isinstance(event, RunFailed):
            self._end_run("failed", message=f"training failed: {event.error}")
            self.notify(event.error, title="Training failed", severity="error", timeout=30)

    @on(Worker.StateChanged)
    def worker_ended(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker or not event.worker.is_finished:
            return
        if event.state == WorkerState.ERROR and self.view.state not in ("failed",):
            error = f"{type(event.worker.error).__name__}: {event.worker.error}"
            self._end_run("failed", message=f"training failed: {error}")
            self.notify(error, title="Training failed", severity="error", timeout=30)
        self.running = False
        self.query_one(ConfigForm).disabled = False

    def tick(self) -> None:
        """Once a second during a run: show the figures that arrived since the last tick.

        Progress arrives several times a second; drawing it on arrival costs the UI thread,
        and with it training on a small CPU, several renders a second for no visible gain.
        """
        if self.running:
            self._set_view(now=self._clock())
            self.query_one(MetricsPlot).draw_new_points()

    def _end_run(self, state: str, **changes: object) -> None:
        self._set_view(state=state, **changes)
        self.query_one(MetricsPlot).draw_new_points()
        self.notify(f"run {state}; ctrl+n for a new run", timeout=5)

    def _note(self, **changes: object) -> None:
        """Record figures for the status panel; the next tick shows them."""
        self.view = self.view.evolve(**changes)

    def _set_view(self, **changes: object) -> None:
        self._note(**changes)
        self.query_one(RunStatus).view = self.view


def create_app(
    config: TrainConfig | None = None,
    *,
    data_dir: Path | None = None,
    download: bool = False,
    data: FashionMNIST | None = None,
    devices: list[str] | None = None,
    clock: Clock = time.monotonic,
) -> LenetApp:
    """The one way to build the dashboard, for the command line and the tests alike."""
    return LenetApp(
        config or TrainConfig(),
        data_dir=data_dir,
        download=download,
        data=data,
        devices=devices,
        clock=clock,
    )
