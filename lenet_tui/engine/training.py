"""The training loop: d2l's train_ch6, with the data resident on the device and few syncs.

Knows nothing about any user interface: it yields events (lenet_tui.engine.events) that the headless
CLI prints and the dashboard draws.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import LRScheduler

from lenet_tui.engine.augment import augment
from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import Dataset
from lenet_tui.engine.devices import resolve_device
from lenet_tui.engine.events import (
    EpochEnd,
    Event,
    RunDiverged,
    RunFailed,
    RunFinished,
    RunStarted,
    RunStopped,
    TrainProgress,
)
from lenet_tui.engine.model import build_lenet, count_parameters, layer_table
from lenet_tui.engine.optim import build_optimizer, build_schedule
from lenet_tui.engine.train_state import TrainState
from lenet_tui.errors import DataError, LenetError

EVAL_BATCH_SIZE = 1024
DIVERGENCE_FACTOR = 20.0
"""A running train loss this many times the first step's is divergence: see is_divergent.

Measured on Fashion-MNIST (seed 0, CPU; running means of the epoch so far, reported after every
step): healthy settings (sigmoid and ReLU, avg and max pooling, batch norm, lr 0.1, 0.9 and 10,
batch 32 and 256) peaked at 17.0, 6.4 times their first step's loss; sigmoid LeNet at lr 50 never
reported less than 162 (chance accuracy), at lr 1e4 about 1.2e5, at lr 1e30 about 1.2e31, and
ReLU at lr 3 reached 2e20. 20 x (first-step loss, at least ln 10) leaves a margin of about 3 on
either side.
"""


@dataclass
class _Loop:
    """What the training loop carries from step to step, and a checkpoint reads."""

    model: nn.Sequential
    optimizer: torch.optim.Optimizer
    schedule: LRScheduler | None
    """Stepped after every optimizer step; None for the book's constant learning rate."""
    shuffle: torch.Generator
    """Draws each epoch's order."""
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    n: int
    """Training examples per epoch (one fewer where batch norm would see a batch of one)."""
    batches: int
    report_every: int
    epochs_done: int
    """What a checkpoint taken now would resume after."""
    step: int
    reference: float | None
    """The first step's loss, against which divergence is judged."""
    augment_rng: torch.Generator
    """Draws the flips and shifts of training images (when the settings ask for them)."""
    best_test_acc: float | None = None
    epochs_since_best: int = 0
    """Epochs since test accuracy last improved, for early stopping."""


class Trainer:
    """One run: `run()` builds the model, moves the data to the device and trains.

    Settings and the device are checked here, so a bad one fails before anything starts; what can
    only fail on the device (out of memory, say) fails inside `run()` and becomes RunFailed.
    `request_stop()` may be called from any thread; the run ends after the current batch.

    With `resume` (a TrainState from a checkpoint of a run with the same settings), the run goes
    on after the state's epoch and, on the CPU, ends with the metrics an uninterrupted run gives.
    """

    def __init__(
        self, config: TrainConfig, data: Dataset, *, resume: TrainState | None = None
    ) -> None:
        config.validate()
        seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
        self.config = dataclasses.replace(config, seed=seed)
        self.device = resolve_device(config.device)
        if data.name != config.dataset:
            raise DataError(
                f"the settings ask for {config.dataset} but the data loaded is {data.name} "
                f"({data.description}); load {config.dataset} or change the dataset setting"
            )
        if config.model.batch_norm and len(data.train_labels) < 2:
            raise DataError("batch norm needs at least 2 training examples; add data or drop it")
        if resume is not None:
            _check_resumable(resume, self.config, data)
        self.data = data
        self.resume = resume
        self.model: nn.Sequential | None = None
        """The network being trained, from the start of `run()` on."""
        self._stop = threading.Event()
        self._paused_state: Callable[[], TrainState] | None = None

    def request_stop(self) -> None:
        """Ask the run to end after the batch in flight."""
        self._stop.set()

    def checkpoint_state(self) -> TrainState:
        """The resumable state, while `run()` is paused at RunStarted or at an EpochEnd.

        Call it while handling one of those events, before asking the generator for the next
        one (and while holding it: a generator that is closed offers nothing). The state is that
        of the epoch boundary just reached; tensors are copied to the CPU.
        """
        if self._paused_state is None:
            raise RuntimeError("checkpoint_state() is only valid at RunStarted or EpochEnd")
        return self._paused_state()

    def run(self) -> Iterator[Event]:
        """Train; yields RunStarted, progress and epoch events, then one of RunFinished,
        RunStopped, RunDiverged or RunFailed.

        Time the caller spends between events is not counted in examples/sec.
        """
        try:
            yield from self._run()
        except Exception as exc:  # reported to the user as an event; the trace is kept in it
            yield RunFailed(error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
        finally:
            self._paused_state = None

    def _run(self) -> Iterator[Event]:
        cfg, run_start = self.config, time.perf_counter()
        loop = self._prepare()
        first_epoch = loop.epochs_done
        self._paused_state = lambda: self._state(loop)
        yield RunStarted(
            config=cfg.to_dict(),
            device=str(self.device),
            layers=layer_table(loop.model),
            parameters=count_parameters(loop.model),
            train_examples=len(loop.train_y),
            test_examples=len(loop.test_y),
            data_source=self.data.description,
            start_epoch=first_epoch,
        )
        self._paused_state = None
        train_seconds = 0.0
        for epoch in range(first_epoch, cfg.epochs):
            trained = yield from self._train_epoch(loop, epoch)
            if trained is None:  # stopped or diverged: the event that says so was yielded
                return
            (train_loss, train_acc), start, epoch_seconds = trained
            train_seconds += epoch_seconds
            test_loss, test_acc = evaluate(loop.model, loop.test_x, loop.test_y)
            epoch_event = EpochEnd(
                epoch=epoch + 1,
                train_loss=train_loss,
                train_acc=train_acc,
                test_loss=test_loss,
                test_acc=test_acc,
                seconds=time.perf_counter() - start,
                examples_per_sec=loop.n / epoch_seconds,
            )
            loop.epochs_done = epoch + 1
            _note_test_acc(loop, test_acc)
            self._paused_state = lambda: self._state(loop)
            yield epoch_event
            self._paused_state = None
            if cfg.stops_early(loop.epochs_since_best):
                break
        yield RunFinished(
            train_loss=train_loss,
            train_acc=train_acc,
            test_loss=test_loss,
            test_acc=test_acc,
            examples_per_sec=loop.n * (loop.epochs_done - first_epoch) / train_seconds,
            device=str(self.device),
            seconds=time.perf_counter() - run_start,
            stopped_early=loop.epochs_done < cfg.epochs,
        )

    def _train_epoch(
        self, loop: _Loop, epoch: int
    ) -> Generator[Event, None, tuple[tuple[float, float], float, float] | None]:
        """One pass over the training set, yielding progress (and a stop or a divergence).

        Returns the epoch's train (loss, acc), when its clock started (moved on by the time the
        caller spent between events) and its training seconds; None if the run ended.
        """
        cfg = self.config
        order = torch.randperm(len(loop.train_y), generator=loop.shuffle).to(self.device)
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device, dtype=torch.long)
        start = time.perf_counter()
        for i in range(loop.batches):
            idx = order[i * cfg.batch_size : min((i + 1) * cfg.batch_size, loop.n)]
            x, y = loop.train_x[idx], loop.train_y[idx]
            if cfg.augment != "none":
                x = augment(x, cfg.augment, loop.augment_rng).contiguous(memory_format=self._layout)
            _train_step(loop.model, loop.optimizer, x, y, loss_sum, correct)
            loop.step += 1
            if loop.reference is None:  # the run's one extra sync: the untrained net's loss
                loop.reference = _read_means(loss_sum, correct, len(idx))[0]
            if self._stop.is_set():
                yield RunStopped(epoch=epoch + 1, step=loop.step)
                return None
            if (i + 1) % loop.report_every == 0 or i + 1 == loop.batches:
                seen = min((i + 1) * cfg.batch_size, loop.n)
                means = _read_means(loss_sum, correct, seen)  # the one sync per report
                paused = time.perf_counter()
                yield TrainProgress(epoch + (i + 1) / loop.batches, loop.step, *means,
                                    examples_per_sec=seen / (paused - start),
                                    lr=loop.optimizer.param_groups[0]["lr"])  # fmt: skip
                if is_divergent(means[0], loop.reference):
                    yield RunDiverged(epoch=epoch + 1, step=loop.step, train_loss=means[0])
                    return None
                start += time.perf_counter() - paused  # the caller's time is not training
            if loop.schedule is not None:  # after the report, which gives the lr this step used
                loop.schedule.step()
        return means, start, time.perf_counter() - start

    def _prepare(self) -> _Loop:
        """Build the model and optimizer, restore a resumed run's state, move the data over."""
        cfg = self.config
        model, optimizer = self._build_model()
        n = len(self.data.train_labels)
        if cfg.model.batch_norm and n % cfg.batch_size == 1:
            n -= 1  # batch norm cannot train on a last batch of one: leave one random example out
        batches = math.ceil(n / cfg.batch_size)
        schedule = build_schedule(cfg, optimizer, batches)
        train_x, train_y = self._to_device(self.data.train_images, self.data.train_labels)
        test_x, test_y = self._to_device(self.data.test_images, self.data.test_labels)
        loop = _Loop(
            model, optimizer, schedule, torch.Generator().manual_seed(cfg.seed), train_x,
            train_y, test_x, test_y, n, batches, max(1, batches // cfg.reports_per_epoch),
            epochs_done=0, step=0, reference=None,
            augment_rng=torch.Generator().manual_seed(cfg.seed + 1),
        )  # fmt: skip
        if self.resume is not None:
            self._restore(loop, self.resume)
        return loop

    def _restore(self, loop: _Loop, state: TrainState) -> None:
        """Put a resumed run's model, optimizer, schedule, generators and counters back."""
        loop.model.load_state_dict(state.model)
        loop.optimizer.load_state_dict(state.optimizer)
        if loop.schedule is not None and state.schedule is not None:
            loop.schedule.load_state_dict(state.schedule)
        loop.shuffle.set_state(state.shuffle_rng)
        if state.augment_rng is not None:
            loop.augment_rng.set_state(state.augment_rng)
        torch.set_rng_state(state.torch_rng)
        loop.epochs_done, loop.step, loop.reference = state.epoch, state.step, state.reference_loss
        loop.best_test_acc, loop.epochs_since_best = state.best_test_acc, state.epochs_since_best

    def _state(self, loop: _Loop) -> TrainState:
        return TrainState(
            epoch=loop.epochs_done,
            step=loop.step,
            model={k: v.detach().to("cpu", copy=True) for k, v in loop.model.state_dict().items()},
            optimizer=copy.deepcopy(loop.optimizer.state_dict()),
            schedule=None if loop.schedule is None else copy.deepcopy(loop.schedule.state_dict()),
            shuffle_rng=loop.shuffle.get_state(),
            augment_rng=loop.augment_rng.get_state(),
            torch_rng=torch.get_rng_state(),
            train_examples=len(self.data.train_labels),
            reference_loss=loop.reference,
            config=self.config.to_dict(),
            best_test_acc=loop.best_test_acc,
            epochs_since_best=loop.epochs_since_best,
        )

    def _build_model(self) -> tuple[nn.Sequential, torch.optim.Optimizer]:
        model = build_lenet(self.config.model, seed=self.config.seed)
        self.model = model.to(self.device, memory_format=self._layout)
        return self.model, build_optimizer(self.config, self.model.parameters())

    def _to_device(self, images: torch.Tensor, labels: torch.Tensor):
        x = images.to(self.device).unsqueeze(1).float().div_(255)  # (N, 1, 28, 28) in [0, 1]
        return x.contiguous(memory_format=self._layout), labels.to(self.device, torch.long)

    @property
    def _layout(self) -> torch.memory_format:
        # oneDNN's channels-last conv kernels are markedly faster on CPU (see benchmarks/).
        return torch.channels_last if self.device.type == "cpu" else torch.contiguous_format


def _note_test_acc(loop: _Loop, test_acc: float) -> None:
    if loop.best_test_acc is None or test_acc > loop.best_test_acc:
        loop.best_test_acc, loop.epochs_since_best = test_acc, 0
    else:
        loop.epochs_since_best += 1


def is_divergent(train_loss: float, reference: float | None) -> bool:
    """Whether a running train loss says the run has diverged.

    Non-finite, or above DIVERGENCE_FACTOR times the run's first-step loss (at least ln 10,
    the loss of a uniform guess over ten classes). See DIVERGENCE_FACTOR for the measurements.
    """
    if not math.isfinite(train_loss):
        return True
    if reference is None:
        return False
    floor = math.log(10)
    return train_loss > DIVERGENCE_FACTOR * (reference if reference > floor else floor)


def _check_resumable(state: TrainState, config: TrainConfig, data: Dataset) -> None:
    if state.train_examples != len(data.train_labels):
        raise DataError(
            f"the checkpoint was trained on {state.train_examples:,} training images but this "
            f"data has {len(data.train_labels):,}; resume with the run's own --data-dir"
        )
    if state.epoch >= config.epochs:
        raise LenetError(
            f"the run already finished all {config.epochs} epochs; there is nothing to resume"
        )


def _train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_sum: torch.Tensor,
    correct: torch.Tensor,
) -> None:
    """One SGD step; adds the batch's summed loss and correct count to the device accumulators."""
    optimizer.zero_grad(set_to_none=True)
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        loss_sum += loss.detach() * y.numel()
        correct += (logits.argmax(dim=1) == y).sum()


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of `model` on (x, y), in eval mode."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    for i in range(0, len(y), EVAL_BATCH_SIZE):
        logits = model(x[i : i + EVAL_BATCH_SIZE])
        labels = y[i : i + EVAL_BATCH_SIZE]
        loss_sum += F.cross_entropy(logits, labels, reduction="sum")
        correct += (logits.argmax(dim=1) == labels).sum()
    model.train(was_training)
    return _read_means(loss_sum, correct, len(y))


def _read_means(loss_sum: torch.Tensor, correct: torch.Tensor, count: int) -> tuple[float, float]:
    loss_total, correct_total = torch.stack([loss_sum, correct.to(loss_sum.dtype)]).tolist()
    return loss_total / count, correct_total / count
