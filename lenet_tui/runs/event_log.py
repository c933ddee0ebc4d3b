"""A run's event log, metrics.jsonl: the engine's events as JSON lines, written durably and read
back as typed events.

Every reader of a metrics file goes through `read_log` (or, for a list of runs, the quicker
`read_epoch_ends`); torn, foreign and malformed lines are handled here and nowhere else. How a
run stands is said from its log here too (`run_state`), for every list, table and grid.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from lenet_tui.engine.events import (
    EpochEnd,
    Event,
    RunDiverged,
    RunFailed,
    RunFinished,
    RunStarted,
    RunStopped,
    TrainProgress,
    event_from_dict,
    event_to_dict,
)
from lenet_tui.errors import RunFolderError
from lenet_tui.files import NotAFile, kind, open_regular, refuse_unless_replaceable
from lenet_tui.runs.atomic import fsync_dir

RunState = Literal[
    "not started", "running", "finished", "stopped", "diverged", "failed", "interrupted"
]  # fmt: skip
"""How a run stands: not started (nothing logged), running (a process trains it: its lock
says so, not its log), finished, stopped (asked to: it keeps its checkpoint), diverged, failed
(training raised: its own fault), interrupted (killed before it logged its end)."""
ENDINGS: dict[type, RunState] = {
    RunFinished: "finished",
    RunStopped: "stopped",
    RunDiverged: "diverged",
    RunFailed: "failed",
}
"""The last event of a run that ended, and the state it leaves the run in."""
DONE: tuple[RunState, ...] = ("finished", "diverged")
"""Nothing more to train: a grid leaves such a run alone, a resume refuses it."""

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # 0 on Windows, which has no FIFOs to fear


class EventLog:
    """Appends events as JSON lines; each line is flushed (and fsynced if durable) at once.

    A durable log is a run's own metrics.jsonl: it must be a regular file (or absent). Any other
    (`--metrics-out`) may be anything writable, a pipe included, but is never waited for: a
    FIFO that nothing reads is refused rather than blocking. OSError if it cannot be opened; a
    write failure (disk full, say) raises RunFolderError naming the file.
    """

    def __init__(self, path: Path, append: bool = False, durable: bool = False) -> None:
        self.path = Path(path)
        self.durable = durable
        if durable:
            refuse_unless_replaceable(self.path)
        self._file = _open_for_writing(self.path, append, regular=durable)
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


MAX_LINE = 1 << 20
"""The longest line read, in bytes: a real event is a few KB (the layer health of the largest
network included); a longer line is damage, and is not parsed."""
MAX_LOG = 4 << 30
"""The largest metrics file read: 1,000 epochs of 1,000 reports of the largest network come to
about 3 GB. A larger file is refused unread, so that no list or resume reads without end."""
WHAT = "a run's metrics.jsonl"


def _open_for_writing(path: Path, append: bool, regular: bool) -> TextIO:
    """path opened to write text (appended to, or emptied), without ever waiting on a FIFO."""
    mode = os.O_APPEND if append else os.O_TRUNC
    flags = os.O_WRONLY | os.O_CREAT | mode | _NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO with no reader: writing would wait for one
            raise NotAFile("is a FIFO that nothing reads") from None
        raise
    try:
        kind_now = os.fstat(fd).st_mode
        if regular and not stat.S_ISREG(kind_now):
            raise NotAFile(f"is {kind(kind_now)}, not a file")
        if _NONBLOCK:  # from now on a slow reader slows the run down, as a pipe does
            os.set_blocking(fd, True)
        return os.fdopen(fd, "a" if append else "w", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


@dataclass(frozen=True)
class LogLine:
    """One whole line of an event log, as written, and the event it holds."""

    number: int
    """Its line number in the file, from 1."""
    text: str
    event: Event | None
    """None for a JSON object that is no event this lenet-tui reads (unknown or malformed), and
    for a damaged line."""
    damaged: bool = False
    """A whole line that is not a JSON object (or is longer than MAX_LINE): damage done to the
    file after it was written, unlike the torn tail of a killed write, which is left out."""


def read_log(path: Path) -> list[LogLine]:
    """Every whole line of an event log (none if there is no such file), damaged ones marked.

    The last line, if it does not end with a newline and is not a JSON object, is the torn tail
    of a killed write: it is left out. A JSON object that is not a known, well-formed event is
    kept as a line without an event, so that a rewrite keeps it as it was. RunFolderError (one
    line) for a file that cannot be read, is not a regular file, or is larger than MAX_LOG.
    """
    lines = []
    for number, raw, whole in _raw_lines(path):
        text = raw.decode("utf-8", errors="replace")
        fields = _json_object(text)
        if fields is None and not whole:
            break  # the torn tail
        lines.append(LogLine(number, text, event_from_dict(fields), damaged=fields is None))
    return lines


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, line without its newline, whether it ended with one) of a metrics file,
    blank lines left out; a line over MAX_LINE is given by its start (not JSON: damaged)."""
    try:
        file = open_regular(path, MAX_LOG, WHAT)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise RunFolderError(f"cannot read {path}: {exc.strerror or exc}") from None
    with file:
        number = 0
        while line := file.readline(MAX_LINE + 1):
            number += 1
            whole = line.endswith(b"\n")
            if len(line) > MAX_LINE:  # too long to be an event: its start, and skip the rest
                start = line[:100] + b"..."
                while line and not line.endswith(b"\n"):
                    line = file.readline(MAX_LINE)
                yield number, start, True
            elif line.strip():  # a blank line is no damage: passed over
                yield number, line.rstrip(b"\r\n") if whole else line, whole


_UNREAD = tuple(f'{{"event": "{e.kind}", '.encode() for e in (TrainProgress, RunStarted))
"""How the lines `read_epoch_ends` only counts begin, as EventLog writes them (json.dumps)."""


def read_epoch_ends(path: Path) -> tuple[list[EpochEnd], type | None]:
    """A metrics file's finished epochs (by epoch; a resumed epoch's last record) and the type
    of its last event (None: no event, or no readable file).

    The events of read_log, but the progress reports and the start, most of a big file, are
    only counted, not parsed, and the epochs' confusion matrices are not read: this keeps a
    list of 1,000 runs fast. Such a line is taken as whole if it ends with a newline and "}"
    (the torn tail of a killed write has no newline). A damaged line is passed over.
    """
    epochs: dict[int, EpochEnd] = {}
    last: type | None = None
    try:
        for _, raw, whole in _raw_lines(path):
            if whole and raw.startswith(_UNREAD) and raw.endswith(b"}"):
                last = TrainProgress
                continue
            fields = _json_object(raw.decode("utf-8", errors="replace"))
            if fields is None:
                continue
            fields.pop("confusion", None)  # a list needs no confusion matrix, the costliest field
            event = event_from_dict(fields)
            if isinstance(event, EpochEnd):
                epochs[event.epoch] = event
            last = type(event) if event is not None else last
    except RunFolderError:  # unreadable, not a file, too large: no metrics
        return [], None
    return [epochs[n] for n in sorted(epochs)], last


def run_state(last: type | None, epochs_done: int = 0, epochs: int | None = None) -> RunState:
    """How a run stands from its log: the type of its last event (None: nothing logged) and its
    finished epochs; a run killed after its last epoch (of `epochs`) before it logged its end is
    finished all the same. Whether a process trains it now is its lock's to say."""
    ended = ENDINGS.get(last) if last is not None else None
    if ended not in DONE and epochs is not None and epochs_done >= epochs:
        return "finished"
    return ended or ("interrupted" if last is not None else "not started")


def read_state(path: Path, epochs: int | None = None) -> tuple[list[EpochEnd], RunState]:
    """A metrics file's finished epochs (as `read_epoch_ends`) and how its run stands."""
    done, last = read_epoch_ends(path)
    return done, run_state(last, done[-1].epoch if done else 0, epochs)


def _json_object(line: str) -> dict | None:
    """The JSON object a line holds; None for a torn line or anything but an object."""
    try:
        fields = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: [[[[... nested past the limit
        return None
    return fields if isinstance(fields, dict) else None


def read_events(path: Path) -> list[Event]:
    """The events of an event log, oldest first, without the lines that hold none."""
    return [line.event for line in read_log(path) if line.event is not None]


def first_damage(lines: list[LogLine]) -> LogLine | None:
    """The first damaged line of a log, if any."""
    return next((line for line in lines if line.damaged), None)
