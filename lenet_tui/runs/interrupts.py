"""SIGINT and SIGTERM as a polite stop: finish the batch, keep the files, then exit.

Knows nothing about any user interface; the `--no-ui` runner wraps its training loop in it.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Protocol


class Stoppable(Protocol):
    def request_stop(self) -> None: ...


class StopOnSignals:
    """While active, the first SIGINT or SIGTERM asks `target` to stop after the batch in flight.

    The signal is remembered in `received`. A second SIGINT raises KeyboardInterrupt at once and
    a second SIGTERM kills the process (their default behaviours): files stay intact because
    every write is atomic. The previous handlers come back on exit. Outside the main thread,
    where Python cannot install handlers, it does nothing.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, target: Stoppable) -> None:
        self.target = target
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopOnSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum
        self.target.request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the next one: at once
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
