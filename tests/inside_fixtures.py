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
                    threads: int = 2, loss: float = 2.3) -> TrainProgress:  # fmt: skip
    """A report of the d2l net (rows 0 conv1 ... 11 fc3), its sigmoids' saturation as given
    (its loss 2.3 by default: at chance, as the book's net on its plateau)."""
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
        epoch, int(epoch * 16), loss, 0.1, 1000.0, 0.9, layers, activations, threads=threads
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


D2L_HEALTH = {
    "plateau": (
        ((0, "conv1", 1.5, 6.5e-3, 3.9e-3), (3, "conv2", 3.06, 9.5e-3, 2.8e-3),
         (7, "fc1", 13.6, 0.034, 2.2e-3), (9, "fc2", 10.2, 0.09, 7.9e-3),
         (11, "fc3", 3.87, 0.15, 0.035)),
        ((1, "conv1", 0.453, 0.13, 0.0), (4, "conv2", 0.51, 0.078, 0.0),
         (8, "fc1", 0.535, 0.2, 0.0), (10, "fc2", 0.182, 0.033, 0.0)),
    ),
    "learning": (
        ((0, "conv1", 2.56, 0.17, 0.06), (3, "conv2", 4.06, 0.34, 0.075),
         (7, "fc1", 13.9, 0.34, 0.022), (9, "fc2", 10.5, 0.32, 0.027),
         (11, "fc3", 4.54, 0.41, 0.081)),
        ((1, "conv1", 0.421, 0.21, 0.091), (4, "conv2", 0.446, 0.21, 0.009),
         (8, "fc1", 0.461, 0.17, 0.0), (10, "fc2", 0.27, 0.12, 0.0)),
    ),
}  # fmt: skip
"""The book's net's layer health on the bundled data, seed 0, lr 0.9 (its metrics.jsonl): on its
plateau (epoch 0.7, loss 2.33: conv1's gradient 1/23 of fc3's, fc2's outputs std 0.03) and once
it learns (epoch 1.0)."""


def d2l_report(epoch: float, loss: float, acc: float, phase: str = "plateau",
               examples_per_sec: float = 18000.0) -> TrainProgress:  # fmt: skip
    """A progress report of the book's net with the layer health of D2L_HEALTH[phase]."""
    weighted, functions = D2L_HEALTH[phase]
    return TrainProgress(
        epoch,
        round(epoch * 235),
        loss,
        acc,
        examples_per_sec,
        lr=0.9,
        layers=tuple(LayerHealth(*figures) for figures in weighted),
        activations=tuple(
            ActivationHealth(i, f"{name} sigmoid", mean, std, saturated, math.nan)
            for i, name, mean, std, saturated in functions
        ),
        threads=2,
    )


PLATEAU_LOSSES = (2.417, 2.366, 2.349, 2.340, 2.334, 2.329, 2.326)
"""The book's net's reported train loss at epochs 0.1 to 0.7 (bundled data, seed 0): chance."""


def plateau_reports() -> list[TrainProgress]:
    """The first seven reports of the book's net: its loss on the plateau at ln 10."""
    return [d2l_report((i + 1) / 10, loss, 0.1 + i / 500) for i, loss in enumerate(PLATEAU_LOSSES)]
