"""Helpers for driving the dashboard in tests: build it, wait for it, read what it shows."""

from __future__ import annotations

import io
import time

from rich.console import Console
from textual.widget import Widget
from textual.widgets import Static

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import Dataset
from lenet_tui.ui.app import LenetApp, create_app
from lenet_tui.ui.messages import TrainingEvent
from lenet_tui.ui.modes.state import Phase
from lenet_tui.ui.widgets.run_status import RunView

SIZE = (120, 40)
SIZES = [(120, 40), (80, 24)]
"""The terminal sizes every snapshot test draws its screen at."""
SHORT = TrainConfig(epochs=2, batch_size=32, device="cpu")
"""512 tiny training images in batches of 32: 16 steps, so 10 progress points per epoch."""


def make_app(data: Dataset, config: TrainConfig = SHORT) -> LenetApp:
    return create_app(config, data=data, devices=["cpu"])


async def wait_until(pilot, condition, timeout: float = 120) -> None:
    """Let the app process messages until `condition()` holds; the timeout only guards a hang."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        await pilot.pause()


async def settle(pilot) -> None:
    """Let the data arrive (given data is announced after the first layout, later on a busy
    machine), the workers finish and the screen catch up (for a snapshot: see conftest's
    snap_compare for the cursor)."""
    board = pilot.app.dashboard
    await wait_until(pilot, lambda: board.phase not in (Phase.LOADING, Phase.OPENING))
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def shown(screen, selector: str) -> str:
    """The words a Static displays, wrapped to its width, with line breaks made spaces."""
    widget = screen.query_one(selector, Static)
    console = Console(width=widget.size.width, file=io.StringIO(), record=True)
    console.print(widget.content)
    return " ".join(console.export_text().split())


def drawn(app: LenetApp, widget: Widget | None = None) -> str:
    """The characters on the screen as the user sees them (the top screen: a dialog when one is
    open), one line per row; only those inside `widget`'s border and padding if one is given."""
    strips = app.screen._compositor.render_strips()  # what Textual writes to the terminal
    if widget is None:
        return "\n".join(strip.text for strip in strips)
    region = widget.content_region
    rows = strips[region.y : region.bottom]
    return "\n".join(strip.crop(region.x, region.right).text for strip in rows)


def squashed(text: str) -> str:
    """Text without its spaces and line breaks: what a wrapped or folded line still holds."""
    return "".join(text.split())


def view(app: LenetApp) -> RunView:
    """What the status panel shows (or will at its next once-a-second redraw)."""
    return app.dashboard.train_view.status.latest


def running(app: LenetApp) -> bool:
    return app.dashboard.phase is Phase.RUNNING


def notes(app: LenetApp, title: str | None = None) -> list[str]:
    """The notifications shown so far, those with `title` only if one is given."""
    return [n.message for n in app._notifications if title is None or n.title == title]


async def as_if_running(pilot, events) -> None:
    """The events a run's worker posts, drawn as at the next once-a-second tick."""
    board = pilot.app.dashboard
    await wait_until(pilot, lambda: board.data is not None)
    if board.phase is not Phase.RUNNING:
        await pilot.press("f2")
        board.train_view.show_run_starting(board.train_view.form.config)
        board.phase = Phase.RUNNING
    for event in events:
        board.train_view.post_message(TrainingEvent(event, kept=None))
    await pilot.pause()
    board.train_view.redraw()
    await pilot.pause()


def lines(widget: Static) -> list[str]:
    """The lines a Static draws, at its width, as the screen shows them."""
    console = Console(width=widget.content_region.width, file=io.StringIO(), record=True)
    console.print(widget.content)
    return [line.rstrip() for line in console.export_text().splitlines()]
