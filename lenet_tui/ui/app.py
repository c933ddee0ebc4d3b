"""The dashboard's App: what is app-wide (keys, quitting, signals, the worker threads, the command
palette). What the dashboard does lives in its screen and its modes (lenet_tui.ui.modes)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import Dataset
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.devices import available_devices
from lenet_tui.runs.folder import default_runs_dir
from lenet_tui.ui.keys import bindings, commands
from lenet_tui.ui.screens.dashboard import NARROW, DashboardScreen
from lenet_tui.ui.screens.help import HelpScreen
from lenet_tui.ui.widgets.train_view import Clock
from lenet_tui.ui.worker_threads import ThreadPerTask

QUIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Signals that end the dashboard as ctrl+q does."""
REPLACED_COMMANDS = ("Keys", "Screenshot", "Quit")
"""Textual's palette entries that lenet-tui's own replace: its key page (F1), a screenshot saved
in the run's folder rather than the working directory, and quit named with its key."""


class LenetApp(App[None]):
    """lenet-tui's dashboard: opens the DashboardScreen and ends cleanly however it is told to."""

    CSS_PATH = ["app.tcss", "runs.tcss", "viewer.tcss", "health.tcss"]
    """The layout; each area of the dashboard has its own file."""
    TITLE = "lenet-tui"
    SUB_TITLE = "LeNet-5 on Fashion-MNIST"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]
    NOTIFICATION_TIMEOUT = 4
    """Seconds a notification stays unless it says otherwise (errors stay longer)."""
    BINDINGS = bindings("app")

    def __init__(self, dashboard: DashboardScreen) -> None:
        super().__init__()
        self.dashboard = dashboard
        self._exit_code = 0
        self._collections = 0
        """What the process exits with: 0, or 128 + N after signal N."""

    def on_load(self) -> None:
        # Before the screen and its first worker: every thread worker gets a thread that ends
        # with it (why: see lenet_tui.ui.worker_threads); the loop joins them on exit.
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPerTask("lenet-tui"))
        for signum in QUIT_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # Windows
                loop.add_signal_handler(signum, self.quit_on_signal, signum)

    def on_ready(self) -> None:
        # What exists now (torch, Textual, the widgets) lives as long as the app. Left in the
        # collector's view, every full collection walks all of it, ~250 ms on a busy 2-core
        # machine, at any moment, and a key's redraw waits for it (bench_dashboard.py). Frozen,
        # a full collection walks only what was made since; and collections run at set times,
        # young objects every second, all of them once a minute.
        gc.freeze()
        gc.disable()
        self.set_interval(1.0, self._collect, name="gc")

    def _collect(self) -> None:
        self._collections += 1
        gc.collect(2 if self._collections % 60 == 0 else 1)

    def get_default_screen(self) -> Screen:
        return self.dashboard

    def on_resize(self, event: Resize) -> None:
        for footer in self.screen.query(Footer):  # 80 columns must hold the run keys
            footer.compact = event.size.width < NARROW
            footer.show_command_palette = event.size.width >= NARROW  # ctrl+p still opens it

    def on_unmount(self) -> None:
        gc.enable()
        loop = asyncio.get_running_loop()
        for signum in QUIT_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:  # fmt: skip
        """Every notification is shown as written, never read as markup (whatever `markup` a
        widget passes): they quote paths, run names and errors, which may hold [brackets]."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def action_help_quit(self) -> None:
        """ctrl+c outside a field: say which key quits (Textual's own line is markup)."""
        self.notify("ctrl+q quits lenet-tui", title="Do you want to quit?")

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_save_screen(self) -> None:
        """Save the screen as an SVG in the newest run's folder (else the runs folder)."""
        folder = self.dashboard.last_folder or default_runs_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            saved = self.save_screenshot(path=str(folder))
        except OSError as exc:
            self.notify(f"cannot save it in {folder}: {exc.strerror}", severity="error")
            return
        self.notify(saved, title="Screen saved", timeout=10)

    async def action_quit(self) -> None:
        """Stop a run in progress first, so the process ends with the terminal restored."""
        self.dashboard.mode.end_runs()  # no further run of a grid starts while this one stops
        await self.dashboard.train_view.stop_and_wait()
        self.exit(return_code=self._exit_code)

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
        self.dashboard.mode.end_runs()
        await self.dashboard.train_view.stop_and_wait()
        os._exit(self._exit_code)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's entries but those lenet-tui replaces, then every key of lenet-tui's."""
        for command in super().get_system_commands(screen):
            if command.title not in REPLACED_COMMANDS:
                yield command
        board = self.dashboard
        yield from commands({"app": self, "dashboard": board, "train": board.train_view})


def create_app(
    config: TrainConfig | None = None,
    *,
    data_source: DataSource | None = None,
    data: Dataset | None = None,
    devices: list[str] | None = None,
    clock: Clock = time.monotonic,
    run_dir: Path | None = None,
    resume: Path | None = None,
) -> LenetApp:
    """The one way to build the dashboard, for the command line and the tests alike.

    data_source is the data the user chose (None: the bundled copy, or a resumed run's own);
    data, if given, is used instead of loading any. Runs are kept in run folders (the first in
    run_dir, if given); with resume, the run in that folder goes on once its data is loaded.
    """
    dashboard = DashboardScreen(
        config or TrainConfig(),
        data=data,
        data_source=data_source,
        devices=devices if devices is not None else available_devices(),
        clock=clock,
        run_dir=run_dir,
        resume=resume,
    )
    return LenetApp(dashboard)
