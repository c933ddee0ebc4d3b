"""A run's event log, metrics.jsonl: the engine's events as JSON lines, written durably and read
back as typed events.

Every reader of a metrics file goes through `read_log` (or, for a list of runs, the quicker
`read_epoch_ends`); torn, foreign and malformed lines are handled here and nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from lenet_tui.engine.events import (
    EpochEnd,
    Event,
    RunStarted,
    TrainProgress,
    event_from_dict,
    event_to_dict,
)
from lenet_tui.errors import RunFolderError
from lenet_tui.runs.atomic import fsync_dir


class EventLog:
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


@dataclass(frozen=True)
class LogLine:
    """One whole line of an event log, as written, and the event it holds."""

    text: str
    event: Event | None
    """None for a JSON object that is no event this lenet-tui reads (unknown or malformed)."""


def read_log(path: Path) -> list[LogLine]:
    """The whole lines at the start of an event log (none if there is no such file).

    Reading stops at the first line that is not a JSON object: the torn tail of a killed write,
    or a file that is not an event log. A JSON object that is not a known, well-formed event is
    kept as a line without an event, so that a rewrite keeps it as it was.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunFolderError(f"cannot read {path}: {exc.strerror or exc}") from None
    lines = []
    for line in text.splitlines():
        fields = _json_object(line)
        if fields is None:
            break
        lines.append(LogLine(line, event_from_dict(fields)))
    return lines


_UNREAD = tuple(f'{{"event": "{kind.kind}", ' for kind in (TrainProgress, RunStarted))
"""How the lines `read_epoch_ends` only counts begin, as EventLog writes them (json.dumps)."""


def read_epoch_ends(path: Path) -> tuple[list[EpochEnd], type | None]:
    """A metrics file's finished epochs (by epoch; a resumed epoch's last record) and the type
    of its last event (None: no event, or no readable file).

    The events of read_log, but the progress reports and the start, most of a big file, are
    only counted, not parsed, and the epochs' confusion matrices are not read: this keeps a
    list of 1,000 runs fast. Such a line is taken as whole if it ends with "}" (the torn tail
    of a killed write is the file's last line, and the last line is always parsed).
    """
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:  # missing or unreadable: no metrics
        return [], None
    epochs: dict[int, EpochEnd] = {}
    last: type | None = None
    for i, line in enumerate(lines):
        if i < len(lines) - 1 and line.startswith(_UNREAD) and line.endswith("}"):
            last = TrainProgress
            continue
        fields = _json_object(line)
        if fields is None:
            break
        fields.pop("confusion", None)  # a list needs no confusion matrix, the costliest field
        event = event_from_dict(fields)
        if isinstance(event, EpochEnd):
            epochs[event.epoch] = event
        last = type(event) if event is not None else last
    return [epochs[n] for n in sorted(epochs)], last


def _json_object(line: str) -> dict | None:
    """The JSON object a line holds; None for a torn line or anything but an object."""
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    return fields if isinstance(fields, dict) else None


def read_events(path: Path) -> list[Event]:
    """The events of an event log, oldest first, without the lines that hold none."""
    return [line.event for line in read_log(path) if line.event is not None]
