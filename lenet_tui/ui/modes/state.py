"""Where the dashboard stands: its phase, the one request waiting for the data, its run folders."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from lenet_tui.runs.driver import KeptRun


class Phase(Enum):
    """What the dashboard can do now; exactly one holds at a time."""

    OPENING = "opening"
    """Started with --resume: the run is being read, to learn which data to load for it."""
    LOADING = "loading"
    """The data is loading in the background; a start or a resume waits for it."""
    NO_DATA = "no data"
    """The data could not be loaded: nothing can train."""
    READY = "ready"
    """The data is in memory and no run is training: the form, a new run or a resume."""
    RUNNING = "running"
    """A run is training (or stopping after its batch)."""


@dataclass(frozen=True)
class StartRequest:
    """Start a run with the form's settings once the data is in memory."""


@dataclass(frozen=True)
class ResumeRequest:
    """Go on with a kept run once the data is in memory."""

    kept: KeptRun


Request = StartRequest | ResumeRequest
"""What the dashboard may be waiting to do; a later request replaces an earlier one."""


@dataclass
class Folders:
    """The run folders of the dashboard (the same object for the screen and every mode)."""

    run_dir: Path | None = None
    """--run-dir: where the first run or grid begun here goes; None once it holds one."""
    opened: list[Path] = field(default_factory=list)
    """Every run folder opened since the dashboard started, for ctrl+o's list and the Runs tab."""
    last: Path | None = None
    """The folder opened last (ctrl+s saves the screen there)."""

    def opened_now(self, path: Path) -> None:
        self.last = path
        if self.run_dir is not None and path == Path(self.run_dir):
            self.run_dir = None  # it holds its run now; later runs get new default folders
        if path not in self.opened:
            self.opened.append(path)
