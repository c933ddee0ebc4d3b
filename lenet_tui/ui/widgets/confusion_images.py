"""The test images of one cell of the confusion matrix, as a grid of thumbnails to pick from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from lenet_tui.ui.widgets.heatmap import GRAYSCALE, Grid, Heatmap, downsample

GAP = 1
PICKED = Style(reverse=True, bold=True)
LABEL = Style(dim=True)


@dataclass(frozen=True)
class Thumbnail:
    """A test image by its position in the test set."""

    index: int
    image: Grid
    """28x28, 0 (black) to 1 (white)."""


class ThumbnailGrid:
    """Rich renderable: thumbnails in rows as wide as the space given, each over its test-set
    number, the picked one's number highlighted."""

    def __init__(self, thumbnails: Sequence[Thumbnail], picked: int, factor: int) -> None:
        self.maps = [Heatmap(downsample(t.image, factor), GRAYSCALE, stretch=False)
                     for t in thumbnails]  # fmt: skip
        self.indices = [t.index for t in thumbnails]
        self.picked = picked
        self.cell = max((m.width for m in self.maps), default=0)
        self.row_height = 1 + max((m.height for m in self.maps), default=0)
        """Lines per row of thumbnails: the numbers' line, then the images."""
        self.pitch = self.row_height + 1
        """From one row to the next: a blank line apart, so a number is seen to go with the
        images under it."""

    def per_row(self, width: int) -> int:
        return max(1, (width + GAP) // (self.cell + GAP))

    def height(self, width: int) -> int:
        """Lines the whole grid takes at this width."""
        rows = -(-len(self.maps) // self.per_row(width))
        return max(0, rows * self.pitch - 1)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        per_row = self.per_row(options.max_width)
        for first in range(0, len(self.maps), per_row):
            if first:
                yield Segment.line()
            shown = range(first, min(first + per_row, len(self.maps)))
            for i in shown:
                label = f"#{self.indices[i] + 1}"[: self.cell].ljust(self.cell + GAP)  # as F3
                yield Segment(label, PICKED if i == self.picked else LABEL)
            yield Segment.line()
            for line in range(self.row_height - 1):
                for i in shown:
                    yield from self.maps[i].lines()[line]
                    yield Segment(" " * GAP)
                yield Segment.line()


class ConfusionImages(Widget, can_focus=True):
    """Thumbnails of one cell's test images, as many rows as they need (the Errors tab scrolls
    them); the arrows pick one, Enter opens it in the Activations tab."""

    BINDINGS = [
        Binding("left", "pick(-1, 0)", "Pick", show=False),
        Binding("right", "pick(1, 0)", "Pick", key_display="↑↓←→"),
        Binding("up", "pick(0, -1)", "Pick", show=False),
        Binding("down", "pick(0, 1)", "Pick", show=False),
        Binding("enter", "open", "Open"),
        Binding("escape", "back", "Back"),
    ]

    DEFAULT_CSS = """
    ConfusionImages {
        height: auto;
    }
    """

    thumbnails: reactive[tuple[Thumbnail, ...]] = reactive((), layout=True)
    picked: reactive[int] = reactive(0)
    factor: reactive[int] = reactive(2, layout=True)
    """Pixels per cell side: 2 draws a 28x28 image in 14x7 cells, 3 in 10x5."""

    @dataclass
    class Opened(Message):
        """Show test image `index` in the Activations tab."""

        index: int

    class Back(Message):
        """Back to the grid."""

    def watch_thumbnails(self) -> None:
        self.picked = 0
        self.call_after_refresh(self.show_picked)

    def watch_picked(self) -> None:
        self.show_picked()

    def on_resize(self) -> None:  # the rows are wider or narrower: the picked one moved
        self.call_after_refresh(self.show_picked)

    def show_picked(self) -> None:
        """Scroll the picked thumbnail's row into view (the tab scrolls, not this widget)."""
        grid, width = self.render(), self.content_region.width
        if not self.thumbnails or not width or self.parent is None:
            return
        row = self.picked // grid.per_row(width)
        top = self.virtual_region.y + row * grid.pitch
        region = Region(0, top, width, grid.row_height)
        self.parent.scroll_to_region(region, animate=False, immediate=True)  # type: ignore[union-attr]

    def action_pick(self, across: int, down: int) -> None:
        """The next or previous thumbnail, or the one a row below or above (if there is one)."""
        if not self.thumbnails:
            return
        if across:
            self.picked = (self.picked + across) % len(self.thumbnails)
            return
        per_row = self.render().per_row(self.content_region.width)
        row, last_row = self.picked // per_row, (len(self.thumbnails) - 1) // per_row
        if 0 <= row + down <= last_row:  # a shorter last row: its last thumbnail
            self.picked = min(self.picked + down * per_row, len(self.thumbnails) - 1)

    def action_open(self) -> None:
        if self.thumbnails:
            self.post_message(self.Opened(self.thumbnails[self.picked].index))

    def action_back(self) -> None:
        self.post_message(self.Back())

    def render(self) -> ThumbnailGrid:
        return ThumbnailGrid(self.thumbnails, self.picked, self.factor)

    def get_content_height(self, container, viewport, width: int) -> int:
        return self.render().height(width) if self.thumbnails else 0
