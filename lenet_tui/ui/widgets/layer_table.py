"""The book's shape printout: every layer, its output shape and parameters, then the total."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from lenet_tui.engine.events import LayerInfo


class LayerTable(DataTable):
    """Rows follow the model options; shapes are for one 1x28x28 image."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("layer", key="layer")
        self.add_column("output shape", key="shape")
        self.add_column(Text("parameters", justify="right"), key="parameters")

    def show_layers(self, layers: Sequence[LayerInfo]) -> None:
        self.clear()
        for layer in layers:
            self.add_row(
                layer.name,
                " × ".join(map(str, layer.output_shape)),
                Text(f"{layer.parameters:,}", justify="right"),
            )
        total = sum(layer.parameters for layer in layers)
        self.add_row(
            Text("total", style="bold"), "", Text(f"{total:,}", style="bold", justify="right")
        )
