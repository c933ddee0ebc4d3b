"""Shared fixtures: a tiny, learnable stand-in for Fashion-MNIST, in memory and on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from idx_fixtures import make_tiny_dataset, write_dataset
from textual.widgets import Input

from lenet_tui.engine import precision
from lenet_tui.engine.data import Dataset


@pytest.fixture(autouse=True)
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """New run folders go under tmp_path, never the user's data dir (subprocesses inherit it)."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("LENET_TUI_RUNS_DIR", str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))  # in case a test drops it
    return folder


@pytest.fixture
def snap_compare(snap_compare, monkeypatch: pytest.MonkeyPatch):
    """pytest-textual-snapshot's snap_compare, with every Input made with a steady cursor.

    A blinking cursor is drawn or not depending on when the screenshot is taken, and setting
    `cursor_blink = False` from a test's run_before comes too late: the screen's Inputs may
    not exist yet then (the first run_before finds none), and their blink timers run on.
    An Input made with blink off never starts its timer: focused, its cursor is always drawn.
    """
    made = Input.__init__

    def steady(self: Input, *args: object, **kwargs: object) -> None:
        made(self, *args, **kwargs)
        self.set_reactive(Input.cursor_blink, False)

    monkeypatch.setattr(Input, "__init__", steady)
    return snap_compare


@pytest.fixture(scope="session")
def tiny_dataset() -> Dataset:
    return make_tiny_dataset(n_train=512, n_test=128, seed=0)


@pytest.fixture(scope="session")
def tiny_data_dir(tiny_dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-fashion-mnist")
    write_dataset(folder, tiny_dataset)
    return folder


@pytest.fixture(scope="session")
def local_ray():
    """A local Ray of 2 CPUs, started once for the tests that need it (the ray extra): grids
    join it instead of starting their own. Marked tests skip where Ray is not installed."""
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    import logging

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level=logging.ERROR)  # fmt: skip
    yield ray
    ray.shutdown()


def _say_cpu_bf16(monkeypatch: pytest.MonkeyPatch, native: bool) -> None:
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: native)


@pytest.fixture
def native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    """This CPU is said to have native bf16: bf16 runs train here (emulated where it has not)."""
    _say_cpu_bf16(monkeypatch, True)


@pytest.fixture
def no_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    """This CPU is said to lack native bf16 (AVX512_BF16, AMX), whatever the machine has."""
    _say_cpu_bf16(monkeypatch, False)
