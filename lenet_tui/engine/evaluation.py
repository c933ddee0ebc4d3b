"""The test pass: mean loss, accuracy and the confusion matrix, read back in one sync."""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from lenet_tui.engine.confusion import add_confusion

EVAL_BATCH_SIZE = 1024


class Evaluation(NamedTuple):
    loss: float
    """Mean cross-entropy."""
    acc: float
    confusion: tuple[tuple[int, ...], ...]
    """Row = true class, column = predicted class; one class per output of the network."""


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Evaluation:
    """Loss, accuracy and confusion matrix of `model` on (x, y), in eval mode.

    Always in float32, whatever precision the run trains in: the test metrics are those of the
    float32 weights a checkpoint keeps, and the confusion matrix agrees with the predictions the
    Errors and Activations tabs compute from a float32 copy of them.

    Accuracy is the confusion matrix's diagonal over its total, so the two always agree. The
    counts travel to the host as floats with the loss (one sync): exact up to 2**24 images.
    """
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=x.device)
    confusion: torch.Tensor | None = None
    for i in range(0, len(y), EVAL_BATCH_SIZE):
        logits = model(x[i : i + EVAL_BATCH_SIZE])
        labels = y[i : i + EVAL_BATCH_SIZE]
        loss_sum += F.cross_entropy(logits, labels, reduction="sum")
        if confusion is None:  # one class per output of the network
            k = logits.shape[1]
            confusion = torch.zeros(k, k, dtype=torch.long, device=x.device)
        add_confusion(confusion, labels, logits.argmax(dim=1))
    model.train(was_training)
    if confusion is None:  # no test images
        return Evaluation(float("nan"), float("nan"), ())
    values = torch.cat([loss_sum.view(1), confusion.flatten().to(loss_sum.dtype)]).tolist()
    k = confusion.shape[0]
    rows = tuple(tuple(int(v) for v in values[1 + r * k : 1 + (r + 1) * k]) for r in range(k))
    correct = sum(rows[c][c] for c in range(k))
    return Evaluation(values[0] / len(y), correct / len(y), rows)
