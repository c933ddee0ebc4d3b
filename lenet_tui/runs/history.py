"""The runs kept on disk, summarised from their files: for the ctrl+o list of runs to resume and
for the Runs tab.

Reads only config.toml, metrics.jsonl and notes.toml: no torch, no checkpoint loading (that
happens when a run is actually resumed, and is checked then). Knows nothing about any user
interface. A damaged, half-written or foreign folder is summarised as well as its files allow,
never with an exception.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import EpochEnd
from lenet_tui.errors import LenetError
from lenet_tui.runs.event_log import RunState, read_state
from lenet_tui.runs.folder import CONFIG_NAME, METRICS_NAME, RunFolder, is_being_trained
from lenet_tui.runs.notes import NOTES_NAME, RunNote, read_note

KeptState = Literal[RunState, "damaged"]
"""A run's state (`run_state`), or damaged: its config.toml is missing or unreadable."""
GRID_MARK = "grid.toml"
"""A folder directly under the runs dir that holds this file is a grid: its run folders are
inside it."""


@dataclass(frozen=True)
class RunSummary:
    """One run folder as a list shows it."""

    folder: RunFolder
    config: TrainConfig | None
    """None when its config.toml is damaged or missing (such a run cannot be resumed)."""
    state: KeptState
    """Its RunState (lenet_tui.runs.event_log), or damaged."""
    epochs_done: int
    """Epochs with a test accuracy in the metrics: the epoch a resume continues after."""
    test_acc: float | None
    """The last finished epoch's (None before the first, or if it was not a number)."""
    has_checkpoint: bool
    modified: float
    """When the folder last changed (seconds since the epoch), for the newest-first order."""
    epochs: tuple[EpochEnd, ...] = ()
    """Each finished epoch's figures, by epoch (a resumed epoch's last record)."""
    note: RunNote = field(default_factory=RunNote)
    grid: str = ""
    """The grid folder's name, for a run inside one."""

    @property
    def name(self) -> str:
        return self.folder.path.name

    @property
    def title(self) -> str:
        """The name the user gave the run, else its folder's (after its grid's, in a grid)."""
        return self.note.name or (f"{self.grid}/{self.name}" if self.grid else self.name)

    @property
    def best_acc(self) -> float | None:
        accs = [e.test_acc for e in self.epochs if math.isfinite(e.test_acc)]
        return max(accs) if accs else None

    @property
    def seconds(self) -> float:
        """Time spent training and evaluating its finished epochs (not the wall time)."""
        return sum(e.seconds for e in self.epochs if math.isfinite(e.seconds))

    @property
    def resumable(self) -> bool:
        return (
            self.config is not None
            and self.has_checkpoint
            and self.state not in ("finished", "running", "diverged")
            and self.epochs_done < self.config.epochs
        )


def summarise(folder: RunFolder, grid: str = "", modified: float | None = None) -> RunSummary:
    """What the folder's files say about the run; never raises for a damaged folder.

    `modified` saves the stat calls when the caller already knows when the folder last changed.
    """
    config: TrainConfig | None = None
    with contextlib.suppress(LenetError, OSError):  # OSError: config.toml is a folder, say
        config = folder.read_config()
    done, read = read_state(folder.metrics_path, config.epochs if config else None)
    state: KeptState = read
    if config is None:
        state = "damaged"
    elif is_being_trained(folder):
        state = "running"
    test_acc = done[-1].test_acc if done else None
    return RunSummary(
        folder=folder,
        config=config,
        state=state,
        epochs_done=done[-1].epoch if done else 0,
        test_acc=test_acc if test_acc is not None and math.isfinite(test_acc) else None,
        has_checkpoint=_is_file(folder.checkpoint_path),
        modified=last_modified(folder.path) if modified is None else modified,
        epochs=tuple(done),
        note=read_note(folder.path),
        grid=grid,
    )


def last_modified(path: Path) -> float:
    """When the run last changed: the newest modification time of the files in its folder, its
    name and note aside (the folder's own if it holds none; 0 if unreadable)."""
    try:
        times = [p.stat().st_mtime for p in path.iterdir() if p.name != NOTES_NAME]
        return max(times) if times else path.stat().st_mtime
    except OSError:
        return 0.0


def run_dirs(base: Path, also: Iterable[Path] = ()) -> list[tuple[Path, str]]:
    """The run folders directly under base, those in its grid folders, and the folders `also`
    (wherever they are), each once, with the name of its grid ("" if none).

    A run folder holds a config.toml or a metrics.jsonl; folders that cannot be read are left
    out, never an error.
    """
    found: dict[Path, tuple[Path, str]] = {}
    for path in _children(Path(base)):
        if _is_file(path / GRID_MARK):
            for inner in _children(path):
                _add_run(found, inner, path.name)
        else:
            _add_run(found, path, "")
    for path in map(Path, also):
        _add_run(found, path, "")
    return list(found.values())


def list_runs(base: Path, limit: int = 100, also: Iterable[Path] = ()) -> list[RunSummary]:
    """The run folders under base (see run_dirs) and the folders `also`, newest first; at most
    `limit` are returned."""
    summaries = [summarise(RunFolder(p), grid) for p, grid in run_dirs(base, also)]
    summaries.sort(key=lambda s: (s.modified, s.name), reverse=True)
    return summaries[:limit]


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _add_run(found: dict[Path, tuple[Path, str]], path: Path, grid: str) -> None:
    with contextlib.suppress(OSError, RuntimeError):  # unreadable, a symlink loop: left out
        if _is_file(path / CONFIG_NAME) or _is_file(path / METRICS_NAME):
            found.setdefault(path.resolve(), (path, grid))


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # permission denied on a folder on the way
        return False
