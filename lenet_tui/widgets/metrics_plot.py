"""Train loss, train accuracy and test accuracy against epochs, as d2l's Animator draws them."""

from __future__ import annotations

import math

from textual_plotext import PlotextPlot

SERIES_COLOURS = {"train loss": "blue+", "train acc": "magenta+", "test acc": "green+"}


class MetricsPlot(PlotextPlot):
    """Points arrive a few times per epoch (train) and once per epoch (test)."""

    def on_mount(self) -> None:
        self.reset(epochs=10)

    def reset(self, epochs: int) -> None:
        """Forget all points and set the x axis to 0..epochs."""
        self._epochs = epochs
        self._train: tuple[list[float], list[float], list[float]] = ([], [], [])
        self._test: tuple[list[float], list[float]] = ([], [])
        self.replot()

    def add_train(self, epoch: float, loss: float, acc: float) -> None:
        """A running-mean point; a non-finite loss (a diverged run) is left out."""
        if not math.isfinite(loss):
            return
        for series, value in zip(self._train, (epoch, loss, acc), strict=True):
            series.append(value)
        self.replot()

    def add_test(self, epoch: int, acc: float) -> None:
        self._test[0].append(epoch)
        self._test[1].append(acc)
        self.replot()

    @property
    def points(self) -> int:
        """How many points are drawn, all series together."""
        return 2 * len(self._train[0]) + len(self._test[0])

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.xlabel("epoch")
        plt.xlim(0, self._epochs)
        plt.xticks(_epoch_ticks(self._epochs))
        epochs, loss, acc = self._train
        if epochs:
            plt.plot(epochs, loss, label="train loss", color=SERIES_COLOURS["train loss"])
            plt.plot(epochs, acc, label="train acc", color=SERIES_COLOURS["train acc"])
        if self._test[0]:
            plt.plot(*self._test, label="test acc", color=SERIES_COLOURS["test acc"], marker="dot")
        if not epochs:
            plt.ylim(0, 1)
            plt.text("waiting for the first points", x=self._epochs / 2, y=0.5, alignment="center")
        else:
            plt.ylim(0, max(1.0, *loss) * 1.2)  # headroom keeps the legend off the curves
        self.refresh()


def _epoch_ticks(epochs: int) -> list[int]:
    step = max(1, round(epochs / 10))
    return list(range(0, epochs + 1, step))
