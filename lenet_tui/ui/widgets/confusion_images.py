"""The test images of one cell of the confusion matrix, as a row of thumbnails to pick from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
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


class Strip:
    """Rich renderable: thumbnails side by side, each over its test-set number, the picked one's
    number highlighted; as many as fit, in pages that keep the picked one in view."""

    def __init__(self, thumbnails: Sequence[Thumbnail], picked: int, factor: int) -> None:
        self.maps = [Heatmap(downsample(t.image, factor), GRAYSCALE, stretch=False)
                     for t in thumbnails]  # fmt: skip
        self.indices = [t.index for t in thumbnails]
        self.picked = picked
        self.cell = max((m.width for m in self.maps), default=0)

    def per_page(self, width: int) -> int:
        return max(1, (width + GAP) // (self.cell + GAP))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.maps:
            return
        per_page = self.per_page(options.max_width)
        first = self.picked // per_page * per_page
        shown = range(first, min(first + per_page, len(self.maps)))
        for i in shown:
            label = f"#{self.indices[i] + 1}"[: self.cell].ljust(self.cell + GAP)  # as F3 counts
            yield Segment(label, PICKED if i == self.picked else LABEL)
        yield Segment.line()
        for line in range(self.maps[0].height):
            for i in shown:
                yield from self.maps[i].lines()[line]
                yield Segment(" " * GAP)
            yield Segment.line()


class ConfusionImages(Widget, can_focus=True):
    """Thumbnails of one cell's test images; ← → pick one, Enter opens it in the Activations tab."""

    BINDINGS = [
        Binding("left", "pick(-1)", "Pick", show=False),
        Binding("right", "pick(1)", "Pick", key_display="← →"),
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
    """Pixels per cell side: 2 draws a 28x28 image in 14x7 cells, 4 in 7x4."""

    @dataclass
    class Opened(Message):
        """Show test image `index` in the Activations tab."""

        index: int

    class Back(Message):
        """Back to the grid."""

    def watch_thumbnails(self) -> None:
        self.picked = 0

    def action_pick(self, delta: int) -> None:
        if self.thumbnails:
            self.picked = (self.picked + delta) % len(self.thumbnails)

    def action_open(self) -> None:
        if self.thumbnails:
            self.post_message(self.Opened(self.thumbnails[self.picked].index))

    def action_back(self) -> None:
        self.post_message(self.Back())

    def render(self) -> Strip:
        return Strip(self.thumbnails, self.picked, self.factor)

    def get_content_height(self, container, viewport, width: int) -> int:
        if not self.thumbnails:
            return 0
        return 1 + (28 // self.factor + 1) // 2
