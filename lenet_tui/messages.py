"""Messages from the app's background workers to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from lenet_tui.data import FashionMNIST
from lenet_tui.events import Event
from lenet_tui.inspection import Inspector


@dataclass
class DataLoaded(Message):
    """The dataset is in memory; runs can start."""

    data: FashionMNIST


@dataclass
class DataFailed(Message):
    """The dataset could not be loaded; the one-line reason."""

    error: str


@dataclass
class TrainingEvent(Message):
    """One event from the training engine, in the order the engine yielded it."""

    event: Event


@dataclass
class WeightsSnapshot(Message):
    """A frozen copy of the weights, taken at the start of a run and after each epoch."""

    inspector: Inspector
