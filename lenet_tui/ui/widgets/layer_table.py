"""The book's shape printout: every layer, its output shape and parameters, then the total; during
a run, each layer's health at the latest report beside it (issue 12)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.events import Resize

from lenet_tui.engine.events import LayerInfo
from lenet_tui.ui.widgets.literal_table import LiteralTable

HEALTH_COLUMNS = (("‖w‖", "w"), ("‖∇‖", "grad"), ("Δ/w", "ratio"), ("mean", "mean"),
                  ("sat/dead", "share"))  # fmt: skip
"""Header and key of each health column: weight norm, gradient norm, update over weights, the
activation's mean and its saturated or dead share."""
NARROW_HEALTH = ("grad", "ratio", "share")
"""The health columns a narrow table keeps (the shapes and parameters give way to them): those
the layer-health reading speaks of."""
FULL_WIDTH = 70
"""Cells a table needs for the shapes, the parameters and every health column side by side."""


class LayerTable(LiteralTable):
    """Rows follow the model options; shapes are for one 1x28x28 image.

    The health columns appear with the first report that has them; the shapes are then written
    without the batch of one ("6×28×28"), so that all of it fits beside the status panel. Where
    even that does not fit (80 columns), the table shows the layers and three health columns.
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self._layers: tuple[LayerInfo, ...] = ()
        self._health = False
        self._narrow = False
        self._cells: Mapping[int, Sequence[str]] = {}
        self._add_columns()

    @property
    def _keys(self) -> tuple[str, ...]:
        """The health columns shown."""
        if not self._health:
            return ()
        return NARROW_HEALTH if self._narrow else tuple(key for _, key in HEALTH_COLUMNS)

    def _add_columns(self) -> None:
        self.add_column("layer", key="layer")
        if not (self._health and self._narrow):
            self.add_column("shape" if self._health else "output shape", key="shape")
            self.add_column(Text("params" if self._health else "parameters", justify="right"),
                            key="parameters")  # fmt: skip
        for header, key in HEALTH_COLUMNS:
            if key in self._keys:
                self.add_column(Text(header, justify="right"), key=key)

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < FULL_WIDTH
        if narrow != self._narrow:
            self._narrow = narrow
            if self._health:
                self._rebuild()

    def _rebuild(self) -> None:
        self.clear(columns=True)
        self._add_columns()
        self._add_rows()
        self._fill(self._cells)

    def show_layers(self, layers: Sequence[LayerInfo], health: bool = False) -> None:
        """The layers of a model; `health`: with (empty) health columns."""
        self._layers, same = tuple(layers), health == self._health
        self._health, self._cells = health, {}
        self.clear(columns=not same)
        if not same:
            self._add_columns()
        self._add_rows()

    def _add_rows(self) -> None:
        blank = tuple(Text("", justify="right") for _ in self._keys)
        book = not (self._health and self._narrow)
        for index, layer in enumerate(self._layers):
            shape = layer.output_shape[1:] if self._health else layer.output_shape
            size = (("×" if self._health else " × ").join(map(str, shape)),
                    Text(f"{layer.parameters:,}", justify="right"))  # fmt: skip
            self.add_row(layer.name, *(size if book else ()), *blank, key=str(index))
        total = sum(layer.parameters for layer in self._layers)
        size = ("", Text(f"{total:,}", style="bold", justify="right"))
        self.add_row(Text("total", style="bold"), *(size if book else ()), *blank)

    def show_health(self, cells: Mapping[int, Sequence[str]]) -> None:
        """The latest report's figures, by row (a layer's position in the network)."""
        if not cells:
            return
        if not self._health:
            self.show_layers(self._layers, health=True)
        self._cells = cells
        self._fill(cells)

    def _fill(self, cells: Mapping[int, Sequence[str]]) -> None:
        for index, row in cells.items():
            if index >= len(self._layers):
                continue  # a report of another model than the one shown
            for (_, key), cell in zip(HEALTH_COLUMNS, row, strict=True):
                if key in self._keys:
                    self.update_cell(str(index), key, Text(cell, justify="right"))
