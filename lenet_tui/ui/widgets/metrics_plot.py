"""Train loss, train accuracy and test accuracy against epochs, as d2l's Animator draws them."""

from __future__ import annotations

import math

from rich.text import Text
from textual_plotext import PlotextPlot

SERIES_COLOURS = {
    "train loss": (96, 165, 250),
    "train acc": (244, 114, 182),
    "test acc": (74, 222, 128),
    "lr →": (250, 204, 21),
}
"""RGB per series, shared by the plot and its legend."""


def legend(lr: bool = False) -> Text:
    """The series key, drawn above the plot so it never covers a curve; the learning rate's
    (on the right axis, "lr →") only where a schedule changes it."""
    text = Text()
    for name, (r, g, b) in SERIES_COLOURS.items():
        if name.startswith("lr") and not lr:
            continue
        mark = "• " if name == "test acc" else "━ "
        text.append(mark, style=f"bold rgb({r},{g},{b})")
        text.append(name + ("  " if lr else "   "))  # with the lr, it still fits 80 columns
    return text.rstrip() or text


BEFORE_TITLE = "no points yet: ctrl+r starts a run"
WAITING_TITLE = "waiting for the first report…"
ENDED_TITLE = "the run ended before its first report"
"""The empty plot's title before a run, while a run starts, and after one that never reported."""


class MetricsPlot(PlotextPlot):
    """Points arrive a few times per epoch (train) and once per epoch (test).

    Adding a point does not redraw: plotext draws in pure Python on the UI thread, which shares
    the CPU with training, so the Train view calls `draw_new_points` on its once-a-second tick.
    """

    _stale = False

    def on_mount(self) -> None:
        self.reset(epochs=10)

    def reset(self, epochs: int, empty: str = BEFORE_TITLE) -> None:
        """Forget all points and set the x axis to 0..epochs; empty: the title until the first
        point."""
        self._epochs, self._empty = epochs, empty
        self._train: tuple[list[float], list[float], list[float]] = ([], [], [])
        self._lr: tuple[list[float], list[float]] = ([], [])
        self._test: tuple[list[float], list[float]] = ([], [])
        self.replot()

    def add_train(self, epoch: float, loss: float, acc: float, lr: float = math.nan) -> None:
        """A running-mean point; a non-finite loss (a diverged run) is left out."""
        if not math.isfinite(loss):
            return
        if math.isfinite(lr):
            self._lr[0].append(epoch)
            self._lr[1].append(lr)
        for series, value in zip(self._train, (epoch, loss, acc), strict=True):
            series.append(value)
        self._stale = True

    def add_test(self, epoch: int, acc: float) -> None:
        self._test[0].append(epoch)
        self._test[1].append(acc)
        self._stale = True

    def say_when_empty(self, title: str) -> None:
        """The title the plot has while it has no points."""
        self._empty = title
        if not self._train[0]:
            self.replot()

    def draw_new_points(self) -> None:
        """Redraw if points arrived since the last drawing."""
        if self._stale:
            self.replot()

    @property
    def points(self) -> int:
        """How many points are drawn, all series together."""
        return 2 * len(self._train[0]) + len(self._test[0])

    def replot(self) -> None:
        self._stale = False
        plt = self.plt
        plt.clear_data()
        plt.xlabel("epoch")
        plt.xlim(0, self._epochs)
        plt.xticks(_epoch_ticks(self._epochs))
        epochs, loss, acc = self._train
        if epochs:
            plt.plot(epochs, loss, color=SERIES_COLOURS["train loss"])
            plt.plot(epochs, acc, color=SERIES_COLOURS["train acc"])
        if self._test[0]:
            plt.plot(*self._test, color=SERIES_COLOURS["test acc"], marker="dot")
        if len(set(self._lr[1])) > 1:  # plotted only when a schedule changes it
            plt.plot(*self._lr, color=SERIES_COLOURS["lr →"], yside="right")
        if not epochs:  # an invisible point keeps the axes and their ticks on an empty plot
            plt.scatter([0], [0], marker=" ")
        plt.title("" if epochs else self._empty)
        plt.ylim(0, max(1.0, *loss) * 1.05 if epochs else 1.0)
        self.refresh()


def _epoch_ticks(epochs: int) -> list[int]:
    step = max(1, round(epochs / 10))
    return list(range(0, epochs + 1, step))
