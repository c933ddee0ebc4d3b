"""When a run has diverged: its running train loss, judged against its first step's."""

from __future__ import annotations

import math

DIVERGENCE_FACTOR = 20.0
"""A running train loss this many times the first step's is divergence: see is_divergent.

Measured on Fashion-MNIST (seed 0, CPU; running means of the epoch so far, reported after every
step): healthy settings (sigmoid and ReLU, avg and max pooling, batch norm, lr 0.1, 0.9 and 10,
batch 32 and 256) peaked at 17.0, 6.4 times their first step's loss; sigmoid LeNet at lr 50 never
reported less than 162 (chance accuracy), at lr 1e4 about 1.2e5, at lr 1e30 about 1.2e31, and
ReLU at lr 3 reached 2e20. 20 x (first-step loss, at least ln 10) leaves a margin of about 3 on
either side.
"""


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
