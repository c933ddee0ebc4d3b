"""Several runs' curves on one plot, one colour per run: the Runs tab's overlay."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from textual.reactive import reactive
from textual_plotext import PlotextPlot

from lenet_tui.engine.events import EpochEnd

RUN_COLOURS = (
    (74, 222, 128),
    (96, 165, 250),
    (244, 114, 182),
    (250, 204, 21),
    (192, 132, 252),
    (251, 146, 60),
    (45, 212, 191),
    (226, 232, 240),
)
"""RGB of the 1st..8th chosen run, shared by the plot, its legend and the list's marks."""
METRICS = ("test acc", "train loss", "train acc")
"""What the overlay can plot per epoch, in the order its key cycles through them."""


@dataclass(frozen=True)
class Curve:
    """One run's points of the plotted metric."""

    label: str
    colour: tuple[int, int, int]
    epochs: tuple[int, ...]
    values: tuple[float, ...]


def curve_points(epochs: Sequence[EpochEnd], metric: str) -> tuple[tuple[int, ...], tuple]:
    """(epochs, values) of a metric over a run's finished epochs; non-finite values left out."""
    field = metric.replace(" ", "_")
    points = [(e.epoch, getattr(e, field)) for e in epochs if math.isfinite(getattr(e, field))]
    return tuple(p[0] for p in points), tuple(p[1] for p in points)


class OverlayPlot(PlotextPlot):
    """The chosen runs' curves of one metric against epochs (`metric` picks which)."""

    metric: reactive[str] = reactive("test acc")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._runs: list[tuple[str, tuple[int, int, int], tuple[EpochEnd, ...]]] = []

    def on_mount(self) -> None:
        self.replot()

    def show_runs(
        self, runs: Sequence[tuple[str, tuple[int, int, int], Sequence[EpochEnd]]]
    ) -> None:
        """Plot these (label, colour, finished epochs) runs, replacing the ones shown."""
        self._runs = [(label, colour, tuple(epochs)) for label, colour, epochs in runs]
        self.replot()

    @property
    def curves(self) -> list[Curve]:
        """What is plotted now: one curve per run, of the current metric."""
        return [
            Curve(label, colour, *curve_points(epochs, self.metric))
            for label, colour, epochs in self._runs
        ]

    def watch_metric(self) -> None:
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        curves = self.curves
        last = max((max(c.epochs) for c in curves if c.epochs), default=0)
        plt.xlabel("epoch")
        plt.xlim(0, max(last, 1))
        plt.xticks(list(range(0, max(last, 1) + 1, max(1, round(last / 10)))))
        for curve in curves:
            if curve.epochs:
                plt.plot(curve.epochs, curve.values, color=curve.colour, marker="braille")
        if not any(c.epochs for c in curves):  # keeps the axes on an empty plot
            plt.scatter([0], [0], marker=" ")
        plt.ylim(*_value_range([v for c in curves for v in c.values], self.metric))
        plt.title(self._title(curves))
        self.refresh()

    def _title(self, curves: list[Curve]) -> str:
        if not curves:
            return "space picks 2 to 8 runs to overlay"
        if not any(c.epochs for c in curves):
            return f"{self.metric}: no finished epoch yet"
        return f"{self.metric} per epoch"


def _value_range(values: list[float], metric: str) -> tuple[float, float]:
    """The y axis: accuracies from the tenth below the lowest point to the tenth above the
    highest (within 0..1), so close curves stay apart; losses from 0."""
    if not values:
        return 0.0, 1.0
    if not metric.endswith("acc"):
        return 0.0, max(values) * 1.05 or 1.0
    low = max(0.0, math.floor(min(values) * 10 - 1e-9) / 10)
    high = min(1.0, math.ceil(max(values) * 10 + 1e-9) / 10)
    return low, max(high, low + 0.1)
