"""2-D maps drawn with half-block characters: two pixels a cell, so a map keeps its shape."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from functools import cache, cached_property

from rich.color import Color
from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

Grid = Sequence[Sequence[float]]
RGB = tuple[int, int, int]

VIRIDIS: tuple[RGB, ...] = (
    (68, 1, 84),
    (59, 82, 139),
    (33, 145, 140),
    (94, 201, 98),
    (253, 231, 37),
)
"""Dark (low) to bright (high), readable for colour-blind viewers and on dark terminals."""
GRAYSCALE: tuple[RGB, ...] = ((0, 0, 0), (255, 255, 255))
LEVELS = 32
"""Colours per map; more gain nothing visible in a terminal cell."""
UPPER_HALF = "▀"


def downsample(grid: Grid, factor: int) -> list[list[float]]:
    """Average factor x factor blocks (a trailing partial block is averaged over what is there)."""
    if factor == 1:
        return [list(row) for row in grid]
    rows, cols = len(grid), len(grid[0])
    out = []
    for r in range(0, rows, factor):
        block_rows = grid[r : r + factor]
        out.append(
            [
                sum(sum(row[c : c + factor]) for row in block_rows)
                / (len(block_rows) * len(block_rows[0][c : c + factor]))
                for c in range(0, cols, factor)
            ]
        )
    return out


def normalise(grid: Grid) -> list[list[float]]:
    """Stretch a map to 0..1 so its pattern shows; a flat map becomes all 0."""
    finite = [v for row in grid for v in row if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 0.0)
    span = high - low
    if span < 1e-6:
        return [[0.0] * len(row) for row in grid]
    return [[(v - low) / span if math.isfinite(v) else 0.0 for v in row] for row in grid]


class Heatmap:
    """A Rich renderable of one map: `width` cells wide and ceil(height / 2) lines tall."""

    def __init__(
        self, grid: Grid, colours: Sequence[RGB] = VIRIDIS, *, stretch: bool = True
    ) -> None:
        self.grid = (
            normalise(grid) if stretch else [[min(max(v, 0.0), 1.0) for v in r] for r in grid]
        )
        self.palette = _palette(tuple(colours))

    @property
    def width(self) -> int:
        return len(self.grid[0])

    @property
    def height(self) -> int:
        return (len(self.grid) + 1) // 2

    @cached_property
    def _lines(self) -> list[list[Segment]]:
        return self._build_lines()

    def lines(self) -> list[list[Segment]]:
        """One list of segments per terminal line (built once; a heatmap never changes)."""
        return self._lines

    def _build_lines(self) -> list[list[Segment]]:
        lines = []
        for r in range(0, len(self.grid), 2):
            top = self.grid[r]
            bottom = self.grid[r + 1] if r + 1 < len(self.grid) else None
            lines.append(
                [
                    Segment(
                        UPPER_HALF,
                        Style(
                            color=self._colour(t),
                            bgcolor=None if bottom is None else self._colour(b),
                        ),
                    )
                    for t, b in zip(top, bottom or top, strict=True)
                ]
            )
        return lines

    def _colour(self, value: float) -> Color:
        if not math.isfinite(value):
            return self.palette[0]
        return self.palette[min(max(int(value * LEVELS), 0), LEVELS - 1)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        for line in self.lines():
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)


@cache
def _palette(stops: tuple[RGB, ...]) -> list[Color]:
    """LEVELS colours evenly spread along the piecewise-linear ramp through `stops`."""
    colours = []
    for level in range(LEVELS):
        position = level / (LEVELS - 1) * (len(stops) - 1)
        i = min(int(position), len(stops) - 2)
        f = position - i
        rgb = (round(a + (b - a) * f) for a, b in zip(stops[i], stops[i + 1], strict=True))
        colours.append(Color.from_rgb(*rgb))
    return colours
