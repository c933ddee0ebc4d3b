"""The resumable state of a run at an epoch boundary (what a checkpoint file holds), and the
training loop's live state it is taken from and put back into."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler

from lenet_tui.engine.config import TrainConfig
from lenet_tui.errors import DataError, LenetError

if TYPE_CHECKING:
    from lenet_tui.engine.data import Dataset
    from lenet_tui.engine.health import HealthProbe


@dataclass
class TrainState:
    """Everything a run needs to continue bit-for-bit after `epoch` finished epochs."""

    epoch: int
    """Epochs finished; 0 is the state before the first step."""
    step: int
    """SGD steps taken so far."""
    model: dict[str, torch.Tensor]
    """The network's state_dict (weights, batch-norm statistics), on the CPU."""
    optimizer: dict
    """The optimizer's state_dict (momentum buffers, Adam's moments)."""
    shuffle_rng: torch.Tensor
    """State of the generator that draws each epoch's order."""
    torch_rng: torch.Tensor
    """State of torch's global CPU generator."""
    train_examples: int
    """Size of the training set the run used: resuming on other data is refused."""
    reference_loss: float | None = None
    """The first step's loss, against which divergence is judged (None before the first step)."""
    config: dict = field(default_factory=dict)
    """The run's settings (TrainConfig.to_dict()), the seed resolved."""
    schedule: dict | None = None
    """The learning-rate schedule's state_dict; None for a constant learning rate."""
    augment_rng: torch.Tensor | None = None
    """State of the generator that draws flips and shifts (None in older checkpoints)."""
    best_test_acc: float | None = None
    """The best test accuracy so far, for early stopping."""
    epochs_since_best: int = 0
    """Epochs since test accuracy last improved."""


@dataclass
class Loop:
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
    health: HealthProbe
    """Watches the reporting steps (layer health)."""
    best_test_acc: float | None = None
    epochs_since_best: int = 0
    """Epochs since test accuracy last improved, for early stopping."""


def restore(loop: Loop, state: TrainState) -> None:
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


def capture(loop: Loop, config: dict, train_examples: int) -> TrainState:
    """The state of `loop` now, tensors copied to the CPU; config is the run's settings."""
    return TrainState(
        epoch=loop.epochs_done,
        step=loop.step,
        model={k: v.detach().to("cpu", copy=True) for k, v in loop.model.state_dict().items()},
        optimizer=copy.deepcopy(loop.optimizer.state_dict()),
        schedule=None if loop.schedule is None else copy.deepcopy(loop.schedule.state_dict()),
        shuffle_rng=loop.shuffle.get_state(),
        augment_rng=loop.augment_rng.get_state(),
        torch_rng=torch.get_rng_state(),
        train_examples=train_examples,
        reference_loss=loop.reference,
        config=config,
        best_test_acc=loop.best_test_acc,
        epochs_since_best=loop.epochs_since_best,
    )


def note_test_acc(loop: Loop, test_acc: float) -> None:
    """Count the epochs since test accuracy last improved, for early stopping."""
    if loop.best_test_acc is None or test_acc > loop.best_test_acc:
        loop.best_test_acc, loop.epochs_since_best = test_acc, 0
    else:
        loop.epochs_since_best += 1


def check_resumable(state: TrainState, config: TrainConfig, data: Dataset) -> None:
    """A LenetError in one line if the run cannot go on from `state` with this data."""
    if state.train_examples != len(data.train_labels):
        raise DataError(
            f"the checkpoint was trained on {state.train_examples:,} training images but this "
            f"data has {len(data.train_labels):,}; resume with the run's own --data-dir"
        )
    if state.epoch >= config.epochs:
        raise LenetError(
            f"the run already finished all {config.epochs} epochs; there is nothing to resume"
        )
