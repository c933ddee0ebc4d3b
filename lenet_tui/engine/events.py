"""What a training run reports, as plain dataclasses the CLI and the dashboard both consume.

`event_to_dict` and `event_from_dict` are the two directions of a metrics.jsonl line.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import ClassVar


@dataclass(frozen=True)
class LayerInfo:
    """One row of the book's shape printout."""

    name: str
    output_shape: tuple[int, ...]
    parameters: int


@dataclass(frozen=True)
class RunStarted:
    """The model is built and the data is on the device; training begins."""

    kind: ClassVar[str] = "run_started"
    config: dict
    device: str
    layers: tuple[LayerInfo, ...]
    parameters: int
    train_examples: int
    test_examples: int
    data_source: str
    start_epoch: int = 0
    """Epochs already done: 0 for a new run, the checkpoint's epoch for a resumed one."""


@dataclass(frozen=True)
class LayerHealth:
    """A layer with weights at a progress report: its weights and its last step's change.

    Each norm is the 2-norm over all the layer's parameters (weight and bias) together, as
    torch.nn.utils.get_total_norm computes it.
    """

    index: int
    """Its position in the network (the row of the layer table)."""
    name: str
    """As a reading names it: conv1, conv2, fc1, fc2, fc3 (and bn1... for batch norm)."""
    weight_norm: float
    grad_norm: float
    """Of the last step's gradient, over all its parameters (weight and bias)."""
    update_ratio: float
    """Norm of the last step's change of the weights over the weights' norm after it."""


@dataclass(frozen=True)
class ActivationHealth:
    """An activation's outputs on the batch of the step a progress report follows (training
    mode: the batch the reported step trained on)."""

    index: int
    """Its position in the network (the row of the layer table)."""
    name: str
    """As a reading names it: the layer it follows and the function, e.g. "conv1 sigmoid"."""
    mean: float
    std: float
    """Over every output of the batch (the population's std)."""
    saturated: float
    """Fraction of sigmoid outputs below 0.05 or above 0.95, of tanh outputs beyond ±0.95
    (NaN for ReLU, which does not saturate)."""
    dead: float
    """Fraction of ReLU outputs that are exactly 0 (NaN for functions that are never 0)."""


@dataclass(frozen=True)
class TrainProgress:
    """Running means over the current epoch so far, read a few times per epoch."""

    kind: ClassVar[str] = "train_progress"
    epoch: float
    """Fractional epoch, as d2l's Animator plots it: 0.1 is a tenth into the first epoch."""
    step: int
    train_loss: float
    train_acc: float
    examples_per_sec: float
    lr: float = math.nan
    """The learning rate of the last step (NaN in logs written before it was reported)."""
    layers: tuple[LayerHealth, ...] = ()
    """Layer health of the last step (empty in logs written before it was reported)."""
    activations: tuple[ActivationHealth, ...] = ()
    threads: int = 0
    """CPU threads torch trains with (0: not reported, or training on a GPU)."""
    device_memory: float = math.nan
    """Bytes of GPU memory in use, by torch's own counter (NaN on the CPU)."""
    device_memory_peak: float = math.nan
    """The most bytes of GPU memory in use since the run began (NaN on the CPU)."""


@dataclass(frozen=True)
class EpochEnd:
    """An epoch finished and the test set was evaluated."""

    kind: ClassVar[str] = "epoch_end"
    epoch: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    seconds: float
    """The epoch's training and evaluation, without the time the caller spent between events."""
    examples_per_sec: float
    confusion: tuple[tuple[int, ...], ...] = ()
    """The test set's confusion matrix: row = true class, column = predicted class (empty in
    logs written before it was reported)."""

    @property
    def per_class_acc(self) -> tuple[float, ...]:
        """Each class's accuracy on the test set (NaN for a class with no test images)."""
        return tuple(
            row[c] / sum(row) if sum(row) else math.nan for c, row in enumerate(self.confusion)
        )


@dataclass(frozen=True)
class RunFinished:
    """All epochs ran; the figures of the book's two summary lines.

    The metrics are the last epoch's. After a resume, examples_per_sec and seconds count only
    the epochs trained since the resume.
    """

    kind: ClassVar[str] = "run_finished"
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    examples_per_sec: float
    """Training examples over time spent in training steps, as d2l counts it (no evaluation)."""
    device: str
    seconds: float
    """Wall time of the whole run, evaluation included."""
    stopped_early: bool = False
    """Test accuracy stopped improving (TrainConfig.patience) before the last epoch."""


@dataclass(frozen=True)
class RunStopped:
    """A stop was requested and honoured after the current batch."""

    kind: ClassVar[str] = "run_stopped"
    epoch: int
    step: int


@dataclass(frozen=True)
class RunPaused:
    """A pause was asked for and taken after the batch in flight; training waits for a resume.

    Never the last event of a run that ends: a stop while paused ends it with RunStopped.
    """

    kind: ClassVar[str] = "run_paused"
    epoch: int
    """The epoch in progress (1 for the first)."""
    step: int
    """SGD steps taken so far: the first step after the pause is step + 1."""


@dataclass(frozen=True)
class RunResumed:
    """Training goes on after a RunPaused, with the step the pause stopped before."""

    kind: ClassVar[str] = "run_resumed"
    epoch: int
    step: int
    paused_seconds: float
    """How long the run was paused (left out of examples/sec and the epoch's seconds)."""


@dataclass(frozen=True)
class RunFailed:
    """Training raised; the message is for the user, the traceback for a bug report."""

    kind: ClassVar[str] = "run_failed"
    error: str
    traceback: str


@dataclass(frozen=True)
class RunDiverged:
    """The loss became non-finite or exploded; the run stopped (see divergence.is_divergent)."""

    kind: ClassVar[str] = "run_diverged"
    epoch: int
    step: int
    train_loss: float
    """The running mean over the epoch so far that gave it away (may be nan or inf)."""

    @property
    def message(self) -> str:
        """One line for the user, as the CLI and the dashboard show it."""
        return f"diverged at epoch {self.epoch}, step {self.step} — learning rate too high?"


Event = (
    RunStarted
    | TrainProgress
    | EpochEnd
    | RunFinished
    | RunStopped
    | RunFailed
    | RunDiverged
    | RunPaused
    | RunResumed
)


def event_to_dict(event: Event) -> dict:
    """The event as a strict-JSON-ready dict whose "event" key names its kind.

    A non-finite figure (a diverged loss, a layer's NaN) becomes None, since JSON has no NaN or
    infinity; so do those inside the layer-health records.
    """
    fields = _finite_or_none(asdict(event))
    if isinstance(event, RunDiverged):
        fields["message"] = event.message
    return {"event": event.kind, **fields}


def _finite_or_none(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    return value


EVENT_TYPES: dict[str, type[Event]] = {
    kind.kind: kind
    for kind in (
        RunStarted,
        TrainProgress,
        EpochEnd,
        RunFinished,
        RunStopped,
        RunFailed,
        RunDiverged,
        RunPaused,
        RunResumed,
    )
}
"""Each event's kind, as the "event" key of a metrics.jsonl line names it, and its class."""


def event_from_dict(fields: object) -> Event | None:
    """The event a dict from `event_to_dict` (one metrics.jsonl line) describes.

    None for anything else: an unknown kind, a missing field, a value of the wrong type (a bool
    for a number, NaN for an epoch count). A null number is read back as NaN, as event_to_dict
    wrote a non-finite one. Keys the event does not have are ignored, so that a newer
    lenet-tui's lines still read.
    """
    name = fields.get("event") if isinstance(fields, dict) else None
    kind = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if kind is None:
        return None
    values = {}
    for field in dataclasses.fields(kind):
        if field.name not in fields:
            if field.default is dataclasses.MISSING:
                return None
            continue
        value = _READERS[str(field.type)](fields[field.name])
        if value is None:
            return None
        values[field.name] = value
    return kind(**values)


def _number(value: object) -> float | None:
    if value is None:
        return math.nan  # written for a non-finite figure
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer too large for a float
        return None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _layers(value: object) -> tuple[LayerInfo, ...] | None:
    if not isinstance(value, list):
        return None
    layers = []
    for row in value:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            return None
        shape, parameters = row.get("output_shape"), _count(row.get("parameters"))
        if not isinstance(shape, list) or parameters is None or None in map(_count, shape):
            return None
        layers.append(LayerInfo(row["name"], tuple(shape), parameters))
    return tuple(layers)


def _records(kind: type) -> Callable[[object], tuple | None]:
    """A reader of a list of `kind` dataclasses, each written as a JSON object."""
    fields = dataclasses.fields(kind)

    def read(value: object) -> tuple | None:
        if not isinstance(value, list | tuple):
            return None
        rows = []
        for row in value:
            if not isinstance(row, dict) or any(f.name not in row for f in fields):
                return None
            values = [_READERS[str(f.type)](row[f.name]) for f in fields]
            if None in values:
                return None
            rows.append(kind(*values))
        return tuple(rows)

    return read


def _matrix(value: object) -> tuple[tuple[int, ...], ...] | None:
    if not isinstance(value, list | tuple) or not all(isinstance(r, list | tuple) for r in value):
        return None
    rows = tuple(tuple(map(_count, row)) for row in value)
    return None if any(None in row or len(row) != len(rows) for row in rows) else rows


_READERS: dict[str, Callable[[object], object]] = {
    "float": _number,
    "int": _count,
    "str": lambda value: value if isinstance(value, str) else None,
    "bool": lambda value: value if isinstance(value, bool) else None,
    "dict": lambda value: value if isinstance(value, dict) else None,
    "tuple[LayerInfo, ...]": _layers,
    "tuple[LayerHealth, ...]": _records(LayerHealth),
    "tuple[ActivationHealth, ...]": _records(ActivationHealth),
    "tuple[tuple[int, ...], ...]": _matrix,
}
"""How each field type of an event is read back from JSON; None means malformed."""


def summary_lines(finished: RunFinished) -> tuple[str, str]:
    """The two lines d2l's train_ch6 prints at the end of a run."""
    return (
        f"loss {finished.train_loss:.3f}, train acc {finished.train_acc:.3f}, "
        f"test acc {finished.test_acc:.3f}",
        f"{examples_per_sec_text(finished.examples_per_sec)} on {finished.device}",
    )


def examples_per_sec_text(examples_per_sec: float) -> str:
    """A run's speed as d2l's summary line writes it: `15234.1 examples/sec`."""
    return f"{examples_per_sec:.1f} examples/sec"


def device_label(started: RunStarted) -> str:
    """The device a run trains on, as both front ends show it: `cpu`, `cpu (bf16 autocast)`."""
    precision = started.config.get("precision", "fp32")
    return started.device if precision == "fp32" else f"{started.device} ({precision} autocast)"
