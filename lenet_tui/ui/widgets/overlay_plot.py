"""Several runs' curves on one plot, one colour per run: the Runs tab's overlay. Test accuracy
is plotted per epoch, with a marker at each; the train metrics at every progress report, so
that a run of one epoch is a curve too."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.message import Message
from textual.reactive import reactive
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from lenet_tui.engine.events import EpochEnd
from lenet_tui.runs.curves import CurveCache, TrainPoint

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
"""What the overlay can plot, in the order its key cycles through them: test acc per epoch, the
train metrics per progress report."""
MARKER = "●"
"""Each test-acc point, and a curve of one point, so a one-epoch run is seen."""


@dataclass(frozen=True)
class OverlaidRun:
    """A run as the overlay plots it."""

    label: str
    colour: tuple[int, int, int]
    epochs: tuple[EpochEnd, ...]
    metrics: Path | None = None
    """Its metrics.jsonl, whose progress reports give the train curves (None: epochs only)."""


@dataclass(frozen=True)
class Curve:
    """One run's points of the plotted metric."""

    label: str
    colour: tuple[int, int, int]
    epochs: tuple[float, ...]
    """Fractional for the train metrics' progress reports."""
    values: tuple[float, ...]


def curve_points(
    epochs: Sequence[EpochEnd], metric: str, reports: Sequence[TrainPoint] = ()
) -> tuple[tuple[float, ...], tuple]:
    """(epochs, values) of a metric over a run: the train metrics at each progress report (at
    each epoch end if there is none), test acc at each epoch end; non-finite values left out."""
    field = metric.replace(" ", "_")
    rows: Sequence = reports if reports and metric.startswith("train") else epochs
    points = [(r.epoch, getattr(r, field)) for r in rows if math.isfinite(getattr(r, field))]
    return tuple(p[0] for p in points), tuple(p[1] for p in points)


@dataclass
class ReportsRead(Message):
    """The overlaid runs' progress reports, read off the UI thread."""

    reports: dict[Path, tuple[TrainPoint, ...]]


class OverlayPlot(PlotextPlot):
    """The chosen runs' curves of one metric against epochs (`metric` picks which).

    The runs' progress reports are read in a worker (the list's scan reads only epoch ends); the
    curves are drawn from the epoch ends until they come.
    """

    metric: reactive[str] = reactive("test acc")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._runs: list[OverlaidRun] = []
        self._reports: dict[Path, tuple[TrainPoint, ...]] = {}
        self._cache = CurveCache()

    def on_mount(self) -> None:
        self.replot()

    def show_runs(self, runs: Sequence[OverlaidRun]) -> None:
        """Plot these runs, replacing the ones shown; their progress reports follow."""
        self._runs = list(runs)
        self.replot()
        paths = [run.metrics for run in runs if run.metrics is not None]
        if paths:
            self.read_reports(paths)

    @work(thread=True, exclusive=True, exit_on_error=False, group="overlay-reports")
    def read_reports(self, paths: list[Path]) -> None:
        reports = self._cache.read(paths)  # one worker at a time: exclusive
        if not get_current_worker().is_cancelled:
            self.post_message(ReportsRead(reports))

    @on(ReportsRead)
    def reports_read(self, message: ReportsRead) -> None:
        if message.reports != self._reports:
            self._reports = message.reports
            self.replot()

    @property
    def curves(self) -> list[Curve]:
        """What is plotted now: one curve per run, of the current metric."""
        return [
            Curve(run.label, run.colour, *curve_points(run.epochs, self.metric, self._of(run)))
            for run in self._runs
        ]

    def _of(self, run: OverlaidRun) -> tuple[TrainPoint, ...]:
        return self._reports.get(run.metrics, ()) if run.metrics is not None else ()

    def watch_metric(self) -> None:
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        curves = self.curves
        last = max((max(c.epochs) for c in curves if c.epochs), default=0.0)
        plt.xlabel("epoch")
        plt.xlim(0, max(last, 1) * 1.04)  # a last point clear of the frame
        ticks = _ticks(last)
        plt.xticks(ticks, [f"{tick:g}" for tick in ticks])
        for curve in curves:
            if len(curve.epochs) > 1:
                plt.plot(curve.epochs, curve.values, color=curve.colour, marker="braille")
            if curve.epochs and (self.metric == "test acc" or len(curve.epochs) == 1):
                plt.scatter(curve.epochs, curve.values, color=curve.colour, marker=MARKER)
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
        if self.metric != "test acc":
            reported = any(self._of(run) for run in self._runs)
            return f"{self.metric} per {'progress report' if reported else 'epoch'}"
        if all(len(c.epochs) < 2 for c in curves):  # a dot each: the curves are a key away
            return "test acc per epoch · m: train loss, acc per report"
        return "test acc per epoch"


def _ticks(last: float) -> list[float]:
    """Whole epochs (about ten of them); halves for a run of an epoch or two."""
    if last <= 2:
        return [i / 2 for i in range(2 * max(1, math.ceil(last)) + 1)]
    step = max(1, round(last / 10))
    return list(range(0, math.ceil(last) + 1, step))


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
