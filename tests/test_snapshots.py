"""Screens as the user sees them, compared with approved SVGs (pytest --snapshot-update)."""

from __future__ import annotations

import dataclasses

import pytest
from dashboard_helpers import SIZES, settle
from inside_fixtures import d2l_report, plateau_reports

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import EpochEnd, RunStarted
from lenet_tui.engine.model import build_lenet, count_parameters, layer_table
from lenet_tui.ui.app import LenetApp, create_app
from lenet_tui.ui.messages import TrainingEvent
from lenet_tui.ui.modes.state import Phase

CONFIG = TrainConfig(lr=0.5, epochs=3, device="cpu")


class FakeClock:
    """Seconds that move only when the test says so, so elapsed and ETA are fixed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_app(tiny_dataset, clock: FakeClock | None = None) -> LenetApp:
    return create_app(CONFIG, data=tiny_dataset, devices=["cpu"], clock=clock or FakeClock())


def run_started() -> RunStarted:
    net = build_lenet()
    return RunStarted(
        config=CONFIG.to_dict(),
        device="cpu",
        layers=layer_table(net),
        parameters=count_parameters(net),
        train_examples=60000,
        test_examples=10000,
        data_source="bundled Fashion-MNIST (re-split 60,000/10,000; not the official test set)",
    )


def mid_run_events() -> list:
    """What the engine reports one and a half epochs into a 3-epoch run, d2l-like figures."""
    events: list = [run_started()]
    for i in range(1, 16):
        epoch = i / 10
        loss = 2.31 - 1.2 * min(epoch, 1.0) - 0.25 * max(epoch - 1, 0)
        acc = 0.1 + 0.55 * min(epoch, 1.0) + 0.1 * max(epoch - 1, 0)
        report = d2l_report(epoch, loss, acc, "learning", examples_per_sec=18000.0 + 10 * i)
        events.append(dataclasses.replace(report, lr=0.5))
        if i == 10:
            events.append(EpochEnd(1, 1.11, 0.65, 0.95, 0.68, 4.1, 17950.0))
    return events


async def as_if_running(pilot, clock: FakeClock, events: list) -> None:
    """The events a run's worker sends, drawn now rather than at the next once-a-second tick."""
    await settle(pilot)
    board = pilot.app.dashboard
    board.train_view.show_run_starting(CONFIG)
    board.phase = Phase.RUNNING  # as if a run were training; the events are what it sends
    clock.now += 9.0
    for event in events:
        board.train_view.post_message(TrainingEvent(event, kept=None))
    await pilot.pause()
    board.train_view.redraw()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_form(snap_compare, tiny_dataset, size):
    assert snap_compare(make_app(tiny_dataset), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard_mid_run(snap_compare, tiny_dataset, size):
    clock = FakeClock()
    app = make_app(tiny_dataset, clock)

    async def run_half_way(pilot) -> None:
        await as_if_running(pilot, clock, mid_run_events())
        kept = "~/.local/share/lenet-tui/runs/20260101-120000"  # where a run is kept by default
        app.dashboard.train_view.status.show(run_dir=kept)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_half_way)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_layer_health_on_the_plateau(snap_compare, tiny_dataset, size):
    """ctrl+t seven reports into the book's net: its loss flat at ln 10, and the reading why."""
    clock = FakeClock()
    app = make_app(tiny_dataset, clock)

    async def on_the_plateau(pilot) -> None:
        await as_if_running(pilot, clock, [run_started(), *plateau_reports()])
        await pilot.press("ctrl+t")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=on_the_plateau)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_activation_viewer_on_a_coat(snap_compare, tiny_dataset, size):
    async def pick_a_coat(pilot) -> None:
        await settle(pilot)
        await pilot.press("f3", "4")
        await settle(pilot)

    assert snap_compare(make_app(tiny_dataset), terminal_size=size, run_before=pick_a_coat)
