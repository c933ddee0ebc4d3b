"""Beside the overlay: its legend, and a table of what differs between the chosen runs."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from lenet_tui.runs.catalog import MAX_TITLE, differing_settings, flat_settings, short_titles
from lenet_tui.runs.history import RunSummary


def legend(labels: Sequence[str], colours: Sequence[tuple[int, int, int]]) -> Text:
    """Each run's colour and label, on one line (wrapped where it does not fit)."""
    text = Text()
    for label, (r, g, b) in zip(labels, colours, strict=True):
        text.append("━━ ", style=f"bold rgb({r},{g},{b})")
        text.append(label + "   ")
    text.rstrip()
    return text if labels else Text("no runs overlaid: space picks the highlighted run")


def compare_table(runs: Sequence[RunSummary], colours: Sequence[tuple[int, int, int]]) -> Table:
    """One row per run: its colour and title, final and best test accuracy, and each setting
    that differs between the runs."""
    keys = differing_settings([run.config for run in runs])
    table = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
    table.add_column("run", no_wrap=True, max_width=MAX_TITLE + 2, overflow="ellipsis")
    table.add_column("final", justify="right", no_wrap=True, min_width=5)
    table.add_column("best", justify="right", no_wrap=True, min_width=5)
    for key in keys:  # these give way first when the table is too wide
        table.add_column(key.removeprefix("model."), max_width=12, overflow="ellipsis")
    titles = short_titles([run.title for run in runs], MAX_TITLE)  # what differs stays
    for run, name, (r, g, b) in zip(runs, titles, colours, strict=True):
        flat = flat_settings(run.config) if run.config is not None else {}
        title = Text("━ ", style=f"bold rgb({r},{g},{b})") + Text(name)
        table.add_row(
            title,
            _acc(run.test_acc),
            _acc(run.best_acc),
            *(Text(flat.get(key, "–")) for key in keys),  # a file's values: never markup
        )
    return table


def _acc(acc: float | None) -> str:
    return "–" if acc is None else f"{acc:.3f}"


class RunsCompare(Static):
    """The chosen runs' differing settings and test accuracies."""

    DEFAULT_CSS = """
    RunsCompare {
        width: auto;
        height: auto;
    }
    """

    def show_runs(
        self, runs: Sequence[RunSummary], colours: Sequence[tuple[int, int, int]]
    ) -> None:
        self.update(compare_table(runs, colours) if runs else "")
