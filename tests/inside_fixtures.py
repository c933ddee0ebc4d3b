"""Hand-made events and weights for the Errors tab and layer-health tests (issue 12)."""

from __future__ import annotations

import io
import math

from rich.console import Console
from textual.widget import Widget
from textual.widgets import Static

from lenet_tui.engine.config import ModelConfig
from lenet_tui.engine.data import Dataset
from lenet_tui.engine.events import (
    ActivationHealth,
    EpochEnd,
    LayerHealth,
    RunStarted,
    TrainProgress,
)
from lenet_tui.engine.inspection import Inspector
from lenet_tui.engine.model import build_lenet, count_parameters, layer_table


def trained_inspector(data: Dataset, epoch: int = 1) -> Inspector:
    """Untrained weights said to be epoch `epoch`'s: their mistakes are as good as any."""
    return Inspector(build_lenet(ModelConfig(), seed=0), data, epoch=epoch)


def confusion_of(inspector: Inspector) -> tuple[tuple[int, ...], ...]:
    """The matrix the engine would report for these weights: row true, column predicted."""
    matrix = [[0] * 10 for _ in range(10)]
    predictions = inspector.predictions().tolist()
    for index, predicted in enumerate(predictions):
        matrix[inspector.label(index)][predicted] += 1
    return tuple(tuple(row) for row in matrix)


def epoch_end(epoch: int, confusion: tuple[tuple[int, ...], ...]) -> EpochEnd:
    right = sum(confusion[c][c] for c in range(len(confusion)))
    total = sum(map(sum, confusion))
    return EpochEnd(epoch, 2.2, 0.2, 2.2, right / total, 3.0, 1000.0, confusion=confusion)


SECOND_EPOCH = (
    (780, 10, 5, 90, 5, 2, 80, 0, 28, 0),
    (10, 940, 2, 38, 5, 0, 3, 0, 2, 0),
    (30, 5, 80, 20, 690, 0, 160, 0, 15, 0),
    (60, 25, 0, 840, 50, 0, 20, 0, 5, 0),
    (5, 5, 40, 60, 830, 0, 55, 0, 5, 0),
    (0, 0, 0, 2, 0, 890, 0, 70, 8, 30),
    (240, 5, 30, 70, 470, 0, 100, 0, 85, 0),
    (0, 0, 0, 0, 0, 60, 0, 880, 2, 58),
    (10, 2, 5, 10, 20, 10, 30, 8, 900, 5),
    (0, 0, 0, 0, 0, 25, 0, 45, 3, 927),
)
"""A sigmoid net's 2nd epoch on Fashion-MNIST, 1,000 test images a class: Pullover right 8% of
the time (69% taken for a Coat), Shirt 10%, the others 78-94%."""


def d2l_started() -> RunStarted:
    net = build_lenet()
    return RunStarted({"epochs": 2}, "cpu", layer_table(net), count_parameters(net), 512, 128, "t")


def health_progress(epoch: float, conv1_grad: float = 2e-4, saturated: float = 0.0,
                    threads: int = 2) -> TrainProgress:  # fmt: skip
    """A report of the d2l net (rows 0 conv1 ... 11 fc3), its sigmoids' saturation as given."""
    layers = tuple(
        LayerHealth(index, name, 1.5 + index / 10, grad, 1e-3)
        for index, name, grad in (
            (0, "conv1", conv1_grad), (3, "conv2", 2e-3), (7, "fc1", 1e-2), (9, "fc2", 5e-2),
            (11, "fc3", 0.2),
        )
    )  # fmt: skip
    activations = tuple(
        ActivationHealth(index, f"{name} sigmoid", 0.5, 0.1, saturated, math.nan)
        for index, name in ((1, "conv1"), (4, "conv2"), (8, "fc1"), (10, "fc2"))
    )
    return TrainProgress(
        epoch, int(epoch * 16), 2.3, 0.1, 1000.0, 0.9, layers, activations, threads=threads
    )


def rendered(widget: Widget) -> str:
    """The text a widget draws (at 200 columns at least), lines joined by newlines."""
    console = Console(width=max(widget.size.width, 200), file=io.StringIO(), record=True)
    console.print(widget.content if isinstance(widget, Static) else widget.render())
    return console.export_text()


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
