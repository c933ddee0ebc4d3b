"""The optimizer and the learning-rate schedule a run's settings ask for.

The defaults are the book's: plain SGD at a constant learning rate, which builds exactly
`torch.optim.SGD(parameters, lr=lr)` and no scheduler at all.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.optim.lr_scheduler import (
    CosineAnnealingLR,
    LRScheduler,
    MultiStepLR,
    OneCycleLR,
)

from lenet_tui.engine.config import TrainConfig

STEP_MILESTONES = (0.5, 0.75)
"""Where the step schedule divides the learning rate by ten, as fractions of the run."""


def build_optimizer(
    config: TrainConfig, parameters: Iterable[torch.Tensor]
) -> torch.optim.Optimizer:
    """sgd (with the settings' momentum and Nesterov flag), adam or adamw, with weight decay."""
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        parameters,
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )


def build_schedule(
    config: TrainConfig, optimizer: torch.optim.Optimizer, steps_per_epoch: int
) -> LRScheduler | None:
    """The schedule, stepped once per training step; None for a constant learning rate.

    step: lr/10 after half the steps and lr/100 after three quarters; cosine: from lr down to 0
    over the run; onecycle: up from lr/25 to lr in the first 30% of the steps, then down to
    lr/10^4 (with SGD momentum, or Adam's beta1, cycled 0.95 -> 0.85 -> 0.95 meanwhile).
    """
    total = config.epochs * steps_per_epoch
    if config.schedule == "step":
        milestones = [max(1, round(total * f)) for f in STEP_MILESTONES]
        return MultiStepLR(optimizer, milestones=milestones, gamma=0.1)
    if config.schedule == "cosine":
        return CosineAnnealingLR(optimizer, T_max=total)
    if config.schedule == "onecycle":
        cycles = config.optimizer != "sgd" or config.momentum > 0
        return OneCycleLR(optimizer, max_lr=config.lr, total_steps=total, cycle_momentum=cycles)
    return None
