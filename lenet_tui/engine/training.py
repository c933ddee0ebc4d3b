"""The training loop: d2l's train_ch6, with the data resident on the device and few syncs.

Knows nothing about any user interface: it yields events (lenet_tui.engine.events) that the headless
CLI prints and the dashboard draws.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
import time
import traceback
from collections.abc import Callable, Generator, Iterator
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from lenet_tui.engine.allocator import keep_freed_memory
from lenet_tui.engine.augment import augment
from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import Dataset
from lenet_tui.engine.devices import resolve_device
from lenet_tui.engine.divergence import is_divergent
from lenet_tui.engine.evaluation import evaluate
from lenet_tui.engine.events import (
    EpochEnd,
    Event,
    RunDiverged,
    RunFailed,
    RunFinished,
    RunPaused,
    RunResumed,
    RunStarted,
    RunStopped,
    TrainProgress,
)
from lenet_tui.engine.health import HealthProbe
from lenet_tui.engine.machine import machine_figures, reset_peak
from lenet_tui.engine.model import build_lenet, count_parameters, layer_table
from lenet_tui.engine.optim import build_optimizer, build_schedule
from lenet_tui.engine.precision import autocast
from lenet_tui.engine.run_control import RunControl
from lenet_tui.engine.train_state import (
    Loop,
    TrainState,
    capture,
    check_resumable,
    note_test_acc,
    restore,
)
from lenet_tui.errors import DataError


class _Sums(NamedTuple):
    """The epoch's running sums on the device: summed loss and correct count."""

    loss: torch.Tensor
    correct: torch.Tensor


class Trainer:
    """One run: `run()` builds the model, moves the data to the device and trains.

    Settings and the device are checked here, so a bad one fails before anything starts; what can
    only fail on the device (out of memory, say) fails inside `run()` and becomes RunFailed.
    `request_stop()`, `pause()` and `unpause()` may be called from any thread; each takes effect
    after the current batch.

    With `resume` (a TrainState from a checkpoint of a run with the same settings), the run goes
    on after the state's epoch and, on the CPU, ends with the metrics an uninterrupted run gives.
    """

    def __init__(
        self, config: TrainConfig, data: Dataset, *, resume: TrainState | None = None
    ) -> None:
        config.validate()
        seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
        self.config = dataclasses.replace(config, seed=seed)
        self.device = resolve_device(config.device, config.precision)
        if data.name != config.dataset:
            raise DataError(
                f"the settings ask for {config.dataset} but the data loaded is {data.name} "
                f"({data.description}); load {config.dataset} or change the dataset setting"
            )
        if config.model.batch_norm and len(data.train_labels) < 2:
            raise DataError("batch norm needs at least 2 training examples; add data or drop it")
        if resume is not None:
            check_resumable(resume, self.config, data)
        self.data = data
        self.resume = resume
        self.model: nn.Sequential | None = None
        """The network being trained, from the start of `run()` on."""
        self._control = RunControl()
        self._paused_state: Callable[[], TrainState] | None = None

    def request_stop(self) -> None:
        """Ask the run to end after the batch in flight (at once, if it is paused)."""
        self._control.request_stop()

    def pause(self) -> None:
        """Pause after the batch in flight: `run()` yields RunPaused and then waits, in the
        thread that asks it for the next event, for `unpause()` or `request_stop()`."""
        self._control.pause()

    def unpause(self) -> None:
        """Go on after a pause (RunResumed, then the steps the pause held back)."""
        self._control.unpause()

    @property
    def paused(self) -> bool:
        """A pause is asked for (or held) and neither an unpause nor a stop came since."""
        return self._control.paused

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

        Time the caller spends between events, and time paused, is not counted in
        examples/sec. A pause yields RunPaused and RunResumed between the progress events.
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

        def state() -> TrainState:
            return capture(loop, cfg.to_dict(), len(self.data.train_labels))

        self._paused_state = state
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
            test_loss, test_acc, confusion = evaluate(loop.model, loop.test_x, loop.test_y)
            epoch_event = EpochEnd(
                epoch=epoch + 1,
                train_loss=train_loss,
                train_acc=train_acc,
                test_loss=test_loss,
                test_acc=test_acc,
                seconds=time.perf_counter() - start,
                examples_per_sec=loop.n / epoch_seconds,
                confusion=confusion,
            )
            loop.epochs_done = epoch + 1
            note_test_acc(loop, test_acc)
            self._paused_state = state
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
        self, loop: Loop, epoch: int
    ) -> Generator[Event, None, tuple[tuple[float, float], float, float] | None]:
        """One pass over the training set, yielding progress (and a pause, a stop or a divergence).

        Returns the epoch's train (loss, acc), when its clock started (moved on by the time the
        caller spent between events, and by pauses) and its training seconds; None if the run
        ended.
        """
        cfg = self.config
        order = torch.randperm(len(loop.train_y), generator=loop.shuffle).to(self.device)
        sums = _Sums(torch.zeros((), device=self.device),
                     torch.zeros((), device=self.device, dtype=torch.long))  # fmt: skip
        start = time.perf_counter()
        for i in range(loop.batches):
            if self._control.paused:
                paused_for = yield from _pause(self._control, loop, epoch)
                if paused_for is None:  # stopped while paused: RunStopped was yielded
                    return None
                start += paused_for
            reporting = (i + 1) % loop.report_every == 0 or i + 1 == loop.batches
            idx = order[i * cfg.batch_size : min((i + 1) * cfg.batch_size, loop.n)]
            health = self._step(loop, idx, sums, watch=reporting)
            if self._control.stop_requested:
                yield RunStopped(epoch=epoch + 1, step=loop.step)
                return None
            if health is not None:
                seen = min((i + 1) * cfg.batch_size, loop.n)
                progress = self._progress(loop, epoch + (i + 1) / loop.batches, seen, sums,
                                          health, start)  # fmt: skip
                paused = time.perf_counter()
                yield progress
                if is_divergent(progress.train_loss, loop.reference):
                    yield RunDiverged(epoch + 1, loop.step, train_loss=progress.train_loss)
                    return None
                start += time.perf_counter() - paused  # the caller's time is not training
            if loop.schedule is not None:  # after the report, which gives the lr this step used
                loop.schedule.step()
        return (progress.train_loss, progress.train_acc), start, time.perf_counter() - start

    def _step(self, loop: Loop, idx: torch.Tensor, sums: _Sums, watch: bool) -> torch.Tensor | None:
        """One SGD step on the examples `idx`; if watched (a reporting step), its layer health
        figures, still on the device."""
        x, y = loop.train_x[idx], loop.train_y[idx]
        if self.config.augment != "none":
            x = augment(x, self.config.augment, loop.augment_rng)
            x = x.contiguous(memory_format=_layout(self.device))
        if watch:
            loop.health.arm()
        try:
            _train_step(loop.model, loop.optimizer, x, y, sums.loss, sums.correct,
                        self.config.precision)  # fmt: skip
        finally:
            loop.health.disarm()
        loop.step += 1
        if loop.reference is None:  # the run's one extra sync: the untrained net's loss
            loop.reference = _read_means(sums.loss, sums.correct, len(idx))[0]
        return loop.health.figures() if watch else None

    def _progress(
        self, loop: Loop, epoch: float, seen: int, sums: _Sums, health: torch.Tensor, start: float
    ) -> TrainProgress:
        """The report after `seen` examples of the epoch: the running means and the layer
        health, read back from the device together (the one sync per report)."""
        values = torch.cat(
            [sums.loss.view(1), sums.correct.to(sums.loss.dtype).view(1), health]
        ).tolist()
        layers, activations = loop.health.read(values[2:])
        return TrainProgress(
            epoch,
            loop.step,
            values[0] / seen,
            values[1] / seen,
            examples_per_sec=seen / (time.perf_counter() - start),
            lr=loop.optimizer.param_groups[0]["lr"],
            layers=layers,
            activations=activations,
            **machine_figures(self.device)._asdict(),
        )

    def _prepare(self) -> Loop:
        """Build the model and optimizer, restore a resumed run's state, move the data over."""
        cfg = self.config
        reset_peak(self.device)
        if self.device.type == "cpu":
            keep_freed_memory()  # a third of a CPU step went to faulting its buffers back in
        model, optimizer = self._build_model()
        n = len(self.data.train_labels)
        if cfg.model.batch_norm and n % cfg.batch_size == 1:
            n -= 1  # batch norm cannot train on a last batch of one: leave one random example out
        batches = math.ceil(n / cfg.batch_size)
        schedule = build_schedule(cfg, optimizer, batches)
        train_x, train_y = _to_device(self.data.train_images, self.data.train_labels, self.device)
        test_x, test_y = _to_device(self.data.test_images, self.data.test_labels, self.device)
        loop = Loop(
            model, optimizer, schedule, torch.Generator().manual_seed(cfg.seed), train_x,
            train_y, test_x, test_y, n, batches, max(1, batches // cfg.reports_per_epoch),
            epochs_done=0, step=0, reference=None,
            augment_rng=torch.Generator().manual_seed(cfg.seed + 1), health=HealthProbe(model),
        )  # fmt: skip
        if self.resume is not None:
            restore(loop, self.resume)
        return loop

    def _build_model(self) -> tuple[nn.Sequential, torch.optim.Optimizer]:
        model = build_lenet(self.config.model, seed=self.config.seed)
        self.model = model.to(self.device, memory_format=_layout(self.device))
        return self.model, build_optimizer(self.config, self.model.parameters())


def _layout(device: torch.device) -> torch.memory_format:
    # oneDNN's channels-last conv kernels are markedly faster on CPU (see benchmarks/).
    return torch.channels_last if device.type == "cpu" else torch.contiguous_format


def _to_device(
    images: torch.Tensor, labels: torch.Tensor, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    x = images.to(device).unsqueeze(1).float().div_(255)  # (N, 1, 28, 28) in [0, 1]
    return x.contiguous(memory_format=_layout(device)), labels.to(device, torch.long)


def _pause(control: RunControl, loop: Loop, epoch: int) -> Generator[Event, None, float | None]:
    """Yield RunPaused and wait for an unpause (RunResumed) or a stop (RunStopped).

    Returns the seconds paused, or None after a stop.
    """
    began = time.perf_counter()
    yield RunPaused(epoch=epoch + 1, step=loop.step)
    control.wait_while_paused()
    if control.stop_requested:
        yield RunStopped(epoch=epoch + 1, step=loop.step)
        return None
    yield RunResumed(epoch + 1, loop.step, paused_seconds=time.perf_counter() - began)
    return time.perf_counter() - began


def _train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_sum: torch.Tensor,
    correct: torch.Tensor,
    precision: str = "fp32",
) -> None:
    """One SGD step; adds the batch's summed loss and correct count to the device accumulators.

    With bf16 the forward pass runs under autocast; the weights and their gradients stay
    float32 (autocast casts a bf16 copy of each weight for its op, and backward casts back).
    """
    optimizer.zero_grad(set_to_none=True)
    with autocast(precision, x.device):
        logits = model(x)
    # The loss in float32: bf16 logits would round it, and the gradient it starts, to 3 digits.
    loss = F.cross_entropy(logits.float(), y)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        loss_sum += loss.detach() * y.numel()
        correct += (logits.argmax(dim=1) == y).sum()


def _read_means(loss_sum: torch.Tensor, correct: torch.Tensor, count: int) -> tuple[float, float]:
    loss_total, correct_total = torch.stack([loss_sum, correct.to(loss_sum.dtype)]).tolist()
    return loss_total / count, correct_total / count
