"""The viewer's side panel: which image, through which weights, and what the network predicts.

With a pinned image, the two images and their predictions side by side (pinned on the left).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from lenet_tui.engine.inspection import Inspection
from lenet_tui.ui.widgets.confusion_grid import abbreviate
from lenet_tui.ui.widgets.heatmap import GRAYSCALE, Heatmap, downsample

COLUMN = 14
"""Width of one image's column when two are compared: the input drawn at half size."""
NAME = COLUMN - 4
"""Cells of a likely class's name beside its probability: "Ankle boot" whole, "T-shirt/top" as
"T-shirt" (wider columns would cost conv1's sixth map a row at 120 columns)."""


def caption(
    shown: Inspection, size: int, classes: Sequence[str], pinned: Inspection | None
) -> Text:
    """Which test image (and which pinned), its class, and which weights."""
    weights = f"after epoch {shown.epoch}" if shown.epoch else "initial (untrained)"
    text = Text.assemble((f"test image {shown.index + 1:,}", "bold"), f" of {size:,}\n")
    if pinned is None:
        text.append_text(Text.assemble(("true class ", "dim"), (classes[shown.label], "bold")))
    else:
        text.append_text(
            Text.assemble(
                ("pinned ", "dim"),
                (f"image {pinned.index + 1:,}", "bold"),
                (" (space unpins)", "dim"),
            )
        )
    return text.append_text(Text.assemble(("\nweights ", "dim"), weights))


def prediction(inspection: Inspection, classes: Sequence[str]) -> Group:
    """The predicted class, right or wrong, and the three likeliest with their probabilities."""
    if not inspection.finite:
        return Group(Text("these weights give NaN or inf: the run diverged", style="bold red"))
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, width=11)
    table.add_column(justify="right", width=4)
    table.add_column()
    for label, p in inspection.top3:
        table.add_row(classes[label], f"{p:.0%}", Text("█" * round(p * 10), style="cyan"))
    return Group(_verdict(inspection, classes), table)


def comparison(pinned: Inspection, shown: Inspection, classes: Sequence[str]) -> Table:
    """The pinned image and the shown one side by side: input, true class, prediction, top 3."""
    table = Table.grid(padding=(0, 1, 0, 0))
    for _ in range(2):
        table.add_column(no_wrap=True, width=COLUMN, overflow="ellipsis")
    pair = (pinned, shown)
    table.add_row(*(Text(title, style="bold") for title in ("pinned", "this")))
    table.add_row(*(Heatmap(downsample(i.image, 2), GRAYSCALE, stretch=False) for i in pair))
    table.add_row(*(Text(classes[i.label], style="bold") for i in pair))
    table.add_row(*(_verdict(i, classes, short=True) for i in pair))
    for rank in range(3):
        table.add_row(*(_likely(i, rank, classes) for i in pair))
    return table


def _verdict(inspection: Inspection, classes: Sequence[str], *, short: bool = False) -> Text:
    if not inspection.finite:
        return Text("diverged", style="bold red")
    right = inspection.predicted == inspection.label
    return Text.assemble(
        ("→ " if short else "predicted ", "dim"),
        (classes[inspection.predicted], "bold green" if right else "bold red"),
        (" ✓" if right else " ✗", "green" if right else "red"),
    )


def _likely(inspection: Inspection, rank: int, classes: Sequence[str]) -> Text:
    label, p = inspection.top3[rank]
    return Text.assemble((f"{abbreviate(classes[label], NAME):<{NAME}}", "dim"), f"{p:4.0%}")
