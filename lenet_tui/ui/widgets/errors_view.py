"""The Errors tab: where the network errs, as the test set's confusion matrix (issue 12).

The newest epoch's matrix comes with its EpochEnd event; the test images of a cell come from the
weights of that epoch (the Inspector the screen offers), predicted off the UI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from lenet_tui.engine.events import EpochEnd, Event, RunStarted
from lenet_tui.engine.inspection import Inspector
from lenet_tui.ui.messages import ModelPreview, TrainingEvent, WeightsSnapshot
from lenet_tui.ui.widgets.confusion_grid import ConfusionGrid, Matrix, matrix_problem
from lenet_tui.ui.widgets.confusion_images import ConfusionImages, Thumbnail

BEFORE = "The test set's confusion matrix appears here after the first epoch: where the net errs."
MOST_IMAGES = 60
"""Thumbnails listed for one cell at most (a bad epoch can have hundreds)."""
NARROW_WIDTH = 100


class ErrorsView(Vertical):
    """The newest epoch's confusion matrix; the screen passes on the training events and the
    newest weights (`offer_inspector`)."""

    @dataclass
    class Found(Message):
        """The test images of one cell, found off the UI thread."""

        true: int
        predicted: int
        thumbnails: tuple[Thumbnail, ...]
        total: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._inspector: Inspector | None = None
        self._epoch = 0
        """The epoch the shown matrix is of (0: none yet)."""

    def compose(self) -> ComposeResult:
        yield Static(BEFORE, id="errors-cell")
        yield ConfusionGrid(id="errors-grid")
        yield Static(id="errors-images-title")
        with VerticalScroll(id="errors-images-scroll", can_focus=False):
            yield ConfusionImages(id="errors-images")

    @property
    def grid(self) -> ConfusionGrid:
        return self.query_one(ConfusionGrid)

    @property
    def images(self) -> ConfusionImages:
        return self.query_one(ConfusionImages)

    def follow(self, message: TrainingEvent) -> None:
        """An event of the run training in this session (epoch ends carry the matrix; a new
        run, a grid's next one say, has none yet)."""
        event = message.event
        if isinstance(event, EpochEnd) and event.confusion:
            self.show_matrix(event.confusion, event.epoch)
        elif isinstance(event, RunStarted) and not event.start_epoch:
            self.show_matrix((), 0)

    def replay(self, history: Sequence[Event], upto: int) -> None:
        """A run begins: a resumed one's newest matrix up to its checkpoint, else none."""
        ends = [e for e in history if isinstance(e, EpochEnd) and e.confusion and e.epoch <= upto]
        self.show_matrix(ends[-1].confusion if ends else (), ends[-1].epoch if ends else 0)

    def offer_weights(self, message: WeightsSnapshot | ModelPreview) -> None:
        """New weights: a run's (its start's or an epoch's) are kept to find a cell's images,
        and their classes name the grid's; the form's model's are not of any matrix."""
        if isinstance(message, WeightsSnapshot):
            self._inspector = message.inspector
            self.grid.class_names = tuple(message.inspector.classes)

    def show_matrix(self, matrix: Matrix, epoch: int) -> None:
        """Show epoch `epoch`'s matrix (an empty one: none yet); a damaged one (a log's) is
        not drawn, and the line above the grid says what is wrong with it."""
        self._epoch = epoch
        self.images.thumbnails = ()
        self.query_one("#errors-images-title", Static).update("")
        problem = matrix_problem(matrix) if matrix else None
        self.grid.matrix = () if problem else matrix
        if problem:
            damaged = f"epoch {epoch}'s confusion matrix in the run's log is damaged ({problem})"
            self.query_one("#errors-cell", Static).update(Text(f"{damaged}; it is not drawn"))
        elif not matrix:
            self.query_one("#errors-cell", Static).update(BEFORE)

    def on_show(self) -> None:
        if self.screen.focused is None:  # shown by its key: the grid's keys work at once
            self.grid.focus()

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW_WIDTH
        self.grid.narrow = narrow
        self.images.factor = 3 if narrow else 2

    @on(ConfusionGrid.Moved)
    def describe_cell(self, message: ConfusionGrid.Moved) -> None:
        if self.grid.matrix:
            text = cell_text(self.grid.matrix, self._names(), message.true, message.predicted)
            self.query_one("#errors-cell", Static).update(f"epoch {self._epoch} · {text}")

    @on(ConfusionGrid.Chosen)
    def list_images(self, message: ConfusionGrid.Chosen) -> None:
        inspector = self._inspector
        if inspector is None or inspector.epoch != self._epoch:
            self.notify(f"the weights of epoch {self._epoch} are not in memory", severity="warning")
            return
        self.query_one("#errors-images-title", Static).update("finding the images…")
        self.find_images(inspector, message.true, message.predicted)

    @work(thread=True, exclusive=True, group="errors", exit_on_error=False)
    def find_images(self, inspector: Inspector, true: int, predicted: int) -> None:
        """Predict every test image (once per snapshot) and keep those of the cell."""
        hits = cell_indices(inspector, true, predicted)
        thumbnails = tuple(Thumbnail(i, inspector.inspect(i).image) for i in hits[:MOST_IMAGES])
        if not get_current_worker().is_cancelled:
            self.post_message(self.Found(true, predicted, thumbnails, len(hits)))

    @on(Found)
    def show_images(self, message: Found) -> None:
        names = self._names()
        what = f"{names[message.true]} predicted as {names[message.predicted]}"
        if message.true == message.predicted:
            what = f"{names[message.true]} recognised"
        title = self.query_one("#errors-images-title", Static)
        if not message.thumbnails:
            title.update(f"no {what}")
            return
        shown = f", the first {len(message.thumbnails)}" if message.total > MOST_IMAGES else ""
        title.update(f"{message.total} × {what}{shown} · enter opens one in F3")
        self.images.thumbnails = message.thumbnails
        self.images.focus()

    @on(ConfusionImages.Back)
    def back_to_grid(self) -> None:
        self.grid.focus()

    def _names(self) -> tuple[str, ...]:
        size, names = len(self.grid.matrix), self.grid.class_names
        return names if len(names) == size else tuple(str(i) for i in range(size))


def cell_text(matrix: Matrix, names: tuple[str, ...], true: int, predicted: int) -> str:
    """What a cell holds, in words: "87 Shirt predicted as T-shirt/top, 8.7% of the Shirt"."""
    count, total = matrix[true][predicted], sum(matrix[true])
    share = f"{count / total:.1%}" if total else "–"
    if true == predicted:
        return f"{count} {names[true]} right, {share} of the {names[true]}"
    return f"{count} {names[true]} predicted as {names[predicted]}, {share} of the {names[true]}"


def cell_indices(inspector: Inspector, true: int, predicted: int) -> list[int]:
    """The test images of class `true` the inspector's weights predict as `predicted`."""
    of_class, first = [], inspector.next_of_class(true, -1)
    index = first
    while index is not None and (not of_class or index != first):
        of_class.append(index)
        index = inspector.next_of_class(true, index)
    predictions = inspector.predictions().tolist()
    return [i for i in of_class if predictions[i] == predicted]
