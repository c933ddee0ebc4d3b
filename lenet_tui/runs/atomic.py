"""Crash-safe file writes: a reader sees the old version or the new one, never a mix.

The data goes to a temporary file in the same folder, is flushed and fsynced, then replaces the
target with `os.replace` (atomic on POSIX and Windows); the folder is fsynced so the rename itself
survives a power cut. A kill at any instant leaves the previous good file readable.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace path's content with data atomically; OSError if the folder is not writable."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # a second Ctrl-C included: leave no temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def write_text_atomic(path: Path, text: str) -> None:
    """Replace path's content with UTF-8 text atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


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
