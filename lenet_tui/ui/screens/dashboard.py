"""The dashboard's one screen: the Train, Activations, Runs and Errors tabs.

It holds one `Phase` plus at most one request waiting for the data (lenet_tui.ui.modes.state),
loads the data, passes the newest weights to the Activations tab when it is shown, and routes keys
to the mode in use (lenet_tui.ui.modes): a single run, a grid here or on Ray, a kept run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import Dataset, load_dataset
from lenet_tui.engine.data_source import BUNDLED, TITLES, DataSource
from lenet_tui.engine.events import Event
from lenet_tui.errors import LenetError, one_line
from lenet_tui.runs.driver import RunDriver
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.ui.keys import bindings
from lenet_tui.ui.messages import (
    DataFailed,
    DataLoaded,
    ModelPreview,
    RunEnded,
    RunOpened,
    TrainingEvent,
    WeightsSnapshot,
)
from lenet_tui.ui.modes.local_grid import GridProgress, LocalGrid
from lenet_tui.ui.modes.ray_grid import RayGridMode
from lenet_tui.ui.modes.resuming import Resuming
from lenet_tui.ui.modes.single import SingleRun
from lenet_tui.ui.modes.state import Folders, Phase, Request, ResumeRequest, StartRequest
from lenet_tui.ui.widgets.activation_viewer import ActivationViewer
from lenet_tui.ui.widgets.config_form import ConfigForm
from lenet_tui.ui.widgets.confusion_images import ConfusionImages
from lenet_tui.ui.widgets.errors_view import ErrorsView
from lenet_tui.ui.widgets.runs_view import RunsView
from lenet_tui.ui.widgets.train_view import Clock, TrainView
from lenet_tui.ui.widgets.trials_table import TrialsView

NARROW = 100
"""Terminals narrower than this get the compact layout (80x24 must stay readable)."""


class DashboardScreen(Screen[None]):
    """Edit the settings, start a run, watch LeNet learn."""

    BINDINGS = bindings("dashboard")

    phase: reactive[Phase] = reactive(Phase.LOADING, bindings=True)

    def __init__(self, config: TrainConfig, *, data: Dataset | None = None,
                 data_source: DataSource | None = None, devices: list[str],
                 clock: Clock = time.monotonic, run_dir: Path | None = None,
                 resume: Path | None = None) -> None:  # fmt: skip
        super().__init__()
        self.data = data
        self.chosen = data_source
        """The data the user chose on the command line (None: bundled, or a resumed run's own)."""
        self.dataset_at_start = config.dataset  # loaded at the start (the form's may differ)
        self.folders = Folders(run_dir)
        self._resume_at_start = resume
        self._ray_at_start: RayOptions | None = None
        self.pending: Request | None = None
        """What waits for the data to be in memory; a later request replaces it."""
        self.grid = GridProgress()
        """The grid begun last, if any (both grid modes share it)."""
        self.single, self.resuming = SingleRun(self), Resuming(self)
        self.local_grid, self.ray_grid = LocalGrid(self, self.grid), RayGridMode(self, self.grid)
        self.mode: SingleRun = self.single
        """The mode of the run (or runs) in flight, or of the last one."""
        self.train_view = TrainView(config, devices, clock, id="train-body")

    @property
    def last_folder(self) -> Path | None:
        return self.folders.last

    def offer_ray(self, options: RayOptions) -> None:
        """Fill the form's ray fields with these options (`lenet-tui --ray [ADDRESS]`)."""
        self._ray_at_start = options
        if self.is_mounted:
            self.train_view.form.set_ray(options)

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            yield TabPane("Train  F2", self.train_view, id="train")
            yield TabPane("Activations  F3", ActivationViewer(id="viewer"), id="activations")
            yield TabPane("Runs  F4", RunsView(self.folders.opened, id="runs-view"), id="runs")
            yield TabPane("Errors  F5", ErrorsView(id="errors-view"), id="errors")
        yield Footer()
        yield from (self.single, self.resuming, self.local_grid, self.ray_grid)

    def on_mount(self) -> None:
        self.query_one("#field-lr").focus()
        if self._ray_at_start is not None:
            self.train_view.form.set_ray(self._ray_at_start)
        if self._resume_at_start is not None:
            if self.data is None:
                self.phase = Phase.OPENING  # the run says which data to load
            self.resuming.open_run(self._resume_at_start)
        if self.data is not None:
            # after the first layout at the terminal's size: text laid out before its size
            # classes applied (the form's data line) could keep the height it had when wide
            self.call_after_refresh(self.post_message, DataLoaded(self.data))
        elif self.phase is not Phase.OPENING:
            self.load(self.chosen, self.dataset_at_start)

    # -- the data ------------------------------------------------------------------------------

    def load(self, source: DataSource | None, dataset: str) -> None:
        self.phase = Phase.LOADING
        self.load_data(source or BUNDLED, dataset)

    @work(thread=True, exit_on_error=False, group="data")
    def load_data(self, source: DataSource, dataset: str) -> None:
        try:
            self.post_message(DataLoaded(load_dataset(source, dataset)))
        except Exception as exc:  # a bug or the machine (memory) too: never a silent hang
            self.post_message(DataFailed(one_line(exc)))

    @on(DataLoaded)
    def data_ready(self, message: DataLoaded) -> None:
        self.data, self.phase = message.data, Phase.READY
        self.app.sub_title = f"LeNet-5 on {TITLES.get(message.data.name, message.data.name)}"
        self.train_view.show_data(message.data)
        pending, self.pending = self.pending, None
        if isinstance(pending, ResumeRequest):
            self.resuming.resume(pending.kept)
        elif isinstance(pending, StartRequest):
            self.action_start()

    @on(DataFailed)
    def data_failed(self, message: DataFailed) -> None:
        if isinstance(self.pending, ResumeRequest):
            self.notify("the run cannot be resumed without its data", severity="error")
        self.pending = None
        self.notify(message.error, title="No data", severity="error", timeout=30)
        if self.data is not None:  # other data failed to load: the data in memory still serves
            self.phase = Phase.READY
        else:
            self.phase = Phase.NO_DATA
            self.train_view.show_no_data(message.error)

    # -- starting, stopping, resuming ----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot apply now leave the footer (it must fit 80 columns); Start stays,
        greyed, while the form has errors."""
        running = self.phase is Phase.RUNNING
        if action == "show_tab":  # the shown tab's own key leaves the footer
            tabs = self.query(TabbedContent)
            return not tabs or parameters[0] != tabs.first().active
        if action == "start":
            return False if running else (self.query_one(ConfigForm).config is not None or None)
        ray = self.ray_grid.runner is not None  # a grid on Ray: F8 says it does not pause
        if action in ("pause", "ray_pause"):  # F8 says Pause, or Go on while paused
            driver = self.train_view.driver
            paused = driver is not None and driver.paused
            return ray if action == "ray_pause" else running and not ray and parameters[0] != paused
        if action in ("stop", "new_run", "resume"):
            return running if action == "stop" else not running
        return True

    @on(ConfigForm.StartPressed)
    def action_start(self) -> None:
        form = self.query_one(ConfigForm)
        config = form.config
        if config is None:
            self.notify("fix the highlighted fields first", severity="warning")
        elif self.ready_for(StartRequest(), "starts") and self.data is not None:
            grid = form.grid_request
            if self.data.name != config.dataset:  # the form asks for the other dataset
                self.load_then(StartRequest(), self.chosen, config.dataset)
            elif grid is not None:
                mode = self.local_grid if grid.ray is None else self.ray_grid
                mode.begin_grid(config, grid, self.data)
            else:
                self.single.begin(config, self.data)

    def load_then(self, request: Request, source: DataSource | None, dataset: str) -> None:
        self.notify(f"loading {dataset}; the run begins as soon as it is in memory")
        self.pending = request  # carried out once the other dataset is in memory
        self.load(source, dataset)

    def ready_for(self, request: Request, verb: str) -> bool:
        """Whether a run can begin now; while the data loads, `request` waits for it instead."""
        if self.phase is Phase.RUNNING:
            self.notify("stop the run first (ctrl+x)", severity="warning")
        elif self.phase is Phase.OPENING and isinstance(request, StartRequest):
            self.notify("the run given with --resume goes on first", severity="warning")
        elif self.phase in (Phase.LOADING, Phase.OPENING):
            self.pending = request  # a later request replaces an earlier one
            self.notify(f"loading the data; the run {verb} as soon as it is in memory")
        elif self.phase is Phase.NO_DATA:
            self.notify("there is no data to train on; see the status panel", severity="error")
        return self.phase is Phase.READY

    def begin_run(self, mode: SingleRun, make: Callable[[], RunDriver], refused: str,
                  history: Sequence[Event] = ()) -> bool:  # fmt: skip
        """Make the run's driver (settings, device and data are checked then) and train it in
        `mode`; a refusal is one line in a notification titled `refused`."""
        try:
            driver = make()
        except LenetError as exc:
            self.notify(str(exc), title=refused, severity="error", timeout=30)
            return False
        self.mode, self.phase = mode, Phase.RUNNING
        self.train_view.start(driver, history)
        self.query_one(ErrorsView).replay(history, driver.start_epoch)
        return True

    def action_stop(self) -> None:
        if self.phase is not Phase.RUNNING:  # from the palette
            self.notify("no run is training", severity="warning")
            return
        self.mode.stop()

    def action_pause(self, pause: bool) -> None:
        self.train_view.toggle_pause()  # after the current batch, or go on
        self.refresh_bindings()

    def action_new_run(self) -> None:
        if self.phase is Phase.RUNNING:
            self.notify("stop the run first (ctrl+x)", severity="warning")
            return
        self.action_show_tab("train")
        self.train_view.show_form()

    def action_resume(self) -> None:
        self.resuming.choose()

    def action_ray_pause(self) -> None:
        self.ray_grid.say_no_pause()

    @on(RunOpened)
    def run_opened(self, message: RunOpened) -> None:
        self.folders.opened_now(message.folder.path)
        self.query_one(RunsView).run_opened(message.folder)
        self.mode.run_opened(message.folder.path)

    @on(TrainingEvent)
    def share_event(self, message: TrainingEvent) -> None:  # the Train tab drew it
        self.query_one(RunsView).follow(message)
        self.query_one(ErrorsView).follow(message)

    @on(RunEnded)
    def run_ended(self, message: RunEnded) -> None:
        self.phase = Phase.READY
        self.mode.run_ended(message)

    @on(TrialsView.Highlighted)
    def plot_trial(self, message: TrialsView.Highlighted) -> None:
        self.ray_grid.plot_run(message.row)

    def action_show_tab(self, tab: str) -> None:
        self.set_focus(None)  # focus left in the hidden tab would show that tab again
        self.query_one(TabbedContent).active = tab
        if tab == "activations":  # the other tabs focus their own keys' widget when shown
            self.query_one(ActivationViewer).focus()

    @on(ModelPreview)
    @on(WeightsSnapshot)
    def offer_weights(self, message: ModelPreview | WeightsSnapshot) -> None:
        """New weights for the viewer, which draws them now if its tab is shown, else when it is
        (drawing while the Train tab is shown is work nobody sees, taken from training)."""
        self.query_one(ErrorsView).offer_weights(message)
        if message.inspector is not None:  # None: a preview made before the images were loaded
            shown = self.query_one(TabbedContent).active == "activations"
            self.query_one(ActivationViewer).offer_weights(message.inspector, shown=shown)

    @on(TabbedContent.TabActivated)
    def tab_shown(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()
        if event.pane.id == "activations":
            self.query_one(ActivationViewer).draw_unseen()

    @on(ConfusionImages.Opened)
    def open_image(self, message: ConfusionImages.Opened) -> None:  # picked in the Errors tab
        self.query_one(ActivationViewer).show_image(message.index)
        self.action_show_tab("activations")

    @on(ConfigForm.Changed)
    def form_changed(self) -> None:
        self.refresh_bindings()
