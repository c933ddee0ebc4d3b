"""The dashboard's kept runs: pick one (ctrl+o, or --resume at the start) and go on with it.

A mixin of DashboardScreen, which holds the session (`phase`, `data`, `_chosen`, `_begin`...);
reading and checking a run folder is lenet_tui.runs.driver's KeptRun.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.screen import Screen

from lenet_tui.errors import one_line
from lenet_tui.runs.driver import KeptRun, RunDriver
from lenet_tui.runs.folder import default_runs_dir
from lenet_tui.runs.history import list_runs
from lenet_tui.ui.messages import ResumeFailed, ResumeReady
from lenet_tui.ui.screens.resume import ResumeScreen
from lenet_tui.ui.session import Phase, ResumeRequest
from lenet_tui.ui.widgets.config_form import ConfigForm

if TYPE_CHECKING:
    from lenet_tui.ui.screens.dashboard import DashboardScreen

    _Base = DashboardScreen
else:
    _Base = Screen


class KeptRuns(_Base):
    """ctrl+o's list of kept runs, and going on with the one picked once its data is loaded."""

    def resume_run(self, kept: KeptRun) -> None:
        """Go on with a kept run now, or once the data is in memory."""
        if not self._ready_for(ResumeRequest(kept), "resumes") or self.data is None:
            return
        if self.data.name != kept.config.dataset:
            self._load_then(
                ResumeRequest(kept), kept.data_source(self._chosen), kept.config.dataset
            )
        elif mismatch := kept.data_mismatch(self.data, self._chosen):
            self.notify(mismatch, title="Cannot resume", severity="error", timeout=30)
        elif self._begin(lambda: RunDriver.resume(kept, self.data), "Cannot resume", kept.history):
            self.query_one(ConfigForm).set_config(kept.config)

    def action_resume(self) -> None:
        """Pick a kept run and go on from its last checkpoint."""
        if self.phase is Phase.RUNNING:
            self.notify("stop the run first (ctrl+x)", severity="warning")
            return
        where = default_runs_dir()
        runs = list_runs(where, also=self.session_folders)
        chosen = ResumeScreen(runs, where, self.last_folder)
        self.app.push_screen(chosen, lambda path: path is None or self.open_run(path))

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def open_run(self, path: Path) -> None:
        """Check and read a kept run's settings, checkpoint and metrics (reads torch files)."""
        try:
            self.post_message(ResumeReady(KeptRun.open(path)))
        except Exception as exc:  # a bug or the machine too: shown, never a dead worker
            self.post_message(ResumeFailed(one_line(exc)))

    @on(ResumeFailed)
    def resume_failed(self, message: ResumeFailed) -> None:
        self.notify(message.error, title="Cannot resume", severity="error", timeout=30)
        if self.phase is Phase.OPENING:  # started with --resume: still of use without it
            self._load(self._chosen, self._dataset)

    @on(ResumeReady)
    def resume_ready(self, message: ResumeReady) -> None:
        if self.phase is Phase.OPENING:  # started with --resume: load the data it needs
            self._load(message.kept.data_source(self._chosen), message.kept.config.dataset)
        self.resume_run(message.kept)
