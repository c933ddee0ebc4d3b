"""The Train tab's lower panel: the layer table (with each layer's latest health) or, on ctrl+t,
the layer-health sparklines over the run."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical

from lenet_tui.engine.events import LayerInfo, TrainProgress
from lenet_tui.ui.widgets.layer_health import LayerHealthView, health_columns
from lenet_tui.ui.widgets.layer_table import LayerTable


class HealthPanel(Vertical):
    """Reports are recorded as they arrive (`note`) and drawn on the Train view's tick
    (`draw_new`), like the plot's points."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._latest: TrainProgress | None = None

    def compose(self) -> ComposeResult:
        yield LayerTable(id="layers")
        yield LayerHealthView(id="health")

    def on_mount(self) -> None:
        self.query_one(LayerHealthView).display = False

    @property
    def sparklines_shown(self) -> bool:
        return bool(self.query_one(LayerHealthView).display)

    def show_layers(self, layers: Sequence[LayerInfo], new_run: bool = False) -> None:
        """A model's layers; for a new run, the health of the last one is forgotten."""
        self.query_one(LayerTable).show_layers(layers)
        health = self.query_one(LayerHealthView)
        if layers and layers[-1].output_shape:
            health.outputs = layers[-1].output_shape[-1]
        if new_run:
            self._latest = None
            health.reset(waiting=True)

    def wait_for_run(self) -> None:
        """A run is starting: the sparklines wait for its first report."""
        self._latest = None
        self.query_one(LayerHealthView).reset(waiting=True)

    def run_ended(self) -> None:
        self.query_one(LayerHealthView).run_ended()

    def note(self, progress: TrainProgress) -> None:
        self.query_one(LayerHealthView).note(progress)
        if progress.layers or progress.activations:
            self._latest = progress

    def draw_new(self) -> None:
        """Draw what arrived since the last call: the table's columns, the sparklines."""
        if self._latest is not None:
            latest, self._latest = self._latest, None
            self.query_one(LayerTable).show_health(
                health_columns(latest.layers, latest.activations)
            )
        self.query_one(LayerHealthView).draw_new()

    def toggle(self) -> None:
        """Switch between the layer table and the sparklines."""
        health = self.query_one(LayerHealthView)
        health.display = not health.display
        self.query_one(LayerTable).display = not health.display
        health.draw_new()  # what came while it was hidden
        if self.parent is not None:  # the Train view's layout gives them room at 80x24
            self.parent.set_class(bool(health.display), "-sparklines")
        self.focus_shown()

    def focus_shown(self) -> None:
        """Focus what is shown, so that the Train tab's keys keep working."""
        shown = LayerHealthView if self.sparklines_shown else LayerTable
        self.query_one(shown).focus()
