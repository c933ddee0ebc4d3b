"""Messages from the dashboard's background workers to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from lenet_tui.engine.data import Dataset
from lenet_tui.engine.events import Event, LayerInfo
from lenet_tui.engine.inspection import Inspector
from lenet_tui.runs.driver import Kept, RunDriver
from lenet_tui.runs.folder import RunFolder


@dataclass
class DataLoaded(Message):
    """The dataset is in memory; runs can start."""

    data: Dataset


@dataclass
class DataFailed(Message):
    """The dataset could not be loaded; the one-line reason."""

    error: str


@dataclass
class TrainingEvent(Message):
    """One event from the run driver, in the order it yielded them, and what was kept then."""

    event: Event
    kept: Kept | None
    """The run's folder and newest checkpoint when the event was yielded (None: no folder)."""


@dataclass
class WeightsSnapshot(Message):
    """A frozen copy of the weights, taken at the start of a run and after each epoch."""

    inspector: Inspector


@dataclass
class ModelPreview(Message):
    """What the form's model looks like before a run: its layers and its starting weights."""

    key: object
    """The model options and seed it was made for; a preview for stale ones is dropped."""
    layers: tuple[LayerInfo, ...]
    inspector: Inspector | None
    """None while there are no test images to show."""


@dataclass
class RunOpened(Message):
    """The run's folder is ready: settings written (or a resumed run's metrics trimmed)."""

    folder: RunFolder
    driver: RunDriver
    """What trains it (a grid's next run is shown from now on)."""


@dataclass
class RunEnded(Message):
    """The training worker has ended, whatever the outcome; a new run may start."""

    toast: str = ""
    """What to do next (`run stopped: ctrl+o resumes it`), for the screen to notify unless a
    grid says it; "" where an error notification said it already."""
    crashed: bool = False
    """A bug ended the worker (a grid's further runs did not train)."""
