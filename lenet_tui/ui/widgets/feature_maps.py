"""A layer's feature maps as a wrapping grid of heatmaps, each numbered by its channel.

A column may stack several heatmaps of one channel: its kernel above it, and the same map of a
pinned image above that of the shown one, so map k of both images sits in one column.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from lenet_tui.engine.inspection import Inspection
from lenet_tui.ui.widgets.heatmap import (
    DIVERGING,
    Grid,
    Heatmap,
    downsample,
    symmetric_range,
    value_range,
)

GAP = 1
LABEL_STYLE = Style(dim=True)


class MapTiles:
    """Rich renderable: columns of stacked heatmaps left to right, wrapping to the width given.

    Every column stacks the same kinds in the same order (e.g. kernel, pinned map, shown map).
    """

    def __init__(
        self,
        columns: Sequence[Sequence[Heatmap]],
        *,
        numbered: bool = True,
        gap: int = GAP,
        apart: Sequence[int] = (),
    ) -> None:
        """`apart`: the levels of the stack with a blank line above them (the second image's
        maps, which would otherwise run on from the first's)."""
        self.columns = [c for c in columns if c]
        self.numbered = numbered
        self.gap = gap
        self.apart = tuple(apart)
        self.cell = max((m.width for c in self.columns for m in c), default=0)

    def per_row(self, width: int) -> int:
        if not self.columns:
            return 1
        return max(1, (width + self.gap) // (self.cell + self.gap))

    def height(self, width: int) -> int:
        if not self.columns:
            return 0
        rows = -(-len(self.columns) // self.per_row(width))
        return rows * (self.numbered + len(self.apart) + sum(m.height for m in self.columns[0]))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        per_row = self.per_row(options.max_width)
        for start in range(0, len(self.columns), per_row):
            row = self.columns[start : start + per_row]
            if self.numbered:
                labels = "".join(
                    f"{start + i + 1:<{self.cell + self.gap}}" for i in range(len(row))
                )
                yield Segment(labels.rstrip(), LABEL_STYLE)
                yield Segment.line()
            for level in range(len(row[0])):
                if level in self.apart:
                    yield Segment.line()
                yield from self._level_lines([column[level] for column in row])

    def _level_lines(self, maps: list[Heatmap]) -> RenderResult:
        """One kind of the stack (e.g. every kernel of the row), side by side."""
        for lines in zip(*(m.lines() for m in maps), strict=True):
            for i, line in enumerate(lines):
                if i:
                    yield Segment(" " * self.gap)
                yield from line
                if maps[i].width < self.cell and i < len(lines) - 1:
                    yield Segment(" " * (self.cell - maps[i].width))
            yield Segment.line()


def shared_scales(images: Sequence[Sequence[Grid]]) -> list[tuple[float, float]]:
    """For each channel k, the (min, max) of map k over all `images`: one colour scale per map,
    so the brighter of two images' map k is the stronger."""
    return [value_range(maps) for maps in zip(*images, strict=True)]


class FeatureMaps(Widget):
    """The feature maps of one conv layer; `factor` shrinks big maps to fit (2: 28x28 -> 14x14)."""

    DEFAULT_CSS = """
    FeatureMaps {
        height: auto;
    }
    """

    def __init__(self, factor: int = 1, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.factor = factor
        self._tiles = MapTiles(())
        self.scales: list[tuple[float, float]] = []
        """The (low, high) each map is drawn over: its own, or shared by the images shown."""
        self.kernels: tuple[Grid, ...] = ()
        """The kernels drawn above the maps, one per channel (none: not drawn)."""
        self.kernel_scale = (0.0, 0.0)
        """The (-m, m) all the layer's kernels are drawn over (m: the largest |weight|)."""

    def show(self, images: Sequence[Sequence[Grid]], kernels: Sequence[Grid] = ()) -> None:
        """Map k of each of `images` in column k, under kernel k if `kernels` are given."""
        self.scales = shared_scales(images) if images else []
        self.kernels = tuple(kernels)
        self.kernel_scale = symmetric_range(kernels)
        columns = []
        for k, scale in enumerate(self.scales):
            stack = [Heatmap(kernels[k], DIVERGING, scale=self.kernel_scale)] if kernels else []
            stack += [Heatmap(downsample(maps[k], self.factor), scale=scale) for maps in images]
            columns.append(stack)
        first_image = 1 if kernels else 0
        self._tiles = MapTiles(columns, apart=range(first_image + 1, first_image + len(images)))
        self.refresh(layout=True)

    def show_block(self, block: int, shown: Inspection, pinned: Inspection | None) -> Text:
        """Draw conv block `block` of `shown` (and of `pinned` in the same columns, on a shared
        scale) under its kernels; returns the row's title (empty if the net lacks the block)."""
        if block >= len(shown.convs):
            self.show(())
            return Text()
        images = (shown,) if pinned is None else (pinned, shown)
        kernels = shown.kernels[block] if block < len(shown.kernels) else ()
        self.show([i.convs[block] for i in images], kernels)
        inputs = len(shown.convs[block - 1]) if block else 1
        return self._title(f"conv{block + 1}", shown.convs[block], inputs, len(images))

    def _title(self, name: str, maps: Sequence[Grid], inputs: int, images: int) -> Text:
        h, w = len(maps[0]), len(maps[0][0])
        # downsample keeps a trailing partial block: 29x29 at factor 2 is drawn 15x15
        f = self.factor
        drawn = f", drawn {-(-w // f)}×{-(-h // f)}" if f > 1 else ""
        kernel = "its kernel" if inputs == 1 else f"its kernel (mean of {inputs} inputs)"
        stack = f"{kernel}, pinned, this" if images > 1 else f"{kernel} above each"
        scale = "shared scale per map" if images > 1 else "each map scaled to its own range"
        m = self.kernel_scale[1]
        return Text.assemble(
            (name, "bold"),
            f" · {len(maps)} feature maps of {w}×{h}{drawn} · {stack}",
            (
                f"  kernels: blue -, orange + (±{m:.2g}); maps: dark low, yellow high, {scale}",
                "dim",
            ),
        )

    def render(self) -> MapTiles:
        return self._tiles

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._tiles.height(width)
