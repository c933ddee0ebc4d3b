"""stdout and stderr as the command line uses them: a stream that fails never stops a run.

A run's record is its folder; what the command prints is a report of it. So a stream that is
closed (`>&-`, `2>&-`), full (`>/dev/full`) or a broken pipe loses the lines written to it, not
the run: a write that fails is dropped and remembered, and the command says so at the end, on
the stream that still works (`Tolerant.failure`). The descriptors 0 to 2 of a closed stream are
pointed at /dev/null first, so that no file the run opens takes their place: the warnings a C
library writes to descriptor 2 would otherwise land in a checkpoint or a metrics.jsonl.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import TextIO


class Tolerant(io.TextIOBase):
    """A text stream over another (None: a closed one) whose writes never raise: the first
    failure is kept in `failure`, and that write and every later one are dropped."""

    def __init__(self, inner: TextIO | None, name: str) -> None:
        super().__init__()
        self.inner = inner
        self.name = name
        self.failure: str | None = None
        """Why writes are being dropped ("closed", "No space left on device"), once one was."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "encoding", None) or "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.failure is None:
            if self.inner is None:
                self.failure = "closed"
            else:
                with self._guarded():
                    self.inner.write(text)
                    self.inner.flush()  # fail now, not at exit with an unraisable error
        return len(text)

    def flush(self) -> None:
        if self.failure is None and self.inner is not None:
            with self._guarded():
                self.inner.flush()

    def isatty(self) -> bool:
        try:
            return self.inner is not None and self.inner.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        if self.inner is None:
            raise io.UnsupportedOperation(f"{self.name} is closed")
        return self.inner.fileno()

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        try:
            yield
        except (OSError, ValueError) as exc:  # ValueError: the file object was closed
            self.failure = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
            self._drain()

    def _drain(self) -> None:
        """Point the failed stream's descriptor at /dev/null and let its buffer go there, so
        that Python's own flush at exit does not fail again."""
        with contextlib.suppress(Exception):
            assert self.inner is not None
            fd = self.inner.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
            self.inner.flush()


@contextlib.contextmanager
def tolerant_streams() -> Iterator[tuple[Tolerant, Tolerant]]:
    """sys.stdout and sys.stderr as Tolerant streams for the duration (restored after)."""
    reserve_standard_descriptors()
    saved = sys.stdout, sys.stderr
    out, err = Tolerant(sys.stdout, "stdout"), Tolerant(sys.stderr, "stderr")
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = saved


def reserve_standard_descriptors() -> None:
    """Open /dev/null on each of the descriptors 0, 1 and 2 that is closed."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: fd itself
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
