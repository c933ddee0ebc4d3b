"""Pick a test image with the keyboard; see the prediction and every conv block's feature maps."""

from __future__ import annotations

import random
from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
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
from lenet_tui.ui.widgets.heatmap import GRAYSCALE, Grid, Heatmap, downsample

MAX_CONV_BLOCKS = 3
"""The most conv blocks ModelConfig allows: one row of feature maps each."""


class ActivationViewer(Horizontal, can_focus=True):
    """Shows `inspection`; the screen offers it fresh weights with `offer_weights`."""

    # The keys are fixed; what they are called follows the dataset (the inspector's classes).
    BINDINGS = [
        Binding("right,n", "step(1)", "Browse", key_display="← →"),
        Binding("left,p", "step(-1)", "Previous", show=False),
        Binding("0", "by_class(0)", "Class", key_display="0-9"),
        *(Binding(str(c), f"by_class({c})", CLASS_NAMES[c], show=False) for c in range(1, 10)),
        Binding("r", "random", "Random"),
        Binding("m", "misclassified", "Mistake"),
        Binding("pagedown", "scroll_maps(1)", "Scroll", show=False),
        Binding("pageup", "scroll_maps(-1)", "Scroll", show=False),
    ]

    inspection: reactive[Inspection | None] = reactive(None)

    @dataclass
    class Inspected(Message):
        """A selection was computed off the UI thread."""

        inspection: Inspection

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

    def compose(self) -> ComposeResult:
        with Vertical(id="viewer-side"):
            yield Static("loading the test images…", id="viewer-caption")
            yield Static(id="viewer-image")
            yield Static(id="viewer-image-small")
            yield Static(id="viewer-prediction")
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
        maps = self.query_one("#viewer-maps", VerticalScroll)
        maps.scroll_page_down() if pages > 0 else maps.scroll_page_up()

    def _ready(self) -> bool:
        if self._inspector is None:
            self.notify("the test images are still loading", severity="warning")
        return self._inspector is not None

    def _show(self, index: int) -> None:
        """Choose `index` now (so quick key presses add up) and draw it when it is computed."""
        self._target = index
        if self._inspector is not None:
            self._inspect(self._inspector, index)

    @work(thread=True, exclusive=True, group="inspect", exit_on_error=False)
    def _inspect(self, inspector: Inspector, index: int) -> None:
        result = inspector.inspect(index)
        if not get_current_worker().is_cancelled:  # else a newer choice supersedes this one
            self.post_message(self.Inspected(result))

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
        self.inspection = message.inspection

    @on(NothingFound)
    def say_nothing_found(self, message: NothingFound) -> None:
        self.notify(message.note, severity="warning")

    def watch_inspection(self, inspection: Inspection | None) -> None:
        if inspection is None:
            return
        self._show_image(inspection)
        self.query_one("#viewer-prediction", Static).update(
            _prediction(inspection, self._class_names)
        )
        self._show_maps(inspection.convs)

    def _show_image(self, inspection: Inspection) -> None:
        """The caption (which image, its class, which weights) and the image at two sizes."""
        weights = f"after epoch {inspection.epoch}" if inspection.epoch else "initial (untrained)"
        self.query_one("#viewer-caption", Static).update(
            Text.assemble(
                (f"test image {inspection.index + 1:,}", "bold"),
                f" of {self._inspector.size if self._inspector else 0:,}\n",
                ("true class ", "dim"),
                (self._class_names[inspection.label], "bold"),
                ("\nweights ", "dim"),
                weights,
            )
        )
        image = inspection.image
        self.query_one("#viewer-image", Static).update(Heatmap(image, GRAYSCALE, stretch=False))
        small = Heatmap(downsample(image, 2), GRAYSCALE, stretch=False)
        self.query_one("#viewer-image-small", Static).update(small)

    def _show_maps(self, convs: tuple[tuple[Grid, ...], ...]) -> None:
        """A titled row of feature maps per conv block; the rows of absent blocks hidden."""
        for block in range(MAX_CONV_BLOCKS):
            name = f"conv{block + 1}"
            title = self.query_one(f"#{name}-title", Static)
            maps = self.query_one(f"#{name}-maps", FeatureMaps)
            grids = convs[block] if block < len(convs) else ()
            title.display = maps.display = bool(grids)
            if grids:
                title.update(_maps_title(name, grids, shown_factor=maps.factor))
            maps.show(grids)


def _prediction(inspection: Inspection, classes: tuple[str, ...]) -> Group:
    if not inspection.finite:
        return Group(Text("these weights give NaN or inf: the run diverged", style="bold red"))
    right = inspection.predicted == inspection.label
    verdict = Text.assemble(
        ("predicted ", "dim"),
        (classes[inspection.predicted], "bold green" if right else "bold red"),
        ("  ✓" if right else "  ✗", "green" if right else "red"),
    )
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, width=11)
    table.add_column(justify="right", width=4)
    table.add_column()
    for label, p in inspection.top3:
        table.add_row(classes[label], f"{p:.0%}", Text("█" * round(p * 10), style="cyan"))
    return Group(verdict, table)


def _maps_title(name: str, maps: tuple[Grid, ...], shown_factor: int) -> Text:
    h, w = len(maps[0]), len(maps[0][0])
    # downsample keeps a trailing partial block: 29x29 at factor 2 is drawn 15x15
    drawn_w, drawn_h = -(-w // shown_factor), -(-h // shown_factor)
    shown = f", drawn {drawn_w}×{drawn_h}" if shown_factor > 1 else ""
    return Text.assemble(
        (name, "bold"),
        f" · {len(maps)} feature maps of {w}×{h}{shown}",
        ("  dark = low, yellow = high (each map scaled to its own range)", "dim"),
    )


def _class_keys(classes: tuple[str, ...]) -> Text:
    """The key of each class beside its name; the digits, which name themselves, as one line."""
    keys = Text("keys: ← → n p, r random, m mistake\n", style="dim")
    if classes == tuple(str(c) for c in range(len(classes))):
        keys.append(f"0-{len(classes) - 1}", style="bold")
        return keys.append(" the next image of that digit")
    for c, name in enumerate(classes):
        keys.append(f"{c}", style="bold")
        keys.append(f" {name}\n" if c % 2 else f" {name:<12}")
    return keys
