"""A run's name and note, given by the user in the Runs tab: `notes.toml` in its run folder.

The file is written atomically and read leniently: a missing, unreadable or malformed file means
no name and no note. Importable without torch; knows nothing about any user interface.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from lenet_tui.errors import RunFolderError
from lenet_tui.files import read_regular, refuse_unless_replaceable
from lenet_tui.runs.atomic import write_text_atomic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

NOTES_NAME = "notes.toml"
MAX_NAME = 60
"""Characters kept of a name (a list column shows fewer)."""
MAX_NOTE = 2000
MAX_FILE = 100_000
"""The largest notes.toml read, in bytes (a name and note written here take at most 15 KB)."""


@dataclass(frozen=True)
class RunNote:
    """What the user wrote about a run; empty strings when nothing was written."""

    name: str = ""
    note: str = ""


def read_note(run_dir: Path) -> RunNote:
    """The run's name and note; an empty RunNote if there is none or the file is damaged (not
    a file, too large, not TOML)."""
    try:
        raw = read_regular(Path(run_dir) / NOTES_NAME, MAX_FILE, "a notes file")
        table = tomllib.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # missing, unreadable, not UTF-8, not TOML
        return RunNote()
    name, note = table.get("name", ""), table.get("note", "")
    return RunNote(
        name=_one_line(name)[:MAX_NAME] if isinstance(name, str) else "",
        note=note[:MAX_NOTE] if isinstance(note, str) else "",
    )


def write_note(run_dir: Path, note: RunNote) -> RunNote:
    """Keep the name (one line, at most MAX_NAME characters) and note in the run's folder.

    Returns what was kept; an empty name and note remove the file. RunFolderError (one line) if
    the folder cannot be written.
    """
    kept = RunNote(_one_line(note.name)[:MAX_NAME], note.note.strip()[:MAX_NOTE])
    path = Path(run_dir) / NOTES_NAME
    try:
        if kept == RunNote():
            refuse_unless_replaceable(path)  # a link, FIFO or folder there is not ours to remove
            path.unlink(missing_ok=True)
        else:
            text = f"name = {json.dumps(kept.name)}\nnote = {json.dumps(kept.note)}\n"
            write_text_atomic(path, text)  # JSON strings are valid TOML basic strings
    except OSError as exc:
        raise RunFolderError(f"cannot write {path}: {exc.strerror or exc}") from None
    return kept


def _one_line(text: str) -> str:
    return " ".join(text.split())
