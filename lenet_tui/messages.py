"""Messages from the app's background workers to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from lenet_tui.checkpoint import Checkpoint
from lenet_tui.config import TrainConfig
from lenet_tui.data import FashionMNIST
from lenet_tui.events import Event
from lenet_tui.inspection import Inspector
from lenet_tui.model import LayerInfo
from lenet_tui.runs import RunFolder


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


@dataclass
class ModelPreview(Message):
    """What the form's model looks like before a run: its layers and its starting weights."""

    key: object
    """The model options and seed it was made for; a preview for stale ones is dropped."""
    layers: list[LayerInfo]
    inspector: Inspector | None
    """None while there are no test images to show."""


@dataclass
class RunOpened(Message):
    """The run's folder is ready: settings written (or a resumed run's metrics trimmed)."""

    folder: RunFolder


@dataclass
class ResumeReady(Message):
    """A kept run, checked and loaded, ready to go on from its checkpoint."""

    folder: RunFolder
    config: TrainConfig
    checkpoint: Checkpoint
    history: list[dict]
    """The run's metrics so far, as read from metrics.jsonl (for the plot)."""


@dataclass
class ResumeFailed(Message):
    """A kept run cannot be resumed; the one-line reason."""

    error: str
