"""A grid's runs trained at once on Ray, each a Ray task, kept by this process as a local grid.

Why tasks and not Ray Tune trials: the grid is a fixed list of runs whose folders are already
the record (settings, metrics, checkpoints, the table), and Tune would keep its own results and
checkpoints in storage every node must reach. A task per run needs nothing on the nodes but
lenet-tui and Ray: each streams its events back here (a Ray generator), and this process writes
every run's folder through the one `RunDriver`, so the table, the Runs tab and `--resume
GRID_DIR` cannot tell a Ray grid from a local one.

`RayGrid` is a `GridRunner` (lenet_tui.runs.grid_runner): `run()` yields a `GridUpdate` for
every event and change of state. The data goes into Ray's object store once per dataset. A run
whose worker dies is started again from its last checkpoint, up to `retries` times; a run that
fails for a reason of its own (RunFailed) or diverges is not. `request_stop()` (safe in a
signal handler) cancels the runs in flight (they keep their last checkpoints) and starts no
more. Knows nothing about any user interface; Ray is imported only when a grid runs.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from lenet_tui.errors import LenetError
from lenet_tui.runs.event_log import read_epoch_ends
from lenet_tui.runs.folder import METRICS_NAME
from lenet_tui.runs.grid import Grid, GridRun
from lenet_tui.runs.grid_runner import GridUpdate, TrialState, update_of
from lenet_tui.runs.ray_setup import RayOptions, connect, gpus_per_run, require_ray, slots
from lenet_tui.runs.ray_trial import RemoteTrainer, TrialLost, train_trial

if TYPE_CHECKING:
    from lenet_tui.engine.config import TrainConfig
    from lenet_tui.engine.data import Dataset
    from lenet_tui.engine.train_state import TrainState
    from lenet_tui.runs.driver import RunDriver


class RayGrid:
    """Trains a grid's unfinished runs on Ray, as many at once as the cluster holds."""

    def __init__(self, grid: Grid, datasets: dict[str, Dataset], options: RayOptions) -> None:
        if grid.folder is None:
            raise RuntimeError("create() the grid before training it")
        self.grid = grid
        self.datasets = datasets
        self.options = options
        self.parallel = 0
        """How many runs train at once (known once `run()` has joined Ray)."""
        self.gpus = 0.0
        """The GPUs each run asks for (known once `run()` has joined Ray)."""
        self._stop = threading.Event()
        """Asked for: cancel the runs in flight, start no more."""
        self._closing = threading.Event()
        """The caller stopped reading (or raised): the same, without it being a user's stop."""
        self._updates: queue.Queue[GridUpdate] = queue.Queue()
        self._live: dict[int, RunDriver] = {}
        self._lock = threading.Lock()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def request_stop(self) -> None:
        """Cancel the runs in flight and start no more; safe in a signal handler."""
        self._stop.set()

    @property
    def _ending(self) -> bool:
        return self._stop.is_set() or self._closing.is_set()

    def run(self) -> Iterator[GridUpdate]:
        """Join or start Ray, train the pending runs, yield what each does; Ray is shut down at
        the end if this call started it. A LenetError in one line if Ray cannot be reached."""
        ray = require_ray()
        started = connect(self.options)
        try:
            yield from self._train_all(ray)
        finally:
            if started:
                ray.shutdown()

    def _train_all(self, ray: Any) -> Iterator[GridUpdate]:
        pending = self.grid.pending()
        if not pending:
            return
        devices = {run.config.device for run in pending}
        self.gpus = gpus = gpus_per_run(self.options, devices)
        self.parallel = min(len(pending), slots(self.options.cpus_per_run, gpus))
        refs = {name: ray.put(data) for name, data in self.datasets.items()}  # shipped once
        remote = ray.remote(train_trial).options(
            num_cpus=self.options.cpus_per_run, num_gpus=gpus, max_retries=0
        )

        def launch(config: TrainConfig, resume: TrainState | None) -> Any:
            return remote.remote(config, refs[config.dataset], resume, self.options.threads)

        for run in pending:
            yield GridUpdate(run, "waiting")
        pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="ray-trial")
        futures = [pool.submit(self._train, run, launch) for run in pending]
        try:
            yield from self._follow(futures)
        finally:
            self._closing.set()
            self._cancel_live()
            pool.shutdown(wait=True)
        for future in futures:
            future.result()  # a bug in a trial's thread surfaces here, with its traceback
        while not self._updates.empty():
            yield self._updates.get()

    def _follow(self, futures: list[Future]) -> Iterator[GridUpdate]:
        cancelled = False
        while not all(f.done() for f in futures) or not self._updates.empty():
            if self._stop.is_set() and not cancelled:
                cancelled = True
                self._cancel_live()
            with contextlib.suppress(queue.Empty):
                yield self._updates.get(timeout=0.1)

    def _cancel_live(self) -> None:
        with self._lock:
            drivers = list(self._live.values())
        for driver in drivers:
            driver.request_stop()

    def _train(self, run: GridRun, launch: Any) -> None:
        """In a pool thread: train one run to its end, starting it again after a lost worker."""
        data = self.datasets[run.config.dataset]
        trainer = functools.partial(RemoteTrainer, launch=launch)
        for attempt in range(1, self.options.retries + 2):
            if self._ending:  # a run whose worker died before the stop keeps its checkpoint
                state: TrialState = "stopped" if attempt > 1 else "cancelled"
                self._updates.put(GridUpdate(run, state, attempt=attempt))
                return
            try:
                self._attempt(run, attempt, run.driver(data, trainer=trainer))
                return
            except TrialLost as exc:
                note = f"worker died ({exc})"
                if self._ending:  # not lost: stopped, with its last checkpoint
                    self._updates.put(GridUpdate(run, "stopped", attempt=attempt, note=note))
                    return
                last = attempt > self.options.retries
                if last:
                    note += f"; gave up after {self.options.retries} retries"
                else:
                    note += f"; retry {attempt}/{self.options.retries} from {_checkpoint(run)}"
                self._updates.put(
                    GridUpdate(run, "lost" if last else "retrying", attempt=attempt, note=note)
                )
            except LenetError as exc:  # its folder cannot be written or read (disk full, say)
                self._updates.put(GridUpdate(run, "failed", attempt=attempt, note=str(exc)))
                return

    def _attempt(self, run: GridRun, attempt: int, driver: RunDriver) -> None:
        trainer = driver.trainer
        with driver:
            with self._lock:
                self._live[run.number] = driver
            if self._ending:
                driver.request_stop()
            try:
                for event in driver.run():
                    worker = getattr(trainer, "worker", None)
                    self._updates.put(update_of(run, event, attempt, worker))
            finally:
                with self._lock:
                    self._live.pop(run.number, None)


def _checkpoint(run: GridRun) -> str:
    """`the checkpoint of epoch 2`, or `the start` before there is one."""
    done, _ = read_epoch_ends(run.folder / METRICS_NAME)
    if run.action() != "resume" or not done:
        return "the start"
    return f"the checkpoint of epoch {done[-1].epoch}"
