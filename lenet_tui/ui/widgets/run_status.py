"""Where the run is: device, epoch, speed, elapsed and ETA, latest metrics, the book's summary."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from rich.console import Group
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

RunState = Literal[
    "ready", "loading", "running", "stopping", "finished", "stopped", "diverged", "failed"
]
"""What the status panel says of the data and the run: "failed" covers data that cannot load."""


@dataclass(frozen=True)
class RunView:
    """Everything the status panel shows, as plain values."""

    state: RunState = "ready"
    device: str = ""
    data_source: str = ""
    epochs: int = 0
    epoch: float = 0.0
    examples_per_sec: float | None = None
    started_at: float | None = None
    now: float | None = None
    lr: float | None = None
    """The learning rate of the latest report."""
    train_loss: float | None = None
    train_acc: float | None = None
    test_acc: float | None = None
    test_epoch: int = 0
    summary: tuple[str, ...] = ()
    message: str = ""
    seed: int | None = None
    run_dir: str = ""
    """Where the run is kept (settings, metrics, checkpoints)."""
    start_epoch: int = 0
    """Epochs done before this session's part of the run (a resumed run's checkpoint)."""

    @property
    def elapsed(self) -> float | None:
        if self.started_at is None or self.now is None:
            return None
        return max(0.0, self.now - self.started_at)

    @property
    def eta(self) -> float | None:
        """Seconds left, from the pace so far; None until there is a pace."""
        elapsed, done = self.elapsed, self.epoch - self.start_epoch
        if elapsed is None or done <= 0 or self.state != "running":
            return None
        return elapsed * (self.epochs - self.epoch) / done

    def evolve(self, **changes: object) -> RunView:
        return replace(self, **changes)


STATE_STYLES: dict[RunState, str] = {
    "running": "bold green",
    "stopping": "bold yellow",
    "finished": "bold cyan",
    "stopped": "bold yellow",
    "failed": "bold red",
    "diverged": "bold red",
}


class RunStatus(Vertical):
    """The status panel: `note` records figures, `show` records and redraws.

    It is redrawn about once a second during a run, on the UI thread that shares the CPU with
    training, so it does as little as it can: only the parts whose values changed are rebuilt,
    and the layout is recomputed only when a part can have changed height.
    """

    view: reactive[RunView] = reactive(RunView, always_update=True)
    """What is drawn; assigning it redraws."""
    _shown: RunView | None = None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.latest = RunView(state="loading")
        """Every figure recorded so far: what the next redraw shows. Replaced, never mutated."""

    def note(self, **changes: object) -> None:
        """Record figures for the next redraw."""
        self.latest = self.latest.evolve(**changes)

    def show(self, **changes: object) -> None:
        """Record figures and redraw now."""
        self.note(**changes)
        self.view = self.latest

    def compose(self) -> ComposeResult:
        yield Static(id="status-table")
        yield Static(id="status-progress")
        yield Static(id="status-summary")

    def watch_view(self, view: RunView) -> None:
        old, self._shown = self._shown, view
        if old == view:
            return
        self.query_one("#status-table", Static).update(
            _table(view),
            layout=old is None
            or (old.data_source, old.run_dir) != (view.data_source, view.run_dir),
        )
        if old is None or (old.epoch, old.epochs) != (view.epoch, view.epochs):
            self.query_one("#status-progress", Static).update(_progress(view), layout=old is None)
        if old is None or (old.summary, old.message, old.state) != (
            view.summary,
            view.message,
            view.state,
        ):
            self.query_one("#status-summary", Static).update(_summary(view))


def _table(view: RunView) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    table.add_row("state", Text(view.state, style=STATE_STYLES.get(view.state, "")))
    table.add_row("device", view.device or "–")
    table.add_row("seed", "–" if view.seed is None else str(view.seed))
    table.add_row("epoch", f"{_epoch_text(view.epoch)} / {view.epochs}" if view.epochs else "–")
    table.add_row(
        "speed", f"{view.examples_per_sec:,.0f} examples/sec" if view.examples_per_sec else "–"
    )
    table.add_row("elapsed", f"{_clock(view.elapsed)}   ETA {_clock(view.eta)}")
    table.add_row("lr", "–" if view.lr is None or view.lr != view.lr else f"{view.lr:.4g}")
    table.add_row("train", _metrics(view.train_loss, view.train_acc))
    test = (
        f"acc {view.test_acc:.3f} (epoch {view.test_epoch})" if view.test_acc is not None else "–"
    )
    table.add_row("test", test)
    table.add_row("data", Text(view.data_source or "–", style="dim"))
    if view.run_dir:
        table.add_row("kept in", Text(view.run_dir, style="dim", overflow="fold"))
    return table


def _progress(view: RunView) -> ProgressBar:
    return ProgressBar(
        total=max(view.epochs, 1),
        completed=view.epoch,
        complete_style="bold green",
        finished_style="bold cyan",
        style="grey23",
    )


def _summary(view: RunView) -> Group:
    parts = [Text(line, style="bold") for line in view.summary]
    if view.message:
        parts.append(Text(view.message, style=STATE_STYLES.get(view.state, "")))
    return Group(*parts)


def _metrics(loss: float | None, acc: float | None) -> str:
    if loss is None or acc is None:
        return "–"
    return f"loss {loss:.3f}, acc {acc:.3f}"


def _epoch_text(epoch: float) -> str:
    return f"{epoch:.0f}" if float(epoch).is_integer() else f"{epoch:.1f}"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
