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
DIVERGING: tuple[RGB, ...] = ((80, 160, 255), (40, 40, 40), (255, 110, 60))
"""Weights: blue negative, dark grey zero, orange-red positive (a dark middle, so the small
weights recede on a dark terminal and the strong ones of either sign stand out)."""
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


def value_range(grids: Sequence[Grid]) -> tuple[float, float]:
    """The lowest and highest finite value of all `grids`; (0, 0) if there is none."""
    finite = [v for grid in grids for row in grid for v in row if math.isfinite(v)]
    return (min(finite), max(finite)) if finite else (0.0, 0.0)


def symmetric_range(grids: Sequence[Grid]) -> tuple[float, float]:
    """(-m, m) with m the largest finite magnitude: zero stays the middle of a diverging ramp."""
    low, high = value_range(grids)
    m = max(-low, high)
    return (-m, m)


def normalise(grid: Grid, scale: tuple[float, float] | None = None) -> list[list[float]]:
    """Stretch a map to 0..1 so its pattern shows, over `scale` (low, high) if given, else over
    its own range; values outside the scale are clipped; a flat map becomes all 0."""
    low, high = scale or value_range((grid,))
    span = high - low
    if span < 1e-6:
        return [[0.0] * len(row) for row in grid]
    return [
        [min(max((v - low) / span, 0.0), 1.0) if math.isfinite(v) else 0.0 for v in row]
        for row in grid
    ]


class Heatmap:
    """A Rich renderable of one map: `width` cells wide and ceil(height / 2) lines tall."""

    def __init__(
        self,
        grid: Grid,
        colours: Sequence[RGB] = VIRIDIS,
        *,
        stretch: bool = True,
        scale: tuple[float, float] | None = None,
    ) -> None:
        """`scale` (low, high) is drawn from the first colour to the last; without it, the
        map's own range if `stretch`, else 0..1 as they are."""
        self.scale = scale or (value_range((grid,)) if stretch else (0.0, 1.0))
        self.grid = normalise(grid, self.scale)
        self._stops = tuple(colours)

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
                    Segment(UPPER_HALF, cell_style(self._stops, level_of(t), level_of(b)))
                    for t, b in zip(top, bottom or [None] * len(top), strict=True)
                ]
            )
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        for line in self.lines():
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)


def level_of(value: float | None) -> int | None:
    """Which of the LEVELS colours a 0..1 value gets (a non-finite one the first; None: none)."""
    if value is None:
        return None
    return min(max(int(value * LEVELS), 0), LEVELS - 1) if math.isfinite(value) else 0


@cache
def cell_style(stops: tuple[RGB, ...], top: int | None, bottom: int | None) -> Style:
    """One cell's style: made once per pair of levels, not once per cell of every redraw."""
    palette = _palette(stops)
    return Style(color=palette[top], bgcolor=None if bottom is None else palette[bottom])


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
