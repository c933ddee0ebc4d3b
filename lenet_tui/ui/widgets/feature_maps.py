"""A layer's feature maps as a wrapping grid of heatmaps, each numbered by its channel."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.widget import Widget

from lenet_tui.ui.widgets.heatmap import Grid, Heatmap, downsample

GAP = 1
LABEL_STYLE = Style(dim=True)


class MapTiles:
    """Rich renderable: heatmaps left to right, wrapping to the width it is given."""

    def __init__(self, maps: Sequence[Heatmap]) -> None:
        self.maps = maps

    def per_row(self, width: int) -> int:
        if not self.maps:
            return 1
        return max(1, (width + GAP) // (self.maps[0].width + GAP))

    def height(self, width: int) -> int:
        if not self.maps:
            return 0
        rows = -(-len(self.maps) // self.per_row(width))
        return rows * (1 + self.maps[0].height)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.maps:
            return
        per_row = self.per_row(options.max_width)
        cell = self.maps[0].width
        for start in range(0, len(self.maps), per_row):
            row = self.maps[start : start + per_row]
            labels = "".join(f"{start + i + 1:<{cell + GAP}}" for i in range(len(row)))
            yield Segment(labels.rstrip(), LABEL_STYLE)
            yield Segment.line()
            for lines in zip(*(m.lines() for m in row), strict=True):
                for i, line in enumerate(lines):
                    if i:
                        yield Segment(" " * GAP)
                    yield from line
                yield Segment.line()


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

    def show(self, maps: Sequence[Grid]) -> None:
        self._tiles = MapTiles([Heatmap(downsample(m, self.factor)) for m in maps])
        self.refresh(layout=True)

    def render(self) -> MapTiles:
        return self._tiles

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._tiles.height(width)
