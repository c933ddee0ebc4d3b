"""The book's shape printout: every layer, its output shape and parameters, then the total; during
a run, each layer's health at the latest report beside it (issue 12)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text

from lenet_tui.engine.events import LayerInfo
from lenet_tui.ui.widgets.literal_table import LiteralTable

HEALTH_COLUMNS = (("‖w‖", "w"), ("‖∇‖", "grad"), ("Δ/w", "ratio"), ("mean", "mean"),
                  ("sat/dead", "share"))  # fmt: skip
"""Header and key of each health column: weight norm, gradient norm, update over weights, the
activation's mean and its saturated or dead share."""


class LayerTable(LiteralTable):
    """Rows follow the model options; shapes are for one 1x28x28 image.

    The health columns appear with the first report that has them; the shapes are then written
    without the batch of one ("6×28×28"), so that all of it fits beside the status panel.
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self._layers: tuple[LayerInfo, ...] = ()
        self._health = False
        self._add_columns()

    def _add_columns(self) -> None:
        self.add_column("layer", key="layer")
        self.add_column("shape" if self._health else "output shape", key="shape")
        self.add_column(Text("params" if self._health else "parameters", justify="right"),
                        key="parameters")  # fmt: skip
        if self._health:
            for header, key in HEALTH_COLUMNS:
                self.add_column(Text(header, justify="right"), key=key)

    def show_layers(self, layers: Sequence[LayerInfo], health: bool = False) -> None:
        """The layers of a model; `health`: with (empty) health columns."""
        self._layers, same = tuple(layers), health == self._health
        self._health = health
        self.clear(columns=not same)
        if not same:
            self._add_columns()
        blank = ("",) * len(HEALTH_COLUMNS) if health else ()
        for index, layer in enumerate(layers):
            shape = layer.output_shape[1:] if health else layer.output_shape
            self.add_row(
                layer.name,
                ("×" if health else " × ").join(map(str, shape)),
                Text(f"{layer.parameters:,}", justify="right"),
                *(Text(cell, justify="right") for cell in blank),
                key=str(index),
            )
        total = sum(layer.parameters for layer in layers)
        self.add_row(
            Text("total", style="bold"),
            "",
            Text(f"{total:,}", style="bold", justify="right"),
            *blank,
        )

    def show_health(self, cells: Mapping[int, Sequence[str]]) -> None:
        """The latest report's figures, by row (a layer's position in the network)."""
        if not cells:
            return
        if not self._health:
            self.show_layers(self._layers, health=True)
        for index, row in cells.items():
            if index >= len(self._layers):
                continue  # a report of another model than the one shown
            for (_, key), cell in zip(HEALTH_COLUMNS, row, strict=True):
                self.update_cell(str(index), key, Text(cell, justify="right"))
