"""Run folders: where a run keeps its settings, metrics and checkpoint, and how it is resumed.

A run folder holds:

- `config.toml`: the resolved settings (the seed included), readable by `--config`;
- `metrics.jsonl`: every engine event as one JSON object per line, each line flushed and fsynced;
- `checkpoint.pt`: the state after the last finished epoch (epoch 0: before the first step).

config.toml and checkpoint.pt are replaced atomically, and metrics.jsonl only ever grows by
whole lines (a resume first rewrites it atomically to the events up to its checkpoint), so a
kill at any instant leaves a folder that `--resume` continues from. Importable without torch;
the checkpoint functions import it when called. Knows nothing about any user interface.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

import platformdirs

try:
    import fcntl
except ImportError:  # Windows: run folders are not locked
    fcntl = None  # type: ignore[assignment]

from lenet_tui.atomic import fsync_dir, write_text_atomic
from lenet_tui.config import TrainConfig
from lenet_tui.config_file import dump_config, load_config_file
from lenet_tui.errors import LenetError
from lenet_tui.events import EpochEnd, Event, RunStarted, event_to_dict

if TYPE_CHECKING:
    from lenet_tui.checkpoint import Checkpoint
    from lenet_tui.training import Trainer

RUNS_DIR_ENV = "LENET_TUI_RUNS_DIR"
"""Environment variable that overrides where new run folders go by default."""
CONFIG_NAME = "config.toml"
METRICS_NAME = "metrics.jsonl"
CHECKPOINT_NAME = "checkpoint.pt"


class RunFolderError(LenetError):
    """A run folder cannot be created or resumed, or a file in it cannot be written."""


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
        folder = cls(Path(path) if path is not None else _fresh_name(default_runs_dir()))
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
        """RunFolderError (one line) if a run was already kept here."""
        if self.config_path.exists():
            raise RunFolderError(
                f"{self.path}: already holds a run; continue it with "
                f"{resume_command(self.path)} or pick another --run-dir"
            )

    @classmethod
    def existing(cls, path: Path) -> RunFolder:
        """A folder that a run wrote; RunFolderError (one line) if it is not one."""
        folder = cls(Path(path))
        if not folder.path.is_dir():
            raise RunFolderError(f"{folder.path}: no such run folder; pass a folder a run wrote")
        if not folder.config_path.is_file():
            raise RunFolderError(
                f"{folder.path}: not a run folder (no {CONFIG_NAME}); pass a folder a run wrote"
            )
        return folder

    def read_config(self) -> TrainConfig:
        """The run's settings from its config.toml (ConfigFileError if it was damaged)."""
        return load_config_file(self.config_path)

    def load_checkpoint(self, config: TrainConfig) -> Checkpoint:
        """The last checkpoint, checked against config; CheckpointError or RunFolderError."""
        from lenet_tui.checkpoint import load_checkpoint

        if not self.checkpoint_path.is_file():
            config_arg = shlex.quote(str(self.config_path))
            raise RunFolderError(
                f"{self.path}: has no {CHECKPOINT_NAME} (the run ended before training began); "
                f"start it anew with lenet-tui --no-ui --config {config_arg}"
            )
        checkpoint = load_checkpoint(self.checkpoint_path, config)
        changed = _differences(checkpoint.state.config, config.to_dict())
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
        return checkpoint

    def read_events(self) -> list[dict]:
        """The whole events in metrics.jsonl, oldest first (none if there is no such file)."""
        return read_events(self.metrics_path)

    def trim_metrics(self, epoch: int) -> None:
        """Rewrite metrics.jsonl atomically to the events up to the end of `epoch`.

        What a stopped or killed run logged after its checkpoint (a torn last line included) is
        dropped, since the resumed run trains that part again and logs it anew.
        """
        lines = _read_lines(self.metrics_path)
        keep = 0
        for i, (_, event) in enumerate(lines):
            done = event.get("epoch")
            if event.get("event") == "epoch_end" and isinstance(done, int) and done <= epoch:
                keep = i + 1
        text = "".join(line + "\n" for line, _ in lines[:keep])  # kept as written
        try:
            write_text_atomic(self.metrics_path, text)
        except OSError as exc:
            raise RunFolderError(
                f"cannot write metrics to {self.metrics_path}: {exc.strerror or exc}"
            ) from None


class RunLock:
    """The advisory lock a process holds on a run folder while it trains the run in it.

    It is an flock on the folder's config.toml, which is written once, when the folder is made,
    and never replaced; the operating system drops it when the process ends, even by SIGKILL.
    Where flock does not exist (Windows) it locks nothing.
    """

    def __init__(self, folder: RunFolder) -> None:
        self.folder = folder
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        """Take the lock; False if another process holds it."""
        if fcntl is None:
            return True
        try:
            handle = self.folder.config_path.open("rb")
        except OSError as exc:
            raise RunFolderError(
                f"cannot open {self.folder.config_path}: {exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the lock
            self._file = None


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


class JsonLinesLog:
    """Appends events as JSON lines; each line is flushed (and fsynced if durable) at once.

    A write failure (disk full, say) raises RunFolderError naming the file.
    """

    def __init__(self, path: Path, append: bool = False, durable: bool = False) -> None:
        self.path = Path(path)
        self.durable = durable
        self._file = self.path.open("a" if append else "w", encoding="utf-8")
        if durable:
            fsync_dir(self.path.parent)

    def write(self, event: Event) -> None:
        try:
            self._file.write(json.dumps(event_to_dict(event), allow_nan=False) + "\n")
            self._file.flush()  # a reader tailing the file, or a crash, sees every event so far
            if self.durable:
                os.fsync(self._file.fileno())
        except OSError as exc:
            raise RunFolderError(
                f"cannot write metrics to {self.path}: {exc.strerror or exc}"
            ) from None

    def close(self) -> None:
        with contextlib.suppress(OSError):  # every event was flushed, or the failure reported
            self._file.close()


class RunRecorder:
    """Keeps a run folder up to date from a trainer's events: the dashboard's and the CLI's.

    Call `record(event)` for every event, before asking the trainer for the next one.
    """

    def __init__(self, folder: RunFolder, trainer: Trainer, data_dir: Path | None = None,
                 download: bool = False) -> None:  # fmt: skip
        self.folder = folder
        self.trainer = trainer
        self.data_dir = str(Path(data_dir).resolve()) if data_dir is not None else None
        self.download = download
        self.checkpoint_epoch: int | None = None
        """The epoch of the checkpoint on disk, once there is one."""
        self._lock = RunLock(folder)
        if not self._lock.acquire():
            raise RunFolderError(
                f"{folder.path}: another lenet-tui is training this run right now; "
                "let it finish or stop it first"
            )
        try:
            if trainer.resume is not None:
                folder.trim_metrics(trainer.resume.epoch)
                self.checkpoint_epoch = trainer.resume.epoch
            self._log = JsonLinesLog(folder.metrics_path, append=True, durable=True)
        except BaseException:
            self._lock.release()
            raise

    def record(self, event: Event) -> None:
        """Log the event; at RunStarted and each EpochEnd, checkpoint after logging it."""
        self._log.write(event)
        if isinstance(event, EpochEnd) or (isinstance(event, RunStarted) and not event.start_epoch):
            self._save_checkpoint()

    def close(self) -> None:
        self._log.close()
        self._lock.release()

    def _save_checkpoint(self) -> None:
        from lenet_tui.checkpoint import Checkpoint, save_checkpoint

        state = self.trainer.checkpoint_state()
        try:
            save_checkpoint(
                self.folder.checkpoint_path, Checkpoint(state, self.data_dir, self.download)
            )
        except OSError as exc:
            raise RunFolderError(
                f"cannot write the checkpoint {self.folder.checkpoint_path}: {exc.strerror or exc}"
            ) from None
        self.checkpoint_epoch = state.epoch


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def _fresh_name(base: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path, n = base / stamp, 1
    while path.exists():
        n += 1
        path = base / f"{stamp}-{n}"
    return path


def read_events(path: Path) -> list[dict]:
    """The whole JSON objects at the start of a JSONL file; stops at a torn or foreign line."""
    return [event for _, event in _read_lines(path)]


def _read_lines(path: Path) -> list[tuple[str, dict]]:
    """Each whole line at the start of a JSONL file with its object; stops at a torn line."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunFolderError(f"cannot read {path}: {exc.strerror or exc}") from None
    lines = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            break
        if not isinstance(event, dict):
            break
        lines.append((line, event))
    return lines


def _differences(saved: dict, current: dict, prefix: str = "") -> str:
    """The keys whose values differ, as `key: saved -> current`, comma-separated."""
    diffs = []
    for key in sorted(set(saved) | set(current)):
        a, b = saved.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = _differences(a, b, f"{prefix}{key}.")
            diffs += [inner] if inner else []
        elif a != b:
            diffs.append(f"{prefix}{key}: {a!r} -> {b!r}")
    return ", ".join(diffs)
