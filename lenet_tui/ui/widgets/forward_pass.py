"""One test image's way through the network, layer by layer, down to the softmax."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from lenet_tui.engine.inspection import Inspection
from lenet_tui.ui.widgets.feature_maps import MapTiles
from lenet_tui.ui.widgets.heatmap import (
    VIRIDIS,
    Grid,
    Heatmap,
    cell_style,
    downsample,
    level_of,
    value_range,
)

TILE = 7
"""Widest a map is drawn in the forward pass: small, so every layer fits in one column."""
MIN_TILE = 3
"""Narrower maps show nothing: a layer that would need them wraps to a second row instead."""
CELL = "▀"


class Strip:
    """Rich renderable: a dense layer's values, one coloured cell each, wrapping to the width."""

    def __init__(self, values: Sequence[float]) -> None:
        self.values = values
        self.scale = value_range(((values,),))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        low, high = self.scale
        span = (high - low) or 1.0
        width = max(1, options.max_width)
        for start in range(0, len(self.values), width):
            for v in self.values[start : start + width]:
                level = level_of((v - low) / span)
                yield Segment(CELL, cell_style(VIRIDIS, level, level))
            yield Segment.line()


class FittedTiles:
    """Rich renderable: a layer's maps shrunk (by whole factors) to fit one row of the width
    given, down to MIN_TILE cells wide; below that, at TILE or less, wrapping."""

    def __init__(self, maps: Sequence[Grid]) -> None:
        self.maps = maps
        self._tiles: dict[int, MapTiles] = {}

    def factor(self, width: int) -> int:
        n, side = len(self.maps), len(self.maps[0][0])
        first = -(-side // TILE)  # the least shrinking that draws a map at most TILE wide
        for factor in range(first, side + 1):
            drawn = -(-side // factor)
            if drawn < min(MIN_TILE, side):
                break
            if n * (drawn + 1) - 1 <= width:
                return factor
        return first

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        factor = self.factor(options.max_width)
        if factor not in self._tiles:
            heatmaps = [[Heatmap(downsample(m, factor))] for m in self.maps]
            self._tiles[factor] = MapTiles(heatmaps, numbered=False)
        yield self._tiles[factor]


def forward_pass(inspection: Inspection, classes: Sequence[str]) -> Group:
    """Each conv block's maps and pooled maps, each dense layer, the logits and the softmax."""
    parts: list[RenderableType] = [
        Text.assemble(
            (f"test image {inspection.index + 1:,}", "bold"),
            f" ({classes[inspection.label]}) layer by layer",
            ("  each map and strip on its own scale; f: back to kernels and maps", "dim"),
        )
    ]
    for block, (convs, pools) in enumerate(zip(inspection.convs, inspection.pools, strict=True)):
        parts += _maps(f"conv{block + 1}", convs)
        parts += _maps(f"pool{block + 1}", pools)
    dense = (*inspection.dense, inspection.logits)
    for n, values in enumerate(dense, start=1):
        last = n == len(dense)
        low, high = value_range(((values,),))
        name = f"fc{n} logits" if last else f"fc{n}"
        parts.append(_title(name, f"{len(values)} values, {low:.2f} to {high:.2f}"))
        parts.append(Strip(values))
    parts.append(_title("softmax", "the probability of each class"))
    parts.append(_bars(inspection, classes))
    return Group(*parts)


def _maps(name: str, maps: tuple[Grid, ...]) -> list[RenderableType]:
    h, w = len(maps[0]), len(maps[0][0])
    return [_title(name, f"{len(maps)} maps of {w}×{h}"), FittedTiles(maps)]


def _title(name: str, what: str) -> Text:
    return Text.assemble((name, "bold"), (f" · {what}", "dim"))


def _bars(inspection: Inspection, classes: Sequence[str]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, width=11)
    table.add_column(justify="right", width=4)
    table.add_column()
    for label, p in enumerate(inspection.probs):
        style = "bold" if label == inspection.predicted else ""
        mark = " ✓ true" if label == inspection.label else ""
        table.add_row(
            Text(classes[label], style=style),
            f"{p:.0%}",
            Text.assemble(("█" * round(p * 20) or "▏", "cyan"), (mark, "green")),
        )
    return table
