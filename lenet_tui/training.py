"""The training loop: d2l's train_ch6, with the data resident on the device and few syncs.

Knows nothing about any user interface: it yields events (lenet_tui.events) that the headless
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
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from lenet_tui.checkpoint import TrainState
from lenet_tui.config import TrainConfig
from lenet_tui.data import FashionMNIST
from lenet_tui.devices import resolve_device
from lenet_tui.errors import DataError, LenetError
from lenet_tui.events import (
    EpochEnd,
    Event,
    RunDiverged,
    RunFailed,
    RunFinished,
    RunStarted,
    RunStopped,
    TrainProgress,
)
from lenet_tui.model import build_lenet, count_parameters, layer_table

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


class Trainer:
    """One run: `run()` builds the model, moves the data to the device and trains.

    Settings and the device are checked here, so a bad one fails before anything starts; what can
    only fail on the device (out of memory, say) fails inside `run()` and becomes RunFailed.
    `request_stop()` may be called from any thread; the run ends after the current batch.

    With `resume` (a TrainState from a checkpoint of a run with the same settings), the run goes
    on after the state's epoch and, on the CPU, ends with the metrics an uninterrupted run gives.
    """

    def __init__(
        self, config: TrainConfig, data: FashionMNIST, *, resume: TrainState | None = None
    ) -> None:
        config.validate()
        seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
        self.config = dataclasses.replace(config, seed=seed)
        self.device = resolve_device(config.device)
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
        model, optimizer = self._build_model()
        shuffle = torch.Generator().manual_seed(cfg.seed)
        first_epoch, step, reference = self._restore(model, optimizer, shuffle)
        train_x, train_y = self._to_device(self.data.train_images, self.data.train_labels)
        test_x, test_y = self._to_device(self.data.test_images, self.data.test_labels)
        n = len(train_y)
        if cfg.model.batch_norm and n % cfg.batch_size == 1:
            n -= 1  # batch norm cannot train on a last batch of one: leave one random example out
        batches = math.ceil(n / cfg.batch_size)
        report_every = max(1, batches // cfg.reports_per_epoch)

        def state_now() -> TrainState:
            return self._state(finished, step, reference, model, optimizer, shuffle)

        finished = first_epoch  # epochs done: what a checkpoint taken now would resume after
        self._paused_state = state_now
        yield RunStarted(
            config=cfg.to_dict(),
            device=str(self.device),
            layers=layer_table(model),
            parameters=count_parameters(model),
            train_examples=len(train_y),
            test_examples=len(test_y),
            data_source=self.data.source,
            start_epoch=first_epoch,
        )
        self._paused_state = None
        train_seconds = 0.0
        for epoch in range(first_epoch, cfg.epochs):
            order = torch.randperm(len(train_y), generator=shuffle).to(self.device)
            loss_sum = torch.zeros((), device=self.device)
            correct = torch.zeros((), device=self.device, dtype=torch.long)
            start = time.perf_counter()
            for i in range(batches):
                idx = order[i * cfg.batch_size : min((i + 1) * cfg.batch_size, n)]
                _train_step(model, optimizer, train_x[idx], train_y[idx], loss_sum, correct)
                step += 1
                if reference is None:  # the run's one extra sync: the untrained net's loss
                    reference = _read_means(loss_sum, correct, len(idx))[0]
                if self._stop.is_set():
                    yield RunStopped(epoch=epoch + 1, step=step)
                    return
                if (i + 1) % report_every == 0 or i + 1 == batches:
                    seen = min((i + 1) * cfg.batch_size, n)
                    train_loss, train_acc = _read_means(loss_sum, correct, seen)  # the one sync
                    paused = time.perf_counter()
                    yield TrainProgress(
                        epoch=epoch + (i + 1) / batches,
                        step=step,
                        train_loss=train_loss,
                        train_acc=train_acc,
                        examples_per_sec=seen / (paused - start),
                    )
                    if is_divergent(train_loss, reference):
                        yield RunDiverged(epoch=epoch + 1, step=step, train_loss=train_loss)
                        return
                    start += time.perf_counter() - paused  # the caller's time is not training
            epoch_seconds = time.perf_counter() - start
            train_seconds += epoch_seconds
            test_loss, test_acc = evaluate(model, test_x, test_y)
            epoch_event = EpochEnd(
                epoch=epoch + 1,
                train_loss=train_loss,
                train_acc=train_acc,
                test_loss=test_loss,
                test_acc=test_acc,
                seconds=time.perf_counter() - start,
                examples_per_sec=n / epoch_seconds,
            )
            finished = epoch + 1
            self._paused_state = state_now
            yield epoch_event
            self._paused_state = None
        yield RunFinished(
            train_loss=train_loss,
            train_acc=train_acc,
            test_loss=test_loss,
            test_acc=test_acc,
            examples_per_sec=n * (cfg.epochs - first_epoch) / train_seconds,
            device=str(self.device),
            seconds=time.perf_counter() - run_start,
        )

    def _restore(
        self, model: nn.Module, optimizer: torch.optim.Optimizer, shuffle: torch.Generator
    ) -> tuple[int, int, float | None]:
        """Load the resume state, if any; return the first epoch, step and reference loss."""
        state = self.resume
        if state is None:
            return 0, 0, None
        model.load_state_dict(state.model)
        optimizer.load_state_dict(state.optimizer)
        shuffle.set_state(state.shuffle_rng)
        torch.set_rng_state(state.torch_rng)
        return state.epoch, state.step, state.reference_loss

    def _state(
        self,
        epoch: int,
        step: int,
        reference: float | None,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        shuffle: torch.Generator,
    ) -> TrainState:
        return TrainState(
            epoch=epoch,
            step=step,
            model={k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()},
            optimizer=copy.deepcopy(optimizer.state_dict()),
            shuffle_rng=shuffle.get_state(),
            torch_rng=torch.get_rng_state(),
            train_examples=len(self.data.train_labels),
            reference_loss=reference,
            config=self.config.to_dict(),
        )

    def _build_model(self) -> tuple[nn.Sequential, torch.optim.Optimizer]:
        model = build_lenet(self.config.model, seed=self.config.seed)
        self.model = model.to(self.device, memory_format=self._layout)
        return self.model, torch.optim.SGD(self.model.parameters(), lr=self.config.lr)

    def _to_device(self, images: torch.Tensor, labels: torch.Tensor):
        x = images.to(self.device).unsqueeze(1).float().div_(255)  # (N, 1, 28, 28) in [0, 1]
        return x.contiguous(memory_format=self._layout), labels.to(self.device, torch.long)

    @property
    def _layout(self) -> torch.memory_format:
        # oneDNN's channels-last conv kernels are markedly faster on CPU (see benchmarks/).
        return torch.channels_last if self.device.type == "cpu" else torch.contiguous_format


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


def _check_resumable(state: TrainState, config: TrainConfig, data: FashionMNIST) -> None:
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
