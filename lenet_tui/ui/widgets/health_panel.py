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

    @property
    def has_health(self) -> bool:
        """Whether a report of this run had layer health (old runs' logs have none)."""
        return self.query_one(LayerHealthView).reports > 0

    def show_layers(self, layers: Sequence[LayerInfo], new_run: bool = False) -> None:
        """A model's layers; for a new run, the health of the last one is forgotten."""
        self.query_one(LayerTable).show_layers(layers)
        if new_run:
            self._latest = None
            self.query_one(LayerHealthView).reset()

    def note(self, progress: TrainProgress) -> None:
        if progress.layers or progress.activations:
            first = not self.has_health
            self._latest = progress
            self.query_one(LayerHealthView).note(progress)
            if first:  # ctrl+t can show them now
                self.screen.refresh_bindings()

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
