"""Pick a test image with the keyboard; see the prediction, each conv block's kernels and feature
maps, or the whole forward pass; pin an image to compare another with it on a shared scale."""

from __future__ import annotations

import random
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static
from textual.worker import get_current_worker

from lenet_tui.engine.config import ModelConfig
from lenet_tui.engine.data import CLASS_NAMES
from lenet_tui.engine.inspection import Inspection, Inspector
from lenet_tui.ui.widgets.feature_maps import FeatureMaps
from lenet_tui.ui.widgets.forward_pass import forward_pass
from lenet_tui.ui.widgets.heatmap import GRAYSCALE, Heatmap, downsample
from lenet_tui.ui.widgets.image_panel import caption, comparison, prediction

MAX_CONV_BLOCKS = 3
"""The most conv blocks ModelConfig allows: one row of feature maps each."""
KEYS = Text("← → n p browse, r random\nm mistake ␣ pin f forward", style="dim")
"""The viewer's keys that the footer has no room for (shown at every size)."""


class ActivationViewer(Horizontal, can_focus=True):
    """Shows `inspection`; the screen offers it fresh weights with `offer_weights`."""

    # The keys are fixed; what they are called follows the dataset (the inspector's classes).
    BINDINGS = [
        Binding("right,n", "step(1)", "Browse", key_display="← →"),
        Binding("left,p", "step(-1)", "Previous", show=False),
        # The footer must fit 80 columns beside the screen's keys: the rest are in the keys line.
        Binding("space", "pin", "Pin", key_display="␣"),
        Binding("f", "toggle_forward", "Forward", show=False),
        Binding("0", "by_class(0)", "Class", key_display="0-9", show=False),
        *(Binding(str(c), f"by_class({c})", CLASS_NAMES[c], show=False) for c in range(1, 10)),
        Binding("r", "random", "Random", show=False),
        Binding("m", "misclassified", "Mistake", show=False),
        Binding("pagedown", "scroll_maps(1)", "Scroll", show=False),
        Binding("pageup", "scroll_maps(-1)", "Scroll", show=False),
    ]

    inspection: reactive[Inspection | None] = reactive(None, always_update=True)
    forward: reactive[bool] = reactive(False)
    """Show the forward pass, layer by layer, instead of the kernels and feature maps."""

    @dataclass
    class Inspected(Message):
        """A selection (and the pinned image, through the same weights) computed off the UI
        thread."""

        inspection: Inspection
        pinned: Inspection | None = None

    @dataclass
    class Found(Message):
        """A search off the UI thread picked this test image."""

        index: int

    @dataclass
    class NothingFound(Message):
        """The selection asked for does not exist (no such class, no mistakes)."""

        note: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._inspector: Inspector | None = None
        self._rng = random.Random(0)
        self._target = 0
        """The test image chosen last; drawn once its inspection arrives."""
        self._class_names = CLASS_NAMES
        """The label names of the weights' dataset; Fashion-MNIST's until an inspector comes."""
        self._unseen: Inspector | None = None
        """The newest weights, while the tab is hidden."""
        self._pin: int | None = None
        """The test image pinned for comparison, if any."""
        self.pinned: Inspection | None = None
        """The pinned image through the shown weights; drawn beside `inspection`."""

    def compose(self) -> ComposeResult:
        with Vertical(id="viewer-side"):
            yield Static("loading the test images…", id="viewer-caption")
            yield Static(id="viewer-image")
            yield Static(id="viewer-image-small")
            yield Static(id="viewer-prediction")
            yield Static(KEYS, id="viewer-hints")
            yield Static(_class_keys(self._class_names), id="viewer-keys")
        with VerticalScroll(id="viewer-maps", can_focus=False):
            for block in range(MAX_CONV_BLOCKS):
                # conv1's maps are 28x28 (29x29 for an even kernel): drawn at half size.
                title = Static(id=f"conv{block + 1}-title", classes="maps-title")
                maps = FeatureMaps(factor=2 if block == 0 else 1, id=f"conv{block + 1}-maps")
                # Until an image is inspected, as many (empty) rows as the default network has.
                title.display = maps.display = block < len(ModelConfig().channels)
                yield title
                yield maps
        with VerticalScroll(id="viewer-forward", can_focus=False):
            yield Static(id="forward-pass")

    def offer_weights(self, inspector: Inspector, *, shown: bool) -> None:
        """New weights: drawn now if the tab is `shown`, else kept for `draw_unseen`."""
        self._unseen = None if shown else inspector
        if shown:
            self.show_weights(inspector)

    def draw_unseen(self) -> None:
        """The tab is shown: draw the weights offered while it was hidden, if any."""
        if self._unseen is not None:
            inspector, self._unseen = self._unseen, None
            self.show_weights(inspector)

    def show_image(self, index: int) -> None:
        """Show test image `index` (another tab picked it, e.g. a mistake in the Errors tab)."""
        self._show(index)

    def show_weights(self, inspector: Inspector) -> None:
        """Redraw the chosen image through new weights (a new epoch, new model options)."""
        self._inspector = inspector
        if self._pin is not None and (
            self._pin >= inspector.size or inspector.classes != self._class_names
        ):
            self._pin = self.pinned = None  # another test set: the pinned image is not in it
        if inspector.classes != self._class_names:
            self._class_names = inspector.classes
            self.query_one("#viewer-keys", Static).update(_class_keys(self._class_names))
        self._show(self._target)

    def action_step(self, delta: int) -> None:
        if self._ready():
            self._show((self._target + delta) % self._inspector.size)

    def action_by_class(self, label: int) -> None:
        if self._ready():
            index = self._inspector.next_of_class(label, self._target)
            if index is None:
                self.notify(f"no {self._class_names[label]} in the test set", severity="warning")
            else:
                self._show(index)

    def action_random(self) -> None:
        if self._ready():
            self._show(self._inspector.random_index(self._rng))

    def action_misclassified(self) -> None:
        if self._ready():
            self._find_mistake(self._inspector, self._target)

    def action_scroll_maps(self, pages: int) -> None:
        pane = self.query_one("#viewer-forward" if self.forward else "#viewer-maps", VerticalScroll)
        pane.scroll_page_down() if pages > 0 else pane.scroll_page_up()

    def action_pin(self) -> None:
        """Pin the shown image (another picked is then drawn beside it), or unpin."""
        if self.inspection is None:
            self.notify("no image to pin yet", severity="warning")
            return
        if self._pin is None:
            self._pin, self.pinned = self.inspection.index, self.inspection
        else:
            self._pin = self.pinned = None
        self.inspection = self.inspection  # redraw, now with (or without) the pinned image

    def action_toggle_forward(self) -> None:
        self.forward = not self.forward

    def _ready(self) -> bool:
        if self._inspector is None:
            self.notify("the test images are still loading", severity="warning")
        return self._inspector is not None

    def _show(self, index: int) -> None:
        """Choose `index` now (so quick key presses add up) and draw it when it is computed."""
        self._target = index
        if self._inspector is not None:
            self._inspect(self._inspector, index, self._pin)

    @work(thread=True, exclusive=True, group="inspect", exit_on_error=False)
    def _inspect(self, inspector: Inspector, index: int, pinned: int | None) -> None:
        result = inspector.inspect(index)
        other = None if pinned is None else inspector.inspect(pinned)
        if not get_current_worker().is_cancelled:  # else a newer choice supersedes this one
            self.post_message(self.Inspected(result, other))

    @work(thread=True, exclusive=True, group="find", exit_on_error=False)
    def _find_mistake(self, inspector: Inspector, after: int) -> None:
        """Predicting all test images takes a moment on a CPU: off the UI thread."""
        index = inspector.next_misclassified(after)
        if get_current_worker().is_cancelled:
            return
        if index is None:
            self.post_message(self.NothingFound("these weights classify every test image right"))
        else:
            self.post_message(self.Found(index))

    @on(Found)
    def show_found(self, message: Found) -> None:
        self._show(message.index)

    @on(Inspected)
    def store_inspection(self, message: Inspected) -> None:
        if self._pin is None:
            self.pinned = None
        elif message.pinned is not None and message.pinned.index == self._pin:
            self.pinned = message.pinned  # else pinned after this was asked: keep what was pinned
        self.inspection = message.inspection

    @on(NothingFound)
    def say_nothing_found(self, message: NothingFound) -> None:
        self.notify(message.note, severity="warning")

    def watch_inspection(self, inspection: Inspection | None) -> None:
        if inspection is None:
            return
        self.set_class(self.pinned is not None, "-comparing")
        self._show_side(inspection)
        self._show_pane()

    def watch_forward(self, forward: bool) -> None:
        self.query_one("#viewer-maps").display = not forward
        self.query_one("#viewer-forward").display = forward
        self._show_pane()

    def _show_pane(self) -> None:
        """Draw the pane in view (the other is drawn when it comes into view)."""
        if self.inspection is None:
            return
        if self.forward:
            view = forward_pass(self.inspection, self._class_names)
            self.query_one("#forward-pass", Static).update(view)
        else:
            self._show_maps(self.inspection, self.pinned)

    def _show_side(self, inspection: Inspection) -> None:
        """The caption, then the image at two sizes and its prediction, or both images'."""
        size = self._inspector.size if self._inspector else 0
        self.query_one("#viewer-caption", Static).update(
            caption(inspection, size, self._class_names, self.pinned)
        )
        shown = self.query_one("#viewer-prediction", Static)
        if self.pinned is not None:
            shown.update(comparison(self.pinned, inspection, self._class_names))
            return
        shown.update(prediction(inspection, self._class_names))
        image = inspection.image
        self.query_one("#viewer-image", Static).update(Heatmap(image, GRAYSCALE, stretch=False))
        small = Heatmap(downsample(image, 2), GRAYSCALE, stretch=False)
        self.query_one("#viewer-image-small", Static).update(small)

    def _show_maps(self, shown: Inspection, pinned: Inspection | None) -> None:
        """A titled row of kernels and feature maps per conv block; absent blocks' rows hidden."""
        for block in range(MAX_CONV_BLOCKS):
            name = f"conv{block + 1}"
            title = self.query_one(f"#{name}-title", Static)
            maps = self.query_one(f"#{name}-maps", FeatureMaps)
            title.display = maps.display = block < len(shown.convs)
            title.update(maps.show_block(block, shown, pinned))


def _class_keys(classes: tuple[str, ...]) -> Text:
    """The key of each class beside its name; the digits, which name themselves, as one line."""
    keys = Text()
    if classes == tuple(str(c) for c in range(len(classes))):
        keys.append(f"0-{len(classes) - 1}", style="bold")
        return keys.append(" the next image of that digit")
    for c, name in enumerate(classes):
        keys.append(f"{c}", style="bold")
        keys.append(f" {name}\n" if c % 2 else f" {name:<12}")
    return keys
