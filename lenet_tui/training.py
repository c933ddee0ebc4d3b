"""The training loop: d2l's train_ch6, with the data resident on the device and few syncs.

Knows nothing about any user interface: it yields events (lenet_tui.events) that the headless
CLI prints and the dashboard draws.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
import threading
import time
import traceback
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from lenet_tui.config import TrainConfig
from lenet_tui.data import FashionMNIST
from lenet_tui.devices import resolve_device
from lenet_tui.events import (
    EpochEnd,
    Event,
    RunFailed,
    RunFinished,
    RunStarted,
    RunStopped,
    TrainProgress,
)
from lenet_tui.model import build_lenet, count_parameters, layer_table

EVAL_BATCH_SIZE = 1024


class Trainer:
    """One run: builds the model, moves the data to the device, and trains on `run()`.

    `request_stop()` may be called from any thread; the run ends after the current batch.
    """

    def __init__(self, config: TrainConfig, data: FashionMNIST) -> None:
        config.validate()
        seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
        self.config = dataclasses.replace(config, seed=seed)
        self.data_source = data.source
        self.device = resolve_device(config.device)
        # oneDNN's channels-last conv kernels are markedly faster on CPU (see benchmarks/).
        self._memory_format = (
            torch.channels_last if self.device.type == "cpu" else torch.contiguous_format
        )
        torch.manual_seed(seed)
        self.model = build_lenet(config.model).to(self.device, memory_format=self._memory_format)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=config.lr)
        self._shuffle = torch.Generator().manual_seed(seed)
        self._stop = threading.Event()
        self.train_x, self.train_y = self._to_device(data.train_images, data.train_labels)
        self.test_x, self.test_y = self._to_device(data.test_images, data.test_labels)

    def request_stop(self) -> None:
        """Ask the run to end after the batch in flight."""
        self._stop.set()

    def run(self) -> Iterator[Event]:
        """Train; yields RunStarted, progress and epoch events, then Finished, Stopped or Failed."""
        try:
            yield from self._run()
        except Exception as exc:  # reported to the user as an event; the trace is kept in it
            yield RunFailed(error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())

    def _run(self) -> Iterator[Event]:
        cfg = self.config
        n = len(self.train_y)
        batches = math.ceil(n / cfg.batch_size)
        report_every = max(1, batches // cfg.reports_per_epoch)
        yield RunStarted(
            config=cfg.to_dict(),
            device=str(self.device),
            layers=layer_table(self.model),
            parameters=count_parameters(self.model),
            train_examples=n,
            test_examples=len(self.test_y),
            data_source=self.data_source,
        )
        step, train_seconds, run_start = 0, 0.0, time.perf_counter()
        for epoch in range(cfg.epochs):
            order = torch.randperm(n, generator=self._shuffle).to(self.device)
            loss_sum = torch.zeros((), device=self.device)
            correct = torch.zeros((), device=self.device, dtype=torch.long)
            start = time.perf_counter()
            for i in range(batches):
                idx = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
                self._step(self.train_x[idx], self.train_y[idx], loss_sum, correct)
                step += 1
                if self._stop.is_set():
                    yield RunStopped(epoch=epoch + 1, step=step)
                    return
                if (i + 1) % report_every == 0 or i + 1 == batches:
                    seen = min((i + 1) * cfg.batch_size, n)
                    train_loss, train_acc = _read_means(loss_sum, correct, seen)  # the one sync
                    elapsed = time.perf_counter() - start
                    yield TrainProgress(
                        epoch=epoch + (i + 1) / batches,
                        step=step,
                        train_loss=train_loss,
                        train_acc=train_acc,
                        examples_per_sec=seen / elapsed,
                    )
            epoch_seconds = time.perf_counter() - start
            train_seconds += epoch_seconds
            test_loss, test_acc = evaluate(self.model, self.test_x, self.test_y)
            yield EpochEnd(
                epoch=epoch + 1,
                train_loss=train_loss,
                train_acc=train_acc,
                test_loss=test_loss,
                test_acc=test_acc,
                seconds=time.perf_counter() - start,
                examples_per_sec=n / epoch_seconds,
            )
        yield RunFinished(
            train_loss=train_loss,
            train_acc=train_acc,
            test_loss=test_loss,
            test_acc=test_acc,
            examples_per_sec=n * cfg.epochs / train_seconds,
            device=str(self.device),
            seconds=time.perf_counter() - run_start,
        )

    def _step(
        self, x: torch.Tensor, y: torch.Tensor, loss_sum: torch.Tensor, correct: torch.Tensor
    ):
        self.optimizer.zero_grad(set_to_none=True)
        logits = self.model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():  # accumulate on the device; read only at report points
            loss_sum += loss.detach() * y.numel()
            correct += (logits.argmax(dim=1) == y).sum()

    def _to_device(self, images: torch.Tensor, labels: torch.Tensor):
        x = images.to(self.device).unsqueeze(1).float().div_(255)  # (N, 1, 28, 28) in [0, 1]
        return x.contiguous(memory_format=self._memory_format), labels.to(self.device, torch.long)


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
