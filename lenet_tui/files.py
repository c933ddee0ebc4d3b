"""Files that a user, or anything else, may have put where lenet-tui expects one of its own.

Only a regular file of a bounded size is read: a FIFO is never opened (opening one blocks until
a writer comes), nor a device (/dev/zero never ends), a folder, or a file larger than its kind
can be. Only a regular file, or nothing, is ever replaced: a symbolic link, a FIFO or a device
in its place is refused, never renamed over. Every layer reads through here (IDX data, settings,
notes, checkpoints, metrics), so the checks and their wording are the same everywhere.

A refusal is a `NotAFile`, an OSError whose `strerror` says what the path is ("is a FIFO, not a
file"), so that the callers' handling of unreadable files words it as well.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the stat still cannot block
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class NotAFile(OSError):
    """A path is not a regular file (or is larger than its kind can be): refused, unread."""

    def __init__(self, reason: str) -> None:
        super().__init__(errno.EINVAL, reason)

    def __str__(self) -> str:
        return self.strerror or ""


def kind(mode: int) -> str:
    """What a stat mode is, as a message names it: `a folder`, `a FIFO`, `a file`, ..."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a file" if stat.S_ISREG(mode) else "not a file"


def size_text(size: int) -> str:
    """A size as a message gives it: `12 bytes`, `640 KB`, `64 MB`, `3.1 GB` (decimal units)."""
    if size < 1000:
        return f"{size} bytes"
    for unit, scale in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12)):
        if size < scale * 1000 or unit == "TB":
            value = size / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def _check(st: os.stat_result, limit: int, what: str) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise NotAFile(f"is {kind(st.st_mode)}, not a file")
    if st.st_size > limit:
        size, most = size_text(st.st_size), size_text(limit)
        if size == most:  # just over: in bytes, so that the two differ
            size, most = f"{st.st_size:,} bytes", f"{limit:,} bytes"
        raise NotAFile(f"is {size}, more than the {most} {what} can be")


def open_regular(path: Path, limit: int, what: str) -> BinaryIO:
    """Open path for reading if it is a regular file (a link to one is followed) of at most
    `limit` bytes; `what` names its kind in the refusal ("a settings file").

    Raises NotAFile for anything else, before reading a byte; OSError if it cannot be opened.
    """
    _check(_stat(path), limit, what)  # a FIFO or a device is refused unopened
    fd = os.open(path, _READ_FLAGS)
    try:
        _check(os.fstat(fd), limit, what)  # the path changed between the stat and the open
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _stat(path: Path) -> os.stat_result:
    """os.stat, with a broken symbolic link refused as such rather than taken for nothing."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise NotAFile("is a broken symbolic link") from None
        raise


def read_regular(path: Path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (see open_regular)."""
    with open_regular(path, limit, what) as f:
        data = f.read(limit + 1)
    if len(data) > limit:  # it grew after the check
        raise NotAFile(f"is more than the {size_text(limit)} {what} can be")
    return data


NAME_MAX = 255
"""The longest name of a file or folder, in bytes, that common file systems allow."""


def long_name(path: Path) -> str | None:
    """A message if a name in path is longer than a file system allows ("has a name of 300
    bytes, ..."): said before anything is made, rather than after the folders above it are."""
    longest = max((len(os.fsencode(part)) for part in Path(path).parts), default=0)
    if longest <= NAME_MAX:
        return None
    return f"has a name of {longest} bytes, more than the {NAME_MAX} a file system allows"


def refuse_unless_replaceable(path: Path) -> None:
    """NotAFile unless path is a regular file or absent: what may be replaced by a rename.

    A symbolic link is refused too (a rename would replace the link, not what it points to).
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise NotAFile("is a symbolic link, not a file: it is never replaced")
    if not stat.S_ISREG(st.st_mode):
        raise NotAFile(f"is {kind(st.st_mode)}, not a file: it is never replaced")
