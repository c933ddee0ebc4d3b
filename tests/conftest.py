"""Shared fixtures: a tiny, learnable stand-in for Fashion-MNIST, in memory and on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from idx_fixtures import make_tiny_dataset, write_dataset

from lenet_tui.data import FashionMNIST


@pytest.fixture(scope="session")
def tiny_dataset() -> FashionMNIST:
    return make_tiny_dataset(n_train=512, n_test=128, seed=0)


@pytest.fixture(scope="session")
def tiny_data_dir(tiny_dataset: FashionMNIST, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-fashion-mnist")
    write_dataset(folder, tiny_dataset)
    return folder
