"""Layer health over the run: a sparkline per layer, and the plainest reading of the latest report.

A weighted layer's line is its gradient norm on a log scale shared by all layers, so a layer
whose gradients are a thousandth of another's sits visibly lower; an activation's line is the
share of its outputs saturated (sigmoid) or dead (ReLU), on 0..100%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from lenet_tui.engine.events import ActivationHealth, LayerHealth, TrainProgress
from lenet_tui.ui.health_reading import health_reading

BARS = "▁▂▃▄▅▆▇█"
NAME_WIDTH = 14
LATEST_WIDTH = 10
BEFORE = "layer health appears with the first progress report of a run (ctrl+t: the layer table)"
WAITING = "waiting for the first report of the run (ctrl+t: the layer table)"
ENDED = "the run ended before its first report (ctrl+t: the layer table)"
NO_HEALTH = "this run's reports carry no layer health (ctrl+t: the layer table)"


def sparkline(values: Sequence[float], width: int, low: float, high: float) -> str:
    """`values` squeezed into `width` bars (each the mean of its share), `low`..`high` mapped to
    the lowest..highest bar; a value that is not finite is a blank."""
    if width <= 0 or not values:
        return ""
    n = len(values)
    if n > width:
        chunks = [values[i * n // width : (i + 1) * n // width] for i in range(width)]
        values = [_mean(chunk) for chunk in chunks]
    span = high - low
    bars = []
    for v in values:
        if not math.isfinite(v):
            bars.append(" ")
            continue
        level = (v - low) / span if span > 0 else 0.5
        bars.append(BARS[min(len(BARS) - 1, max(0, int(level * len(BARS))))])
    return "".join(bars)


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def fraction(activation: ActivationHealth) -> tuple[str, float]:
    """What an activation's line shows: its saturated share, else its dead share."""
    if math.isfinite(activation.saturated):
        return "sat", activation.saturated
    return "dead", activation.dead


class LayerHealthView(Static, can_focus=True):
    """`note(progress)` records a report; `draw_new()` redraws if reports came since."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(BEFORE, id=id)
        self.outputs = 10
        """Outputs of the model's last layer: the loss of guessing is ln(classes)."""
        self.reset()

    def reset(self, waiting: bool = False) -> None:
        """A new run (`waiting` for its first report): forget the histories."""
        self._grads: dict[int, tuple[str, list[float]]] = {}
        self._fractions: dict[int, tuple[str, list[float]]] = {}
        self._losses: list[tuple[float, float]] = []
        self._latest: TrainProgress | None = None
        self._stale = False
        self.update(WAITING if waiting else BEFORE)

    def run_ended(self) -> None:
        """The run is over; if it never reported, say so rather than wait on."""
        if self._latest is None:
            self.update(ENDED)

    def note(self, progress: TrainProgress) -> None:
        self._losses.append((progress.epoch, progress.train_loss))
        if not progress.layers and not progress.activations:
            if self._latest is None:  # a log from before layer health was reported
                self.update(NO_HEALTH)
            return
        for layer in progress.layers:
            log = math.log10(layer.grad_norm) if layer.grad_norm > 0 else math.nan
            self._grads.setdefault(layer.index, (layer.name, []))[1].append(log)
        for activation in progress.activations:
            _, share = fraction(activation)
            self._fractions.setdefault(activation.index, (activation.name, []))[1].append(share)
        self._latest, self._stale = progress, True

    def draw_new(self) -> None:
        """Redraw if reports came since, and only while shown: drawing costs the UI thread a
        layout, and with it training on a small CPU."""
        if self._stale and self._latest is not None and self.display:
            self._stale = False
            self.update(self._table(self._latest))

    def on_resize(self) -> None:
        if self._latest is not None:
            self.update(self._table(self._latest))

    def _table(self, latest: TrainProgress) -> Group:
        width = max(0, self.size.width - NAME_WIDTH - LATEST_WIDTH - 2)
        logs = [v for _, values in self._grads.values() for v in values if math.isfinite(v)]
        low, high = (min(logs), max(logs)) if logs else (0.0, 0.0)
        table = Table.grid(padding=(0, 1))
        table.add_column(width=NAME_WIDTH, no_wrap=True)
        table.add_column(width=width, no_wrap=True)
        table.add_column(width=LATEST_WIDTH, justify="right", no_wrap=True)
        rows = {**self._grads, **self._fractions}
        for index in sorted(rows):
            name, values = rows[index]
            if index in self._grads:
                line = sparkline(values, width, low, high)
                latest_text, style = f"∇ {_sci(10 ** values[-1])}", "rgb(96,165,250)"
            else:
                line = sparkline(values, width, 0.0, 1.0)
                kind = _kind(latest.activations, index)
                latest_text, style = f"{kind} {_percent(values[-1])}", "rgb(244,114,182)"
            table.add_row(Text(name), Text(line, style=style), Text(latest_text, style="dim"))
        reading = health_reading(latest.layers, latest.activations, self._losses, self.outputs)
        said = Text(reading or "no warning sign in the latest report",
                    style="bold yellow" if reading else "dim")  # fmt: skip
        return Group(said, table)


def _kind(activations: Sequence[ActivationHealth], index: int) -> str:
    return next((fraction(a)[0] for a in activations if a.index == index), "")


def _sci(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.1e}"


def _percent(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.0%}"


def health_columns(
    layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth]
) -> dict[int, tuple[str, ...]]:
    """The layer table's health cells per row index: ‖w‖, ‖∇‖, Δ/w, mean, sat/dead."""
    cells: dict[int, tuple[str, ...]] = {}
    for layer in layers:
        cells[layer.index] = (
            _short(layer.weight_norm),
            _sci(layer.grad_norm),
            _sci(layer.update_ratio),
            "",
            "",
        )
    for a in activations:
        kind, share = fraction(a)
        cells[a.index] = ("", "", "", _short(a.mean), f"{_percent(share)} {kind}")
    return cells


def _short(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.3g}"
