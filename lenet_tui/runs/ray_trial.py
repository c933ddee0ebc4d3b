"""One run of a grid trained in a Ray worker, and its stand-in in the driver.

`train_trial` runs in the worker: the engine's `Trainer` on the grid's data (taken from Ray's
object store), yielding first where it runs (`TrialWorker`), then each engine event with, at
RunStarted and every EpochEnd, the resumable state. `RemoteTrainer` is what the driver's
`RunDriver` trains with instead of a `Trainer`: it starts the trial, hands on its events and
their states, so the driver keeps the run's folder (metrics.jsonl, checkpoints, class results)
exactly as for a run trained in this process. A worker that dies raises `TrialLost`, for the
grid to start the run again from its last checkpoint; a failure of the run's own (its settings,
its data) is a RunFailed event, as in this process. Ray is imported only when a trial runs.
"""

from __future__ import annotations

import math
import os
import secrets
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import (
    EpochEnd,
    Event,
    RunFailed,
    RunStarted,
    RunStopped,
    TrainProgress,
)

if TYPE_CHECKING:
    from lenet_tui.engine.data import Dataset
    from lenet_tui.engine.train_state import TrainState


@dataclass(frozen=True)
class TrialWorker:
    """Where a trial trains: the worker's process id and its machine."""

    pid: int
    node: str
    threads: int
    """The torch threads it trains with (its CPUs from Ray)."""


class TrialLost(Exception):
    """The trial's worker died (killed, out of memory, its node lost): not the run's fault."""


Launch = Callable[["TrainConfig", "TrainState | None"], Any]
"""Starts a trial for these settings (from this state) and gives Ray's stream of its items."""


def train_trial(
    config: TrainConfig, data: Dataset, resume: TrainState | None, threads: int
) -> Iterator[TrialWorker | tuple[Event, TrainState | None]]:
    """In a Ray worker: train one run, yielding where, then (event, state or None) pairs."""
    import torch

    from lenet_tui.engine.training import Trainer

    torch.set_num_threads(threads)
    yield TrialWorker(os.getpid(), socket.gethostname(), torch.get_num_threads())
    try:
        trainer = Trainer(config, data, resume=resume)
    except Exception as exc:  # settings or data this worker refuses: the run's own failure
        error = f"{type(exc).__name__}: {exc}"
        yield RunFailed(error=error, traceback=traceback.format_exc()), None
        return
    for event in trainer.run():
        boundary = isinstance(event, EpochEnd) or (
            isinstance(event, RunStarted) and not event.start_epoch
        )
        yield event, trainer.checkpoint_state() if boundary else None


class RemoteTrainer:
    """The driver's stand-in for a `Trainer` whose run trains in a Ray worker (`launch`)."""

    def __init__(
        self,
        config: TrainConfig,
        data: Dataset,
        *,
        resume: TrainState | None = None,
        launch: Launch,
    ) -> None:
        seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
        self.config = replace(config, seed=seed)
        self.data = data
        """The data as the driver holds it (its classes and origin); the worker has its own."""
        self.resume = resume
        self.model = None
        """The network lives in the worker: no snapshots of it here."""
        self.worker: TrialWorker | None = None
        """Where the trial trains, once it has started."""
        self._launch = launch
        self._stream: Any = None
        self._state: TrainState | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._at = (resume.epoch + 1 if resume else 1, resume.step if resume else 0)

    def run(self) -> Iterator[Event]:
        """The trial's events; TrialLost if its worker dies before it ends."""
        import ray

        with self._lock:
            self._stream = self._launch(self.config, self.resume)
            if self._stop.is_set():
                ray.cancel(self._stream)
        for ref in self._stream:
            try:
                item = ray.get(ref)
            except ray.exceptions.RayError as exc:
                yield from self._ended(exc)
                return
            if isinstance(item, TrialWorker):
                self.worker = item
                continue
            event, self._state = item
            self._note(event)
            yield event

    def checkpoint_state(self) -> TrainState:
        """The state that came with the RunStarted or EpochEnd being handled."""
        if self._state is None:
            raise RuntimeError("checkpoint_state() is only valid at RunStarted or EpochEnd")
        return self._state

    def request_stop(self) -> None:
        """Cancel the trial: `run()` ends with RunStopped (the folder keeps its checkpoint)."""
        self._stop.set()
        with self._lock:
            if self._stream is not None:
                import ray

                ray.cancel(self._stream)

    def pause(self) -> None:
        """A trial on Ray does not pause (its worker is shared by the cluster's scheduler)."""

    def unpause(self) -> None:
        """Nothing to go on from: a trial does not pause."""

    @property
    def paused(self) -> bool:
        return False

    def _note(self, event: Event) -> None:
        """Remember where the run is, for the RunStopped a cancel ends it with."""
        if isinstance(event, TrainProgress):
            self._at = (max(1, math.ceil(event.epoch)), event.step)
        elif isinstance(event, EpochEnd):
            self._at = (event.epoch + 1, self._at[1])

    def _ended(self, exc: Exception) -> Iterator[Event]:
        import ray

        if self._stop.is_set() or isinstance(exc, ray.exceptions.TaskCancelledError):
            yield RunStopped(epoch=self._at[0], step=self._at[1])
        elif isinstance(exc, ray.exceptions.RayTaskError):  # raised by the trial's own code
            cause = exc.cause if exc.cause is not None else exc
            yield RunFailed(error=f"{type(cause).__name__}: {cause}", traceback=str(exc))
        else:
            raise TrialLost(f"{type(exc).__name__}: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no reason given"
