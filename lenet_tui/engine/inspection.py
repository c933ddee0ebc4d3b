"""What the network makes of one test image: its prediction and each layer's output in turn.

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
from lenet_tui.engine.model import build_lenet

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
    kernels: tuple[tuple[Grid, ...], ...] = ()
    """Each conv block's kernels, one k x k grid per output channel, averaged over the block's
    input channels (conv1 has one: its own weights; d2l: 6 of 5x5, then 16 means of 6)."""
    pools: tuple[tuple[Grid, ...], ...] = ()
    """Each conv block's maps after its pooling (d2l: 6 of 14x14, then 16 of 5x5)."""
    dense: tuple[tuple[float, ...], ...] = ()
    """Each hidden dense layer's output after its activation (d2l: 120, then 84 values)."""
    logits: tuple[float, ...] = ()
    """The output layer's 10 values, before the softmax."""
    probs: tuple[float, ...] = ()
    """The softmax of the logits, one probability per class (top3 holds the largest three)."""


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
        self._kinds = _layer_kinds(self._model)
        self._kernels: tuple[tuple[Grid, ...], ...] | None = None

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
        """Run test image `index` through the snapshot, keeping every layer's output."""
        x = self._images[index].float().div(255).view(1, 1, 28, 28)
        convs, pools, dense = [], [], []
        for layer, kind in zip(self._model, self._kinds, strict=True):
            x = layer(x)
            if kind:
                {"conv": convs, "pool": pools, "dense": dense}[kind].append(x[0])
        finite = bool(torch.isfinite(x).all()) and all(
            bool(torch.isfinite(t).all()) for t in (*convs, *pools, *dense)
        )
        # A diverged network yields NaN or inf; draw zeros rather than fail, and say so.
        probs = torch.nan_to_num(F.softmax(x[0], dim=0), nan=0.0)
        top = torch.topk(probs, 3)
        return Inspection(
            index=index,
            label=self.label(index),
            predicted=int(top.indices[0]),
            top3=tuple(zip(top.indices.tolist(), top.values.tolist(), strict=True)),
            image=_grid(self._images[index].float().div(255)),
            convs=tuple(_grids(_finite(m)) for m in convs),  # (6, 28, 28), (16, 10, 10) in d2l
            epoch=self.epoch,
            finite=finite,
            kernels=self.kernels(),
            pools=tuple(_grids(_finite(m)) for m in pools),  # (6, 14, 14), (16, 5, 5)
            dense=tuple(tuple(_finite(v).tolist()) for v in dense),  # (120,), (84,)
            logits=tuple(_finite(x[0]).tolist()),  # (10,)
            probs=tuple(probs.tolist()),
        )

    @torch.no_grad()
    def kernels(self) -> tuple[tuple[Grid, ...], ...]:
        """Each conv's kernels averaged over its input channels (computed once per snapshot)."""
        if self._kernels is None:
            convs = [m for m in self._model if isinstance(m, nn.Conv2d)]
            self._kernels = tuple(_grids(_finite(c.weight.mean(dim=1))) for c in convs)
        return self._kernels

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


def _layer_kinds(net: nn.Sequential) -> tuple[str, ...]:
    """What each layer's output is to the viewer: "conv" (a conv block's activation, after any
    batch norm), "pool", "dense" (a hidden dense layer's activation) or "" (not kept)."""
    kinds, dense = [], False
    for layer in net:
        if isinstance(layer, nn.Flatten):
            dense = True
        if isinstance(layer, (nn.Sigmoid, nn.ReLU)):
            kinds.append("dense" if dense else "conv")
        else:
            kinds.append("pool" if isinstance(layer, (nn.AvgPool2d, nn.MaxPool2d)) else "")
    return tuple(kinds)


def _finite(values: torch.Tensor) -> torch.Tensor:
    return torch.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)


def _grids(maps: torch.Tensor) -> tuple[Grid, ...]:
    """(C, H, W) -> one grid per channel."""
    return tuple(_grid(channel) for channel in maps)


def _grid(values: torch.Tensor) -> Grid:
    return tuple(tuple(row) for row in values.tolist())
