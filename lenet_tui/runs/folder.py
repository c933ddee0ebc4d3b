"""Run folders: where a run keeps its settings, metrics and checkpoint, and the lock on them.

A run folder holds:

- `config.toml`: the resolved settings (the seed included), readable by `--config`;
- `metrics.jsonl`: every engine event as one JSON object per line, each line flushed and fsynced;
- `checkpoint.pt`: the state after the last finished epoch (epoch 0: before the first step);
- `confusion.csv` and `per_class.csv`: the test set's confusion matrix and per-class accuracy
  after the latest epoch (rewritten at each epoch end);
- `notes.toml` (when given in the Runs tab): the run's name and note;
- `lenet-tui_<time>.svg`: screens saved from the dashboard (ctrl+s).

config.toml and checkpoint.pt are replaced atomically, and metrics.jsonl only ever grows by
whole lines (a resume first rewrites it atomically to the events up to its checkpoint), so a
kill at any instant leaves a folder that `--resume` continues from; the temporary files such a
kill leaves are removed when the folder is next opened to train. Importable without torch; the
checkpoint functions import it when called. Knows nothing about any user interface.
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

try:
    import fcntl
except ImportError:  # Windows: run folders are not locked
    fcntl = None  # type: ignore[assignment]

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import EpochEnd, Event
from lenet_tui.errors import RunFolderError, shown
from lenet_tui.files import long_name
from lenet_tui.runs.atomic import remove_temporaries, write_text_atomic
from lenet_tui.runs.config_file import dump_config, load_config_file
from lenet_tui.runs.event_log import LogLine, first_damage, read_events, read_log

if TYPE_CHECKING:
    from lenet_tui.runs.checkpoint import Checkpoint

RUNS_DIR_ENV = "LENET_TUI_RUNS_DIR"
"""Environment variable that overrides where new run folders go by default."""
CONFIG_NAME = "config.toml"
METRICS_NAME = "metrics.jsonl"
CHECKPOINT_NAME = "checkpoint.pt"
RUN_FILES = (
    CONFIG_NAME, METRICS_NAME, CHECKPOINT_NAME, "confusion.csv", "per_class.csv", "notes.toml",
)  # fmt: skip
"""The files lenet-tui keeps in a run folder (all written atomically but metrics.jsonl)."""
GRID_FILES = ("grid.toml", "grid.csv")
"""The files lenet-tui keeps in a grid folder, beside its runs' folders."""


def default_runs_dir() -> Path:
    """Where new run folders go: $LENET_TUI_RUNS_DIR, else the user data dir's runs/."""
    override = os.environ.get(RUNS_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("lenet-tui")) / "runs"


def resume_command(folder: Path) -> str:
    """The exact command that continues the run in folder."""
    return f"lenet-tui --no-ui --resume {shlex.quote(str(folder))}"


@dataclass(frozen=True)
class RunFolder:
    """The files of one run."""

    path: Path

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_NAME

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS_NAME

    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT_NAME

    @classmethod
    def create(cls, config: TrainConfig, path: Path | None = None) -> RunFolder:
        """Make a new run folder (a fresh timestamped one by default) and write its config.

        An existing folder is used only if it holds no run yet.
        """
        folder = cls(Path(path) if path is not None else fresh_name(default_runs_dir()))
        folder.refuse_if_used()
        try:
            folder.path.mkdir(parents=True, exist_ok=True)
            write_text_atomic(folder.config_path, dump_config(config))
        except OSError as exc:
            raise RunFolderError(
                f"{folder.path}: cannot create the run folder ({exc.strerror or exc}); "
                "pick another --run-dir"
            ) from None
        return folder

    def refuse_if_used(self) -> None:
        """RunFolderError (one line) if a run (or a grid) was already kept here, or the path
        is not a folder."""
        made = (CONFIG_NAME, METRICS_NAME, CHECKPOINT_NAME, *GRID_FILES)  # what a run is
        used = [name for name in made if _lexists(self.path / name)]
        if GRID_FILES[0] in used:
            raise RunFolderError(
                f"{self.path}: holds a grid; go on with it with {resume_command(self.path)} or "
                "pick another --run-dir"
            )
        if used:
            raise RunFolderError(
                f"{self.path}: already holds a run; continue it with "
                f"{resume_command(self.path)} or pick another --run-dir"
            )
        too_long = long_name(self.path)
        if too_long:
            raise RunFolderError(f"{self.path}: {too_long}; pick another --run-dir")
        try:
            if not stat.S_ISDIR(os.stat(self.path).st_mode):
                raise RunFolderError(f"{self.path}: is not a folder; pick another --run-dir")
        except FileNotFoundError:  # a new folder: made when the run starts
            pass
        except OSError as exc:  # a name too long, a file on the way, no permission
            raise RunFolderError(
                f"{self.path}: cannot be a run folder ({exc.strerror or exc}); pick another "
                "--run-dir"
            ) from None

    @classmethod
    def existing(cls, path: Path) -> RunFolder:
        """A folder that a run wrote; RunFolderError (one line) if it is not one."""
        folder = cls(Path(path))
        try:
            is_folder = stat.S_ISDIR(os.stat(folder.path).st_mode)
        except FileNotFoundError:
            is_folder = False
        except OSError as exc:  # a name too long, a file on the way, no permission
            raise RunFolderError(
                f"{folder.path}: cannot read the folder ({exc.strerror or exc}); pass a folder a "
                "run wrote"
            ) from None
        if not is_folder:
            what = "is not a folder" if _lexists(folder.path) else "no such run folder"
            raise RunFolderError(f"{folder.path}: {what}; pass a folder a run wrote")
        if not _lexists(folder.config_path):  # one that is not a file is named when read
            raise RunFolderError(
                f"{folder.path}: not a run folder (no {CONFIG_NAME}); pass a folder a run wrote"
            )
        return folder

    def holds(self, path: Path) -> bool:
        """Whether writing path would write into this folder: a path in it (through links or
        another spelling, `RUN/./metrics.jsonl`), or one of its files under another name (a
        hard link)."""
        try:
            if os.path.realpath(path).startswith(os.path.realpath(self.path) + os.sep):
                return True
            target = os.stat(path)
            with os.scandir(self.path) as entries:
                files = [entry.stat(follow_symlinks=False) for entry in entries]
        except (OSError, ValueError):  # no such file (or folder): nothing of ours to write over
            return False
        return any((f.st_dev, f.st_ino) == (target.st_dev, target.st_ino) for f in files)

    def remove_temporaries(self) -> None:
        """Remove the temporary files that killed writes left (call it under the RunLock)."""
        remove_temporaries(self.path, RUN_FILES)

    def read_config(self) -> TrainConfig:
        """The run's settings from its config.toml (ConfigFileError if it was damaged)."""
        return load_config_file(self.config_path)

    def load_checkpoint(self, config: TrainConfig) -> Checkpoint:
        """The last checkpoint, checked against config; CheckpointError or RunFolderError."""
        from lenet_tui.runs.checkpoint import load_checkpoint

        if not _lexists(self.checkpoint_path):  # one that is not a file is named when read
            config_arg = shlex.quote(str(self.config_path))
            raise RunFolderError(
                f"{self.path}: has no {CHECKPOINT_NAME} (the run ended before training began); "
                f"start it anew with lenet-tui --no-ui --config {config_arg}"
            )
        checkpoint = load_checkpoint(self.checkpoint_path, config)
        # A setting added since the checkpoint was written counts as its default there.
        saved = _with_defaults(checkpoint.state.config, TrainConfig().to_dict())
        changed = _differences(saved, config.to_dict())
        if changed:
            raise RunFolderError(
                f"{self.config_path}: differs from the checkpoint's settings ({changed}); "
                "undo the edit, or start a new run with --config"
            )
        if checkpoint.state.epoch >= config.epochs:
            raise RunFolderError(
                f"{self.path}: the run already finished its {_epochs(config.epochs)}; "
                f"its metrics are in {self.metrics_path}"
            )
        if config.stops_early(checkpoint.state.epochs_since_best):
            raise RunFolderError(
                f"{self.path}: the run stopped early after epoch {checkpoint.state.epoch} (test "
                f"acc had not improved for {config.patience} epochs); its metrics are in "
                f"{self.metrics_path}"
            )
        return checkpoint

    def read_events(self) -> list[Event]:
        """The events in metrics.jsonl, oldest first (none if there is no such file)."""
        return read_events(self.metrics_path)

    def read_history(self) -> list[LogLine]:
        """The lines of metrics.jsonl, for a run that goes on; RunFolderError (one line) if one
        is damaged, since rewriting the file would lose what follows it."""
        lines = read_log(self.metrics_path)
        damaged = first_damage(lines)
        if damaged is not None:
            raise RunFolderError(
                f"{self.metrics_path}: line {damaged.number} is not an event (damaged: "
                f"{shown(damaged.text)}); remove or repair that line, then resume"
            )
        return lines

    def trim_metrics(self, epoch: int) -> None:
        """Rewrite metrics.jsonl atomically to the events up to the end of `epoch`.

        What a stopped or killed run logged after its checkpoint (a torn last line included) is
        dropped, since the resumed run trains that part again and logs it anew. A damaged line
        is never dropped: RunFolderError (one line) naming it, and the file is left as it is.
        """
        lines = self.read_history()
        keep = 0
        for i, line in enumerate(lines):
            if isinstance(line.event, EpochEnd) and line.event.epoch <= epoch:
                keep = i + 1
        text = "".join(line.text + "\n" for line in lines[:keep])  # kept as written
        try:
            write_text_atomic(self.metrics_path, text)
        except OSError as exc:
            raise RunFolderError(
                f"cannot write metrics to {self.metrics_path}: {exc.strerror or exc}"
            ) from None


class RunLock:
    """The advisory lock a process holds on a run folder while it trains the run in it.

    It is an flock on the folder itself (opened read-only), which nothing in it can replace: a
    settings file saved by an editor (a new config.toml) leaves it held. The operating system
    drops it when the process ends, even by SIGKILL. Every question "is this run being
    trained?" (a second trainer, the lists of runs, a deletion) takes this same lock. Where
    flock does not exist (Windows) it locks nothing.
    """

    def __init__(self, folder: RunFolder) -> None:
        self.folder = folder
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; False if another process holds it. RunFolderError if the folder
        cannot be opened."""
        if fcntl is None:
            return True
        flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.folder.path, flags)
        except OSError as exc:
            raise RunFolderError(f"cannot open {self.folder.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None


def refuse_run_files(path: Path, fix: str, folders: Iterable[Path] = ()) -> None:
    """RunFolderError (one line, ending with `fix`) if writing path would write into a run's
    or a grid's folder: one of `folders` (the run being trained or exported), or the folder
    path is in if that holds a run or a grid. Links, hard links and `RUN/./NAME` count."""
    parent = Path(os.path.realpath(path)).parent
    kept = any(_lexists(parent / name) for name in (CONFIG_NAME, METRICS_NAME, GRID_FILES[0]))
    for folder in [*map(Path, folders), *([parent] if kept else [])]:
        if RunFolder(folder).holds(path):
            raise RunFolderError(
                f"cannot write {path}: it would be inside the run folder {folder}, whose files "
                f"lenet-tui keeps; {fix}"
            )


def is_being_trained(folder: RunFolder) -> bool:
    """Whether a process (this one included) holds the folder's RunLock now."""
    lock = RunLock(folder)
    try:
        if not lock.acquire():
            return True
    except RunFolderError:
        return False
    lock.release()
    return False


def _lexists(path: Path) -> bool:
    """Whether anything is at path (a dangling link included); False if it cannot be told."""
    try:
        os.lstat(path)
    except (OSError, ValueError):
        return False
    return True


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def fresh_name(base: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path, n = base / stamp, 1
    while path.exists():
        n += 1
        path = base / f"{stamp}-{n}"
    return path


def _with_defaults(saved: dict, defaults: dict) -> dict:
    """saved, with each key it lacks (at any depth) taken from defaults."""
    merged = dict(defaults)
    for key, value in saved.items():
        inner = defaults.get(key)
        both = isinstance(value, dict) and isinstance(inner, dict)
        merged[key] = _with_defaults(value, inner) if both else value
    return merged


def _differences(saved: dict, current: dict, prefix: str = "") -> str:
    """The keys whose values differ, as `key: saved -> current`, comma-separated."""
    diffs = []
    for key in sorted(set(saved) | set(current)):
        a, b = saved.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = _differences(a, b, f"{prefix}{key}.")
            diffs += [inner] if inner else []
        elif a != b:
            diffs.append(f"{prefix}{key}: {shown(a)} -> {shown(b)}")
    return ", ".join(diffs)
