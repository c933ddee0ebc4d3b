"""Going on with a kept run: pick one (ctrl+o, or --resume at the start), read it in a worker
(lenet_tui.runs.driver's KeptRun), and train it as a single run once its data is in memory."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.worker import Worker, WorkerState

from lenet_tui.errors import one_line
from lenet_tui.runs.driver import KeptRun, RunDriver
from lenet_tui.runs.folder import default_runs_dir
from lenet_tui.runs.history import list_runs
from lenet_tui.ui.modes.single import SingleRun
from lenet_tui.ui.modes.state import Phase, ResumeRequest
from lenet_tui.ui.screens.resume import ResumeScreen
from lenet_tui.ui.widgets.config_form import ConfigForm


class Resuming(SingleRun):
    """ctrl+o's list of kept runs, and going on with the one picked once its data is loaded."""

    def choose(self) -> None:
        """Pick a kept run and go on from its last checkpoint."""
        if self.board.phase is Phase.RUNNING:
            self.notify("stop the run first (ctrl+x)", severity="warning")
            return
        where, folders = default_runs_dir(), self.board.folders
        chosen = ResumeScreen(list_runs(where, also=folders.opened), where, folders.last)
        self.app.push_screen(chosen, lambda path: path is None or self.open_run(path))

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def open_run(self, path: Path) -> KeptRun:
        """Check and read a kept run's settings, checkpoint and metrics (reads torch files)."""
        return KeptRun.open(path)

    @on(Worker.StateChanged)
    def run_read(self, event: Worker.StateChanged) -> None:
        """The kept run is read: go on with it; or say why it cannot be (a bug or the machine
        too: shown, never a dead worker)."""
        board, kept, error = self.board, event.worker.result, event.worker.error
        if event.state == WorkerState.ERROR and error is not None:
            self.notify(one_line(error), title="Cannot resume", severity="error", timeout=30)
            if board.phase is Phase.OPENING:  # started with --resume: still of use without it
                board.load(board.chosen, board.dataset_at_start)
        elif event.state == WorkerState.SUCCESS and isinstance(kept, KeptRun):
            if board.phase is Phase.OPENING:  # started with --resume: load the data it needs
                board.load(kept.data_source(board.chosen), kept.config.dataset)
            self.resume(kept)

    def resume(self, kept: KeptRun) -> None:
        """Go on with a kept run now, or once the data is in memory."""
        board, data = self.board, self.board.data
        if not board.ready_for(ResumeRequest(kept), "resumes") or data is None:
            return
        if data.name != kept.config.dataset:
            source = kept.data_source(board.chosen)
            board.load_then(ResumeRequest(kept), source, kept.config.dataset)
        elif mismatch := kept.data_mismatch(data, board.chosen):
            self.notify(mismatch, title="Cannot resume", severity="error", timeout=30)
        elif board.begin_run(self, lambda: RunDriver.resume(kept, data), "Cannot resume",
                             kept.history):  # fmt: skip
            board.query_one(ConfigForm).set_config(kept.config)
