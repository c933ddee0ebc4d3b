"""What the network makes of one test image: its prediction and each conv block's feature maps.

The dashboard's activation viewer reads this; it works on a frozen CPU copy of the weights, so
looking at a picture never touches the model a training thread is updating.
"""

from __future__ import annotations

import bisect
import copy
import random
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lenet_tui.engine.config import ModelConfig
from lenet_tui.engine.data import Dataset
from lenet_tui.engine.model import build_lenet, conv_indices

Grid = tuple[tuple[float, ...], ...]
"""A 2-D map as rows of floats."""


@dataclass(frozen=True)
class Inspection:
    """One test image through the network."""

    index: int
    """Position in the test set."""
    label: int
    predicted: int
    top3: tuple[tuple[int, float], ...]
    """The three likeliest classes with their softmax probabilities, best first."""
    image: Grid
    """The input, 28x28, 0 (black) to 1 (white)."""
    convs: tuple[tuple[Grid, ...], ...]
    """Each conv block's feature maps after its activation, one grid per channel, first block
    first (d2l: 6 maps of 28x28, then 16 of 10x10)."""
    epoch: int
    """Epochs the weights had trained for (0: the initial weights)."""
    finite: bool = True
    """False when the weights gave NaN or inf (a diverged run); those values are drawn as 0."""


class Inspector:
    """Looks at test images through a snapshot of a network's weights."""

    def __init__(self, model: nn.Sequential, data: Dataset, epoch: int = 0) -> None:
        self._model = copy.deepcopy(model).to("cpu", memory_format=torch.contiguous_format).eval()
        self._images = data.test_images
        self._labels = data.test_labels
        self.classes = data.classes
        """The name of each label (Fashion-MNIST's clothes, MNIST's digits)."""
        self._of_class: dict[int, list[int]] = {}
        for index, label in enumerate(self._labels.tolist()):  # made here, off the UI thread
            self._of_class.setdefault(label, []).append(index)
        self.epoch = epoch
        """Epochs the snapshot had trained for."""
        self._predictions: torch.Tensor | None = None

    @classmethod
    def untrained(cls, config: ModelConfig, seed: int | None, data: Dataset) -> Inspector:
        """The weights a run with this model and seed starts from (any seed when None)."""
        return cls(build_lenet(config, seed=seed), data, epoch=0)

    @property
    def size(self) -> int:
        """Number of test images."""
        return len(self._labels)

    def label(self, index: int) -> int:
        return int(self._labels[index])

    @torch.no_grad()
    def inspect(self, index: int) -> Inspection:
        """Run test image `index` through the snapshot, keeping each conv block's outputs."""
        x = self._images[index].float().div(255).view(1, 1, 28, 28)
        taps = _activation_after(self._model, conv_indices(self._model))
        maps: list[torch.Tensor] = []
        for i, layer in enumerate(self._model):
            x = layer(x)
            if i in taps:
                maps.append(x[0])
        finite = bool(torch.isfinite(x).all()) and all(bool(torch.isfinite(m).all()) for m in maps)
        # A diverged network yields NaN or inf; draw zeros rather than fail, and say so.
        probs = torch.nan_to_num(F.softmax(x[0], dim=0), nan=0.0)
        maps = [torch.nan_to_num(m, nan=0.0, posinf=0.0, neginf=0.0) for m in maps]
        top = torch.topk(probs, 3)
        return Inspection(
            index=index,
            label=self.label(index),
            predicted=int(top.indices[0]),
            top3=tuple(zip(top.indices.tolist(), top.values.tolist(), strict=True)),
            image=_grid(self._images[index].float().div(255)),
            convs=tuple(tuple(_grid(channel) for channel in m) for m in maps),
            epoch=self.epoch,
            finite=finite,
        )

    def next_of_class(self, label: int, after: int) -> int | None:
        """The next test image of class `label` after position `after`, wrapping around.

        None when the test set holds none of that class. Plain Python, no torch: it runs on the
        UI thread, where a parallel torch op would leave an OpenMP pool (see worker_threads).
        """
        hits = self._of_class.get(label, [])
        if not hits:
            return None
        later = bisect.bisect_right(hits, after)
        return hits[later] if later < len(hits) else hits[0]

    def next_misclassified(self, after: int) -> int | None:
        """The next test image the snapshot gets wrong after `after`, or None if it errs on none."""
        return self._next_where(self.predictions() != self._labels.long(), after)

    def random_index(self, rng: random.Random) -> int:
        return rng.randrange(self.size)

    @torch.no_grad()
    def predictions(self) -> torch.Tensor:
        """The snapshot's predicted class for every test image (computed once)."""
        if self._predictions is None:
            x = self._images.float().div(255).unsqueeze(1)
            self._predictions = torch.cat(
                [self._model(chunk).argmax(dim=1) for chunk in x.split(1024)]
            )
        return self._predictions

    def _next_where(self, mask: torch.Tensor, after: int) -> int | None:
        hits = torch.nonzero(mask).flatten()
        if not len(hits):
            return None
        later = hits[hits > after]
        return int(later[0] if len(later) else hits[0])


def _activation_after(net: nn.Sequential, convs: tuple[int, ...]) -> set[int]:
    """For each conv, the index of the activation that follows it (after any batch norm)."""
    taps = set()
    for conv in convs:
        i = conv + 1
        while not isinstance(net[i], (nn.Sigmoid, nn.ReLU)):
            i += 1
        taps.add(i)
    return taps


def _grid(values: torch.Tensor) -> Grid:
    return tuple(tuple(row) for row in values.tolist())
