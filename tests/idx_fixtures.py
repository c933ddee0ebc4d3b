"""Tiny, learnable fake Fashion-MNIST datasets for tests (`from idx_fixtures import ...`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch

from lenet_tui.engine.data import IDX_FILES, Dataset
from lenet_tui.engine.idx import write_idx

BLOCK = 6
# Top-left corner of each class's bright 6x6 block: a 3x4 grid of non-overlapping slots.
BLOCK_CORNERS: tuple[tuple[int, int], ...] = tuple(
    (2 + 9 * (k // 4), 1 + 7 * (k % 4)) for k in range(10)
)


def _class_masks() -> torch.Tensor:
    masks = torch.zeros(10, 28, 28, dtype=torch.bool)
    for k, (r, c) in enumerate(BLOCK_CORNERS):
        masks[k, r : r + BLOCK, c : c + BLOCK] = True
    return masks


def _split(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n images, classes balanced and shuffled: dim noise plus a bright block for the class."""
    labels = (torch.arange(n) % 10)[torch.randperm(n, generator=g)].to(torch.uint8)
    noise = torch.randint(0, 96, (n, 28, 28), generator=g, dtype=torch.uint8)
    bright = torch.randint(192, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
    images = torch.where(_class_masks()[labels.long()], bright, noise)
    return images, labels


def make_tiny_dataset(n_train: int = 512, n_test: int = 128, seed: int = 0) -> Dataset:
    """A small fake Fashion-MNIST that a CNN learns in a few steps; same seed, same data."""
    g = torch.Generator().manual_seed(seed)
    train_images, train_labels = _split(n_train, g)
    test_images, test_labels = _split(n_test, g)
    source = f"tiny fake Fashion-MNIST (seed {seed})"
    return Dataset(train_images, train_labels, test_images, test_labels, source)


def write_dataset(
    folder: Path,
    ds: Dataset,
    gz: bool = True,
    layout: Literal["flat", "torchvision"] = "flat",
) -> dict[str, Path]:
    """Write ds's four IDX files into folder (or folder/FashionMNIST/raw); return their paths."""
    if layout not in ("flat", "torchvision"):
        raise ValueError(f"layout must be 'flat' or 'torchvision', not {layout!r}")
    place = Path(folder) if layout == "flat" else Path(folder) / "FashionMNIST" / "raw"
    return write_idx_files(place, ds, gz)


def write_idx_files(place: Path, ds: Dataset, gz: bool = True) -> dict[str, Path]:
    """Write ds's four IDX files into place itself (e.g. root/MNIST/raw); return their paths."""
    place = Path(place)
    place.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, name in IDX_FILES.items():
        paths[key] = place / (name + ".gz" if gz else name)
        write_idx(paths[key], getattr(ds, key))
    return paths
