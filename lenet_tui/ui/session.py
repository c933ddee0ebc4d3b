"""Where a dashboard session stands: one phase, and at most one request waiting for the data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from lenet_tui.runs.driver import KeptRun


class Phase(Enum):
    """What the session can do now; exactly one holds at a time."""

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
"""What a session may be waiting to do; a later request replaces an earlier one."""
