"""ctrl+s saves the screen as an SVG in the run's folder (the runs folder before any run)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from dashboard_helpers import SIZE, make_app, notes, running, wait_until


def saved_svg(app) -> Path:
    path = Path(notes(app, "Screen saved")[-1])
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return path


async def test_ctrl_s_before_a_run_saves_in_the_runs_folder(tiny_dataset, runs_dir):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: notes(app, "Screen saved"))
        path = saved_svg(app)
    assert path.parent == runs_dir and path.suffix == ".svg"
    assert "lenet-tui" in path.read_text(encoding="utf-8")


async def test_ctrl_s_after_a_run_saves_in_its_folder(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.dashboard.data is not None)
        await pilot.press("f2", "ctrl+r")
        await wait_until(pilot, lambda: app.dashboard.last_folder is not None)
        await wait_until(pilot, lambda: not running(app))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: notes(app, "Screen saved"))
        assert saved_svg(app).parent == app.dashboard.last_folder
