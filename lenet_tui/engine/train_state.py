"""The resumable state of a run at an epoch boundary: what a checkpoint file holds."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


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
