"""The confusion matrix of a test pass: counted on the device, read as a table per class."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch


def add_confusion(counts: torch.Tensor, labels: torch.Tensor, predicted: torch.Tensor) -> None:
    """Count a batch into `counts`, a (classes, classes) int64 tensor on the batch's device:
    row = true class, column = predicted.

    An index_add_, not a bincount: CUDA's bincount reads its input's largest value back to size
    its output, a host sync per batch.
    """
    classes = counts.shape[0]
    counts.view(-1).index_add_(0, labels * classes + predicted, torch.ones_like(labels))


@dataclass(frozen=True)
class ClassResult:
    """One class's row of the per-class table: how its test images were classified."""

    name: str
    images: int
    """Test images of this class."""
    correct: int
    confused_with: str | None
    """The class its images were most often taken for (None when none was mistaken)."""
    confused_count: int
    """How many of its images were taken for `confused_with`."""

    @property
    def accuracy(self) -> float:
        """correct / images (NaN for a class with no test images)."""
        return self.correct / self.images if self.images else math.nan


def per_class(confusion: Sequence[Sequence[int]], names: Sequence[str]) -> tuple[ClassResult, ...]:
    """Each class's result from a confusion matrix (rows true, columns predicted).

    A tie for the most frequent mistake goes to the lower class index. Names beyond those given
    are the class's index.
    """
    results = []
    for true, row in enumerate(confusion):
        mistakes = [(count, -other) for other, count in enumerate(row) if other != true]
        count, other = max(mistakes, default=(0, 0))
        results.append(
            ClassResult(
                name=_name(names, true),
                images=sum(row),
                correct=row[true],
                confused_with=_name(names, -other) if count else None,
                confused_count=count,
            )
        )
    return tuple(results)


def _name(names: Sequence[str], index: int) -> str:
    return names[index] if index < len(names) else str(index)
