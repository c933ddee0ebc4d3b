"""What another thread asks of a run in flight: stop it, pause it, let it go on.

The training thread looks at these between batches; any thread (or a signal handler) may ask.
"""

from __future__ import annotations

import threading


class RunControl:
    """A stop request and a pause, both honoured after the batch in flight.

    A paused run's thread blocks in `wait_while_paused()` until `unpause()` or `request_stop()`;
    no lock is taken, so that `request_stop()` stays safe in a signal handler.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._may_run = threading.Event()
        """Set while the run may train: not paused, or asked to stop (which wakes a pause)."""
        self._may_run.set()

    def request_stop(self) -> None:
        """End the run after the batch in flight, or at once if it is paused."""
        self._stop.set()
        self._may_run.set()

    def pause(self) -> None:
        """Pause after the batch in flight (nothing once a stop was requested)."""
        self._may_run.clear()
        if self._stop.is_set():  # a stop that came in between must still wake the run
            self._may_run.set()

    def unpause(self) -> None:
        self._may_run.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        """A pause was asked for and neither an unpause nor a stop since."""
        return not self._may_run.is_set()

    def wait_while_paused(self) -> None:
        """Block the calling (training) thread until the run is unpaused or asked to stop."""
        self._may_run.wait()
