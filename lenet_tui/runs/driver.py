"""The one run driver that both front ends use: a run trained by the engine and kept in its folder.

`--no-ui` and the dashboard make a `RunDriver` (a new run, or a kept run going on), iterate
`run()` and render what it yields. Everything about what a run keeps is decided here: the folder
and its lock, every event in metrics.jsonl, a checkpoint at the start and at each epoch end, the
test set's confusion matrix and per-class accuracy as CSV at each epoch end, the weights handed
to a viewer, and, after a stop, divergence or failure, which checkpoint is on disk (`Kept`) for
the front end to say how to go on. Knows nothing about any user interface.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import Dataset
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.events import EpochEnd, Event, RunStarted
from lenet_tui.engine.inspection import Inspector
from lenet_tui.engine.train_state import TrainState
from lenet_tui.engine.training import Trainer
from lenet_tui.errors import RunFolderError
from lenet_tui.runs.checkpoint import Checkpoint, save_checkpoint
from lenet_tui.runs.class_results import write_class_results
from lenet_tui.runs.event_log import EventLog
from lenet_tui.runs.folder import RunFolder, RunLock


class TrainerLike(Protocol):
    """What the driver asks of a trainer: the engine's `Trainer`, or a stand-in for one that
    trains elsewhere (a Ray trial, `lenet_tui.runs.ray_trial.RemoteTrainer`)."""

    config: TrainConfig
    data: Dataset
    resume: TrainState | None
    model: object | None

    def run(self) -> Iterator[Event]: ...
    def checkpoint_state(self) -> TrainState: ...
    def request_stop(self) -> None: ...
    def pause(self) -> None: ...
    def unpause(self) -> None: ...
    @property
    def paused(self) -> bool: ...


class TrainerFactory(Protocol):
    """Makes the trainer of a run: `Trainer` itself, by default."""

    def __call__(
        self, config: TrainConfig, data: Dataset, *, resume: TrainState | None = None
    ) -> TrainerLike: ...


@dataclass(frozen=True)
class KeptRun:
    """A run on disk, checked and read, ready to go on from its checkpoint."""

    folder: RunFolder
    config: TrainConfig
    checkpoint: Checkpoint
    history: list[Event]
    """Its events so far, from metrics.jsonl (a front end replays them)."""

    @classmethod
    def open(cls, path: Path) -> KeptRun:
        """Read and check the run in `path` (torch loads its checkpoint); a LenetError in one
        line if it is not a run folder, is damaged (a line of its metrics.jsonl included),
        finished, or its settings were edited."""
        folder = RunFolder.existing(path)
        config = folder.read_config()
        checkpoint = folder.load_checkpoint(config)
        history = [line.event for line in folder.read_history() if line.event is not None]
        return cls(folder, config, checkpoint, history)

    @property
    def trained_on(self) -> DataSource:
        return self.checkpoint.data

    def data_source(self, chosen: DataSource | None) -> DataSource:
        """The data to go on with: what the user chose (their word), else the run's own."""
        return chosen if chosen is not None else self.trained_on

    def data_mismatch(self, data: Dataset, chosen: DataSource | None) -> str | None:
        """Why the data in memory is not the run's, in one line; None when it is.

        Data the user chose is taken as their word (the trainer still checks the training set's
        size), as `data_source` takes it.
        """
        if chosen is not None or data.origin == self.trained_on.resolved():
            return None
        return (
            f"{self.folder.path}: trained on the {self.trained_on.describe()} data, not the "
            f"{data.origin.describe()} data loaded here; quit and run lenet-tui --resume "
            f"{self.folder.path} (add --data-dir DIR if that data has moved)"
        )


@dataclass(frozen=True)
class Kept:
    """What of a run is on disk: its folder, and the epoch of its newest checkpoint."""

    folder: Path
    checkpoint_epoch: int | None
    """None until the first checkpoint is written (the run ended before training began)."""

    @property
    def checkpoint_at(self) -> str | None:
        """When the kept checkpoint was taken: "start of training" or "end of epoch k"."""
        if self.checkpoint_epoch is None:
            return None
        if self.checkpoint_epoch == 0:
            return "start of training"
        return f"end of epoch {self.checkpoint_epoch}"


class RunDriver:
    """Trains one run and keeps its folder up to date.

    Made with `new` or `resume`, which check the settings, the device and the data without
    writing anything. `open()` (or entering the driver as a context) makes or takes the folder and
    its lock; `run()` then yields the engine's events, each logged (and at RunStarted and every
    EpochEnd checkpointed, at every EpochEnd its class results written) before the caller sees
    it; `close()` releases the folder. `pause()`, `unpause()` and `request_stop()` may be called
    from any thread while `run()` is iterated.
    """

    def __init__(self, trainer: TrainerLike, *, folder: RunFolder | None = None,
                 run_dir: Path | None = None) -> None:  # fmt: skip
        self.trainer = trainer
        self.folder = folder
        """The run's folder; for a new run, None until `open()` has made it."""
        self._run_dir = run_dir
        self._lock: RunLock | None = None
        self._log: EventLog | None = None
        self._checkpoint_epoch = trainer.resume.epoch if trainer.resume is not None else None
        self._boundary: int | None = None
        """The epoch boundary the run is paused at (RunStarted or EpochEnd), else None."""

    @classmethod
    def new(
        cls,
        config: TrainConfig,
        data: Dataset,
        run_dir: Path | None = None,
        *,
        trainer: TrainerFactory = Trainer,
    ) -> RunDriver:
        """A new run, kept in run_dir (a new, or empty, folder) or a fresh default folder;
        trained by `trainer(config, data)` (the engine's Trainer, in this process, by default)."""
        return cls(trainer(config, data), run_dir=run_dir)

    @classmethod
    def resume(
        cls, kept: KeptRun, data: Dataset, *, trainer: TrainerFactory = Trainer
    ) -> RunDriver:
        """The kept run, going on after its checkpoint's epoch in its own folder."""
        return cls(trainer(kept.config, data, resume=kept.checkpoint.state), folder=kept.folder)

    @property
    def config(self) -> TrainConfig:
        """The run's settings, its seed resolved."""
        return self.trainer.config

    @property
    def start_epoch(self) -> int:
        return self.trainer.resume.epoch if self.trainer.resume is not None else 0

    @property
    def kept(self) -> Kept:
        """The folder and its newest checkpoint, as they are on disk now (once opened)."""
        if self.folder is None:
            raise RuntimeError("the run has no folder before open()")
        return Kept(self.folder.path, self._checkpoint_epoch)

    def open(self) -> RunFolder:
        """Make the folder (a new run) or take it (a resumed one, whose metrics are cut back to its
        checkpoint), and lock it; RunFolderError in one line if that cannot be done."""
        if self.folder is None:
            self.folder = RunFolder.create(self.config, self._run_dir)
        lock = RunLock(self.folder)
        if not lock.acquire():
            raise RunFolderError(
                f"{self.folder.path}: another lenet-tui is training this run right now; "
                "let it finish or stop it first"
            )
        try:
            self.folder.remove_temporaries()  # what a killed write left; none writes now
            if self.trainer.resume is not None:
                self.folder.trim_metrics(self.trainer.resume.epoch)
            self._log = EventLog(self.folder.metrics_path, append=True, durable=True)
        except BaseException:
            lock.release()
            raise
        self._lock = lock
        return self.folder

    def run(self) -> Iterator[Event]:
        """Train, yielding every event once it is logged (see Trainer.run for their order).

        A file of the run that cannot be written (disk full) raises RunFolderError.
        """
        if self._log is None:
            raise RuntimeError("open() the driver (or enter it) before run()")
        for event in self.trainer.run():
            self._log.write(event)
            if isinstance(event, EpochEnd):
                self._boundary = event.epoch
            elif isinstance(event, RunStarted):
                self._boundary = event.start_epoch
            if isinstance(event, EpochEnd) and event.confusion:
                write_class_results(self.folder.path, event.confusion, self.trainer.data.classes)
            if isinstance(event, EpochEnd) or (
                isinstance(event, RunStarted) and not event.start_epoch
            ):
                self._save_checkpoint()
            yield event
            self._boundary = None

    def snapshot(self) -> Inspector:
        """A frozen copy of the weights, while `run()` is paused at RunStarted or an EpochEnd."""
        model = self.trainer.model
        if self._boundary is None or model is None:
            raise RuntimeError("snapshot() is only valid at RunStarted or EpochEnd")
        return Inspector(model, self.trainer.data, self._boundary)

    def request_stop(self) -> None:
        """End the run after the batch in flight (at once if paused); safe from any thread or a
        signal handler."""
        self.trainer.request_stop()

    def pause(self) -> None:
        """Pause after the batch in flight: `run()` yields RunPaused (logged), then waits in the
        thread that iterates it until `unpause()` or `request_stop()`."""
        self.trainer.pause()

    def unpause(self) -> None:
        """Go on after a pause: `run()` yields RunResumed (logged), then trains on."""
        self.trainer.unpause()

    @property
    def paused(self) -> bool:
        """A pause is asked for (or held) and neither an unpause nor a stop came since."""
        return self.trainer.paused

    def close(self) -> None:
        """Close the metrics file and release the folder's lock."""
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> RunDriver:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _save_checkpoint(self) -> None:
        assert self.folder is not None
        state = self.trainer.checkpoint_state()
        path = self.folder.checkpoint_path
        try:
            save_checkpoint(path, Checkpoint(state, self.trainer.data.origin))
        except OSError as exc:
            raise RunFolderError(
                f"cannot write the checkpoint {path}: {exc.strerror or exc}"
            ) from None
        self._checkpoint_epoch = state.epoch
