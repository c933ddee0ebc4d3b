"""The dashboard: a form before a run; live plots, status and activations while it trains.

Training runs in a thread worker that drives the engine (lenet_tui.training), keeps the run's
folder (lenet_tui.runs) and posts the engine's events as messages; everything on screen is
updated from those messages on the UI thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import ContentSwitcher, Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from lenet_tui.checkpoint import Checkpoint
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
    ResumeFailed,
    ResumeReady,
    RunOpened,
    TrainingEvent,
    WeightsSnapshot,
)
from lenet_tui.model import build_lenet, layer_table
from lenet_tui.resume_screen import ResumeScreen
from lenet_tui.run_history import list_runs
from lenet_tui.runs import RunFolder, RunFolderError, RunRecorder, default_runs_dir
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
QUIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Signals that end the dashboard as ctrl+q does."""


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
        Binding("ctrl+o", "resume", "Resume", priority=True),
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
        run_dir: Path | None = None,
        resume: Path | None = None,
    ) -> None:
        super().__init__()
        self.initial_config = config
        self.data = data
        self._data_dir, self._download = data_dir, download
        self._run_dir = run_dir
        """Where the first run started here is kept (later ones get new default folders)."""
        self._resume_at_start = resume
        self._pending_resume: ResumeReady | None = None
        self._loading = False
        """The data-loading worker is at work."""
        self._unseen_weights: Inspector | None = None
        """The newest weights, while the Activations tab is hidden."""
        self._exit_code = 0
        """What the process exits with: 0, or 128 + N after signal N."""
        self._session_folders: list[Path] = []
        """Every run folder used in this session, for the ctrl+o list."""
        self.folder: RunFolder | None = None
        """The folder of the current or last run."""
        self._checkpoint_epoch: int | None = None
        """The epoch of the current or last run's newest checkpoint on disk."""
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
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPerTask("lenet-tui"))
        for signum in QUIT_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # Windows
                loop.add_signal_handler(signum, self.quit_on_signal, signum)
        self.query_one(MetricsPlot).reset(self.initial_config.epochs)
        self.set_interval(1.0, self.tick, name="elapsed")
        self.query_one("#field-lr").focus()
        if self.data is not None:
            self.post_message(DataLoaded(self.data))
        if self._resume_at_start is not None:
            self.open_run(self._resume_at_start)  # then loads the data the run was trained on
        elif self.data is None:
            self._load()

    def on_resize(self, event: Resize) -> None:
        footer = self.query_one(Footer)
        footer.compact = event.size.width < NARROW
        footer.show_command_palette = event.size.width >= NARROW  # ctrl+p still opens it

    # -- data ----------------------------------------------------------------------------------

    def _load(self) -> None:
        self._loading = True
        self.load_data()

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
        self.data, self._loading = message.data, False
        if self.running:  # cannot happen with one load per session; never shown mid-run if it did
            return
        self._set_view(state="ready", data_source=message.data.source)
        self._untrained_key = None  # the form's model was seen before there were images to show
        self.query_one(ConfigForm).show_data_source(message.data.source)
        self.show_form_model(self.query_one(ConfigForm).config)
        if self._pending_resume is not None:
            pending, self._pending_resume = self._pending_resume, None
            self._start_when_loaded = False  # the later request wins
            self.resume_ready(pending)
        elif self._start_when_loaded:
            self._start_when_loaded = False
            self.action_start()

    @on(DataFailed)
    def data_failed(self, message: DataFailed) -> None:
        self._loading = False
        if self._pending_resume is not None:
            self._pending_resume = None
            self.notify("the run cannot be resumed without its data", severity="error")
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
            self._offer_weights(message.inspector)

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot apply now leave the footer (it must fit 80 columns); Start stays,
        greyed, while the form has errors. Under the help or the resume list, the run keys wait
        (they are priority bindings, which would otherwise act on the screen underneath)."""
        if action in ("start", "stop", "new_run", "resume") and isinstance(
            self.screen, ModalScreen
        ):
            return False
        if action == "start":
            if self.running:
                return False
            return True if self.query_one(ConfigForm).config is not None else None
        if action == "stop":
            return self.running
        if action in ("new_run", "resume"):
            return not self.running
        return True

    def action_start(self) -> None:
        config = self.query_one(ConfigForm).config
        if self.running:
            return
        if config is None:
            self.notify("fix the highlighted fields first", severity="warning")
            return
        if self.data is None:
            if self._loading:
                self._pending_resume = None  # the later request wins
                self._start_when_loaded = True
                self.notify("loading the data; the run starts as soon as it is in memory")
            else:
                self.notify("there is no data to train on; see the status panel", severity="error")
            return
        try:
            trainer = Trainer(config, self.data)
        except LenetError as exc:
            self.notify(str(exc), title="Cannot start", severity="error")
            return
        self._begin(trainer, None, self._run_dir)  # --run-dir holds one run: the first

    def _begin(
        self,
        trainer: Trainer,
        folder: RunFolder | None,
        run_dir: Path | None = None,
        history: list[dict] | None = None,
    ) -> None:
        """Show the run starting and hand it to the training worker."""
        self._trainer = trainer
        start = trainer.resume.epoch if trainer.resume is not None else 0
        self.show_run_starting(trainer.config, start_epoch=start)
        if history:
            self._replay(history, start)
        self.folder, self._checkpoint_epoch = folder, None
        self.running = True
        self._worker = self.train(trainer, folder, run_dir)

    def _replay(self, history: list[dict], upto: int) -> None:
        """Plot a resumed run's points from before its checkpoint."""
        plot = self.query_one(MetricsPlot)
        for event in history:
            epoch, kind = event.get("epoch"), event.get("event")
            if not _finite(epoch) or epoch > upto:
                continue
            loss, acc, test_acc = (event.get(k) for k in ("train_loss", "train_acc", "test_acc"))
            if kind == "train_progress" and _finite(loss) and _finite(acc):
                plot.add_train(epoch, loss, acc)
            elif kind == "epoch_end" and _finite(test_acc):
                plot.add_test(int(epoch), test_acc)
                self._set_view(test_acc=test_acc, test_epoch=int(epoch))
        plot.draw_new_points()

    def show_run_starting(self, config: TrainConfig, start_epoch: int = 0) -> None:
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
            state="running",
            epochs=config.epochs,
            epoch=float(start_epoch),
            start_epoch=start_epoch,
            started_at=now,
            now=now,
            seed=config.seed,
            message=f"resumed after epoch {start_epoch}" if start_epoch else "",
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

    def action_resume(self) -> None:
        """Pick a kept run and go on from its last checkpoint."""
        if self.running:
            self.notify("stop the run first (ctrl+x)", severity="warning")
            return
        where = default_runs_dir()
        runs = list_runs(where, also=self._session_folders)
        preselect = self.folder.path if self.folder else None
        self.push_screen(ResumeScreen(runs, where, preselect), self._resume_chosen)

    def _resume_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.open_run(path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def open_run(self, path: Path) -> None:
        """Check and load a kept run's settings, checkpoint and metrics (reads torch files)."""
        try:
            folder = RunFolder.existing(path)
            config = folder.read_config()
            checkpoint = folder.load_checkpoint(config)
            history = folder.read_events()
        except LenetError as exc:
            self.post_message(ResumeFailed(str(exc)))
        except Exception as exc:  # a bug or the machine: shown, never a dead worker
            self.post_message(ResumeFailed(f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(ResumeReady(folder, config, checkpoint, history))

    @on(ResumeFailed)
    def resume_failed(self, message: ResumeFailed) -> None:
        self.notify(message.error, title="Cannot resume", severity="error", timeout=30)
        if self._resume_at_start is not None:  # started with --resume: still of use without it
            self._resume_at_start = None
            self._load()

    @on(ResumeReady)
    def resume_ready(self, message: ResumeReady) -> None:
        if self.running:
            self.notify("stop the run first (ctrl+x)", severity="warning")
            return
        if self.data is None:
            if self._resume_at_start is not None:
                self._resume_at_start = None
                self._use_data_of(message.checkpoint)
                self._load()
            elif not self._loading:
                self.notify("there is no data to train on; see the status panel", severity="error")
                return
            else:
                self.notify("loading the data; the run resumes as soon as it is in memory")
            self._pending_resume = message
            self._start_when_loaded = False  # the later request wins
            return
        mismatch = self._data_mismatch(message.folder, message.checkpoint)
        if mismatch:
            self.notify(mismatch, title="Cannot resume", severity="error", timeout=30)
            return
        try:
            trainer = Trainer(message.config, self.data, resume=message.checkpoint.state)
        except LenetError as exc:
            self.notify(str(exc), title="Cannot resume", severity="error", timeout=30)
            return
        self.query_one(ConfigForm).set_config(message.config)
        self._begin(trainer, message.folder, history=message.history)

    def _use_data_of(self, checkpoint: Checkpoint) -> None:
        """Started with --resume and no data options: load the data the run was trained on."""
        if self._data_dir is None and not self._download:
            self._data_dir = Path(checkpoint.data_dir) if checkpoint.data_dir else None
            self._download = checkpoint.download

    def _data_mismatch(self, folder: RunFolder, checkpoint: Checkpoint) -> str | None:
        """Why the loaded data is not the run's, in one line; None when it is.

        Data chosen on the command line (--data-dir, --download) is taken as the user's word,
        as `--no-ui --resume` takes it; the trainer still checks the training set's size.
        """
        if self._data_dir is not None or self._download:
            return None
        if (checkpoint.data_dir, checkpoint.download) == (None, False):
            return None
        trained = checkpoint.data_dir or "downloaded"
        return (
            f"{folder.path}: trained on the {trained} data, not the bundled data loaded here; "
            f"quit and run lenet-tui --resume {folder.path} (add --data-dir DIR if that data "
            "has moved)"
        )

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "activations":
            self.query_one(ActivationViewer).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Stop a run in progress first, so the process ends with the terminal restored."""
        await self._stop_run()
        self.exit(return_code=self._exit_code)

    async def _stop_run(self) -> None:
        """End a run in progress after its batch; its folder is then complete and resumable."""
        if self._trainer is not None and self._worker is not None and self.running:
            self._trainer.request_stop()
            self._set_view(state="stopping", message="stopping the run, then quitting…")
            with contextlib.suppress(Exception):  # a failure was already shown in the panel
                await self._worker.wait()

    def quit_on_signal(self, signum: int) -> None:
        """SIGTERM or SIGHUP: the run stops after its batch and its folder stays resumable;
        the process exits with 128 + the signal's number."""
        self._exit_code = 128 + signum
        if signum == getattr(signal, "SIGHUP", None):
            self.call_later(self._quit_hung_up)
        else:
            self.call_later(self.action_quit)  # as ctrl+q, the terminal restored

    async def _quit_hung_up(self) -> None:
        """The terminal is gone: there is nothing to restore, and Textual's shutdown would wait
        forever to write to it, so once the run's files are complete the process just ends."""
        await self._stop_run()
        os._exit(self._exit_code)

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in QUIT_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Start training", "Train with the form's settings", self.action_start)
        yield SystemCommand("Stop training", "Stop after the current batch", self.action_stop)
        yield SystemCommand("New run", "Back to the form with the last values", self.action_new_run)
        yield SystemCommand(
            "Resume a run", "Go on from a kept run's last checkpoint", self.action_resume
        )
        yield SystemCommand(
            "Show activations",
            "Pick test images, see conv feature maps",
            lambda: self.action_show_tab("activations"),
        )
        yield SystemCommand("Keys", "Every key of lenet-tui", self.action_help)

    # -- training ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def train(self, trainer: Trainer, folder: RunFolder | None, run_dir: Path | None) -> None:
        """Drive the engine and keep the run folder up to date (a checkpoint at each epoch end).

        Weights are copied and checkpoints written while the engine is paused between events.
        The run folder is new (in run_dir, else a fresh default one) unless resuming.
        """
        try:
            folder = folder or RunFolder.create(trainer.config, run_dir)
            recorder = RunRecorder(folder, trainer, self._data_dir, self._download)
        except LenetError as exc:
            self.post_message(TrainingEvent(RunFailed(str(exc), traceback="")))
            return
        self.post_message(RunOpened(folder))
        try:
            for event in trainer.run():
                recorder.record(event)
                if isinstance(event, (RunStarted, EpochEnd)) and trainer.model is not None:
                    epoch = event.epoch if isinstance(event, EpochEnd) else event.start_epoch
                    inspector = Inspector(trainer.model, trainer.data, epoch)
                    self.post_message(WeightsSnapshot(inspector))
                self.post_message(TrainingEvent(event))
        except RunFolderError as exc:  # the disk filled up, say: training ends here
            self.post_message(TrainingEvent(RunFailed(f"{exc}; training stopped", traceback="")))
        finally:
            recorder.close()

    @on(RunOpened)
    def run_opened(self, message: RunOpened) -> None:
        self.folder = message.folder
        if self._run_dir is not None and message.folder.path == Path(self._run_dir):
            self._run_dir = None  # it holds its run now; later runs get new default folders
        if message.folder.path not in self._session_folders:
            self._session_folders.append(message.folder.path)
        self._set_view(run_dir=_home_relative(message.folder.path))

    @on(WeightsSnapshot)
    def show_weights(self, message: WeightsSnapshot) -> None:
        self._offer_weights(message.inspector)

    def _offer_weights(self, inspector: Inspector) -> None:
        """New weights for the viewer: drawn now if its tab is shown, else when it is.

        Drawing runs the image through the network on a worker thread; while the Train tab is
        shown that is work nobody sees, taken from training's share of the CPU.
        """
        if self.query_one(TabbedContent).active == "activations":
            self._unseen_weights = None
            self.query_one(ActivationViewer).show_weights(inspector)
        else:
            self._unseen_weights = inspector

    @on(TabbedContent.TabActivated)
    def tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "activations" and self._unseen_weights is not None:
            inspector, self._unseen_weights = self._unseen_weights, None
            self.query_one(ActivationViewer).show_weights(inspector)

    @on(TrainingEvent)
    def show_event(self, message: TrainingEvent) -> None:
        event, now, plot = message.event, self._clock(), self.query_one(MetricsPlot)
        if isinstance(event, RunStarted):
            self.query_one(LayerTable).show_layers(event.layers)
            self._checkpoint_epoch = event.start_epoch
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
            self._checkpoint_epoch = event.epoch
            plot.add_test(event.epoch, event.test_acc)
            self._note(epoch=float(event.epoch), test_acc=event.test_acc, test_epoch=event.epoch)
        elif isinstance(event, RunFinished):
            self._end_run("finished", summary=summary_lines(event), now=now)
        elif isinstance(event, RunStopped):
            stopped = f"stopped in epoch {event.epoch}, step {event.step}"
            self._end_run("stopped", message=f"{stopped}; {self._kept(resume=True)}")
        elif isinstance(event, RunDiverged):
            self._end_run("diverged", message=f"{event.message} {self._kept(resume=False)}")
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

    def _kept(self, resume: bool) -> str:
        """What of the run is on disk, and (for a stopped run) how to go on."""
        if self.folder is None or self._checkpoint_epoch is None:
            return "no checkpoint was written"
        k = self._checkpoint_epoch
        at = "the start of training" if k == 0 else f"the end of epoch {k}"
        if resume:
            return f"its checkpoint at {at} is kept: ctrl+o resumes it"
        return f"The last good checkpoint ({at}) is kept."

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
    run_dir: Path | None = None,
    resume: Path | None = None,
) -> LenetApp:
    """The one way to build the dashboard, for the command line and the tests alike.

    Runs are kept in run folders (the first in run_dir, if given); with resume, the run in that
    folder goes on as soon as its data is loaded.
    """
    return LenetApp(
        config or TrainConfig(),
        data_dir=data_dir,
        download=download,
        data=data,
        devices=devices,
        clock=clock,
        run_dir=run_dir,
        resume=resume,
    )


def _finite(value: object) -> bool:
    """A real number that is not NaN or infinite (metrics files are JSON from anywhere)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _home_relative(path: Path) -> str:
    """The path with the home directory shown as ~, as a shell user would write it."""
    path = Path(path).absolute()
    with contextlib.suppress(ValueError):
        return str(Path("~") / path.relative_to(Path.home()))
    return str(path)
