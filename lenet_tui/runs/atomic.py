"""Crash-safe file writes: a reader sees the old version or the new one, never a mix.

The data goes to a temporary file in the same folder, is flushed and fsynced, then replaces the
target with `os.replace` (atomic on POSIX and Windows); the folder is fsynced so the rename itself
survives a power cut. A kill at any instant leaves the previous good file readable (and a
temporary file, `.NAME.*.tmp`, that `remove_temporaries` clears on the next open).

Only a regular file, or nothing, is replaced: a symbolic link, a FIFO, a device or a folder at
the path is refused (`lenet_tui.files.NotAFile`, an OSError) and left as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from lenet_tui.files import refuse_unless_replaceable


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace path's content with data atomically; OSError if the folder is not writable, or
    NotAFile (an OSError) if path is there and is not a regular file."""
    path = Path(path)
    refuse_unless_replaceable(path)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path.name), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        refuse_unless_replaceable(path)  # again: something may have been put there meanwhile
        os.replace(tmp, path)
    except BaseException:  # a second Ctrl-C included: leave no temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def write_text_atomic(path: Path, text: str) -> None:
    """Replace path's content with UTF-8 text atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def temporaries(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """The temporary files that writes of these names into folder left behind (a kill)."""
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    prefixes = tuple(_prefix(name) for name in names)
    return [p for p in entries if p.name.startswith(prefixes) and p.name.endswith(".tmp")]


def remove_temporaries(folder: Path, names: tuple[str, ...]) -> None:
    """Remove what killed writes of these names left in folder (regular files only).

    Call it only while no other process may be writing these files (under the run's lock).
    """
    for path in temporaries(folder, names):
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink():
                path.unlink()


def _prefix(name: str) -> str:
    """A temporary file's name start: the name, cut so that a long one still leaves room."""
    return f".{name[:100]}."


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in folder durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its rename is durable enough
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
