"""The dashboard's one screen: the Train, Activations, Runs and Errors tabs, and the session.

The session is one `Phase` plus at most one request waiting for the data (lenet_tui.ui.session):
it loads the data, starts new runs, goes on with kept runs (ctrl+o), and passes the newest
weights to the Activations tab when it is shown.
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
from lenet_tui.ui.grid_session import GridSession
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
from lenet_tui.ui.screens.grid_runs import GridRuns
from lenet_tui.ui.screens.kept_runs import KeptRuns
from lenet_tui.ui.screens.ray_grid_runs import RayGridRuns
from lenet_tui.ui.session import Phase, Request, ResumeRequest, StartRequest
from lenet_tui.ui.widgets.activation_viewer import ActivationViewer
from lenet_tui.ui.widgets.config_form import ConfigForm
from lenet_tui.ui.widgets.confusion_images import ConfusionImages
from lenet_tui.ui.widgets.errors_view import ErrorsView
from lenet_tui.ui.widgets.runs_view import RunsView
from lenet_tui.ui.widgets.train_view import Clock, TrainView

NARROW = 100
"""Terminals narrower than this get the compact layout (80x24 must stay readable)."""


class DashboardScreen(RayGridRuns, GridRuns, KeptRuns, Screen[None]):
    """Edit the settings, start a run, watch LeNet learn."""

    BINDINGS = bindings("dashboard")

    phase: reactive[Phase] = reactive(Phase.LOADING, bindings=True)

    def __init__(self, config: TrainConfig, *, data: Dataset | None = None,
                 data_source: DataSource | None = None, devices: list[str],
                 clock: Clock = time.monotonic, run_dir: Path | None = None,
                 resume: Path | None = None) -> None:  # fmt: skip
        super().__init__()
        self.data = data
        self._chosen = data_source
        """The data the user chose on the command line (None: bundled, or a resumed run's own)."""
        self._run_dir = run_dir
        """Where the first run started here is kept (later ones get new default folders)."""
        self._resume_at_start = resume
        self.pending: Request | None = None
        """What waits for the data to be in memory; a later request replaces it."""
        self.session_folders: list[Path] = []
        """Every run folder used in this session, for the ctrl+o list."""
        self.last_folder: Path | None = None
        self.grid = GridSession()
        """The grid started from the form (its vary field), if any: its runs train in turn."""
        self.train_view = TrainView(config, devices, clock, id="train-body")
        self._dataset = config.dataset  # loaded at the start (the form's may differ later)

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            yield TabPane("Train  F2", self.train_view, id="train")
            yield TabPane("Activations  F3", ActivationViewer(id="viewer"), id="activations")
            yield TabPane("Runs  F4", RunsView(id="runs-view"), id="runs")
            yield TabPane("Errors  F5", ErrorsView(id="errors-view"), id="errors")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#field-lr").focus()
        if self._resume_at_start is not None:
            if self.data is None:
                self.phase = Phase.OPENING  # the run says which data to load
            self.open_run(self._resume_at_start)
        if self.data is not None:
            # after the first layout at the terminal's size: text laid out before its size
            # classes applied (the form's data line) could keep the height it had when wide
            self.call_after_refresh(self.post_message, DataLoaded(self.data))
        elif self.phase is not Phase.OPENING:
            self._load(self._chosen, self._dataset)

    # -- the data ------------------------------------------------------------------------------

    def _load(self, source: DataSource | None, dataset: str) -> None:
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
            self.resume_run(pending.kept)
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
        ray = self.grid.ray_grid is not None  # a grid on Ray: F8 says it does not pause
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
        elif self._ready_for(StartRequest(), "starts") and self.data is not None:
            if self.data.name != config.dataset:  # the form asks for the other dataset
                self._load_then(StartRequest(), self._chosen, config.dataset)
                return
            if form.grid_request is not None:
                self._begin_grid(config, form.grid_request)
                return
            self._begin(lambda: RunDriver.new(config, self.data, self._run_dir), "Cannot start")

    def _load_then(self, request: Request, source: DataSource | None, dataset: str) -> None:
        self.notify(f"loading {dataset}; the run begins as soon as it is in memory")
        self.pending = request  # carried out once the other dataset is in memory
        self._load(source, dataset)

    def _ready_for(self, request: Request, verb: str) -> bool:
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

    def _begin(self, make: Callable[[], RunDriver], refused: str,
               history: Sequence[Event] = ()) -> bool:  # fmt: skip
        """Make the run's driver (settings, device and data are checked then) and train it;
        a refusal is one line in a notification titled `refused`."""
        try:
            driver = make()
        except LenetError as exc:
            self.notify(str(exc), title=refused, severity="error", timeout=30)
            return False
        self.phase = Phase.RUNNING
        self.train_view.start(driver, history)
        self.query_one(ErrorsView).replay(history, driver.start_epoch)
        return True

    def action_stop(self) -> None:
        if self.phase is not Phase.RUNNING and not self.grid.active:  # from the palette
            self.notify("no run is training", severity="warning")
            return
        if self.grid.active:  # no further run of the grid starts
            self.grid.stop()
            self.notify(self.grid.outcome, title="Grid stopped", severity="warning", timeout=30)
        self.train_view.stop()  # if a run is training

    def action_pause(self, pause: bool) -> None:
        self.train_view.toggle_pause()  # after the current batch, or go on
        self.refresh_bindings()

    def action_new_run(self) -> None:
        if self.phase is Phase.RUNNING:
            self.notify("stop the run first (ctrl+x)", severity="warning")
            return
        self.action_show_tab("train")
        self.train_view.show_form()

    @on(RunOpened)
    def run_opened(self, message: RunOpened) -> None:
        self.last_folder = path = message.folder.path
        if self._run_dir is not None and path == Path(self._run_dir):
            self._run_dir = None  # it holds its run now; later runs get new default folders
        if path not in self.session_folders:
            self.session_folders.append(path)
        self.query_one(RunsView).run_opened(message.folder)

    @on(TrainingEvent)
    def share_event(self, message: TrainingEvent) -> None:  # the Train tab drew it
        self.query_one(RunsView).follow(message)
        self.query_one(ErrorsView).follow(message)

    @on(RunEnded)
    def run_ended(self, message: RunEnded) -> None:
        self.phase = Phase.READY
        if self.grid.active:
            self._next_grid_run()  # which says what comes next
        elif not self._say_grid_stopped() and message.toast:
            self.notify(message.toast, timeout=4)

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
