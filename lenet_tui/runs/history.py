"""The runs kept on disk, summarised from their files for a list to pick one to resume.

Reads only config.toml and metrics.jsonl: no torch, no checkpoint loading (that happens when a
run is actually resumed, and is checked then). Knows nothing about any user interface.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import EpochEnd, RunDiverged, RunFailed, RunFinished, RunStopped
from lenet_tui.errors import LenetError, RunFolderError
from lenet_tui.runs.folder import RunFolder, is_being_trained

KeptState = Literal[
    "running", "finished", "stopped", "diverged", "failed", "interrupted", "not started", "damaged"
]
ENDINGS: dict[type, KeptState] = {
    RunFinished: "finished",
    RunStopped: "stopped",
    RunDiverged: "diverged",
    RunFailed: "failed",
}
"""The last event of a run that ended, and the state it leaves the run in."""


@dataclass(frozen=True)
class RunSummary:
    """One run folder as the list shows it."""

    folder: RunFolder
    config: TrainConfig | None
    """None when its config.toml is damaged (such a run cannot be resumed)."""
    state: KeptState
    """running (another process is training it), finished, stopped, diverged, failed,
    interrupted (killed), not started, or damaged."""
    epochs_done: int
    """Epochs with a test accuracy in the metrics: the epoch a resume continues after."""
    test_acc: float | None
    has_checkpoint: bool
    modified: float
    """When the folder last changed (seconds since the epoch), for the newest-first order."""

    @property
    def name(self) -> str:
        return self.folder.path.name

    @property
    def resumable(self) -> bool:
        return (
            self.config is not None
            and self.has_checkpoint
            and self.state not in ("finished", "running", "diverged")
            and self.epochs_done < self.config.epochs
        )


def summarise(folder: RunFolder) -> RunSummary:
    """What the folder's files say about the run; never raises for a damaged folder."""
    config: TrainConfig | None = None
    with contextlib.suppress(LenetError):
        config = folder.read_config()
    try:
        events = folder.read_events()
    except RunFolderError:
        events = []
    done = [event for event in events if isinstance(event, EpochEnd)]
    state: KeptState
    if config is None:
        state = "damaged"
    elif is_being_trained(folder):
        state = "running"
    elif events:
        state = ENDINGS.get(type(events[-1]), "interrupted")
    else:
        state = "not started"
    try:
        modified = max(p.stat().st_mtime for p in (folder.path, *folder.path.iterdir()))
    except OSError:
        modified = 0.0
    test_acc = done[-1].test_acc if done else None
    return RunSummary(
        folder=folder,
        config=config,
        state=state,
        epochs_done=done[-1].epoch if done else 0,
        test_acc=test_acc if test_acc is not None and math.isfinite(test_acc) else None,
        has_checkpoint=folder.checkpoint_path.is_file(),
        modified=modified,
    )


def list_runs(base: Path, limit: int = 100, also: Iterable[Path] = ()) -> list[RunSummary]:
    """The run folders directly under base (and the folders `also`, wherever they are), newest
    first.

    Folders without a config.toml, and folders that cannot be read, are left out; at most
    `limit` are returned.
    """
    entries: list[Path] = []
    with contextlib.suppress(OSError):
        entries = list(Path(base).iterdir())
    candidates: dict[Path, Path] = {}
    for path in [*entries, *map(Path, also)]:
        with contextlib.suppress(OSError):  # unreadable: not listed, never fatal
            if (path / "config.toml").is_file():
                candidates.setdefault(path.resolve(), path)
    summaries = [summarise(RunFolder(p)) for p in candidates.values()]
    summaries.sort(key=lambda s: (s.modified, s.name), reverse=True)
    return summaries[:limit]
