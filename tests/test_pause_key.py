"""F8 pauses a run after the batch in flight and goes on; the clock leaves the pause out."""

from __future__ import annotations

import dataclasses

from dashboard_helpers import SHORT, SIZE, running, view, wait_until
from inside_fixtures import FakeClock

from lenet_tui.engine.events import RunPaused, RunResumed, RunStopped, TrainProgress
from lenet_tui.ui.app import create_app
from lenet_tui.ui.messages import TrainingEvent

LONG = dataclasses.replace(SHORT, epochs=1000)
"""Long enough that the run is still training when the keys are pressed, however slow the
machine is to show its events (30 epochs of the tiny data could end in seconds, before a busy
UI thread saw the run go on)."""


async def start_and_pause(pilot, seen: list) -> RunPaused:
    app = pilot.app
    await wait_until(pilot, lambda: app.dashboard.data is not None)
    await pilot.press("f2", "ctrl+r")
    await wait_until(pilot, lambda: any(isinstance(e, TrainProgress) for e in seen))
    await pilot.press("f8")
    await wait_until(pilot, lambda: view(app).state == "paused")
    return next(e for e in seen if isinstance(e, RunPaused))


def recorder(seen: list):
    """A message hook keeping each event once (its message bubbles to the screen too)."""

    def record(message) -> None:
        if isinstance(message, TrainingEvent) and all(e is not message.event for e in seen[-4:]):
            seen.append(message.event)

    return record


async def test_f8_pauses_then_goes_on_and_the_paused_time_is_not_elapsed(tiny_dataset):
    clock, seen = FakeClock(), []
    app = create_app(LONG, data=tiny_dataset, devices=["cpu"], clock=clock)
    async with app.run_test(size=SIZE, message_hook=recorder(seen)) as pilot:
        paused = await start_and_pause(pilot, seen)
        assert "paused in epoch" in view(app).message
        assert app.screen.active_bindings["f8"].binding.description == "Go on"  # the footer
        clock.now += 100.0  # a long look around while nothing trains
        await pilot.press("f8")
        await wait_until(pilot, lambda: any(isinstance(e, RunResumed) for e in seen))
        resumed = next(i for i, e in enumerate(seen) if isinstance(e, RunResumed))
        await wait_until(pilot, lambda: any(isinstance(e, TrainProgress) for e in seen[resumed:]))
        assert view(app).state == "running"
        assert view(app).paused_for == 100.0 and view(app).elapsed == 0.0
        assert app.screen.active_bindings["f8"].binding.description == "Pause"
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: not running(app))
    after = seen[seen.index(paused) + 1 :]
    assert isinstance(after[0], RunResumed)  # no step was taken while paused
    steps = [e.step for e in after if isinstance(e, TrainProgress)]
    assert steps and steps[0] > paused.step


async def test_ctrl_x_while_paused_stops_the_run(tiny_dataset):
    seen = []
    app = create_app(LONG, data=tiny_dataset, devices=["cpu"], clock=FakeClock())
    async with app.run_test(size=SIZE, message_hook=recorder(seen)) as pilot:
        paused = await start_and_pause(pilot, seen)
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: not running(app))
        assert view(app).state == "stopped"
    assert isinstance(seen[-1], RunStopped) and seen[-1].step == paused.step
