"""The form's ray and cpus-per-run fields: checked as typed (no Ray needed), red with the reason,
and `lenet-tui --ray [ADDRESS]` opening the dashboard with them filled."""

from __future__ import annotations

import pytest
from dashboard_helpers import SIZE, make_app, running, shown
from test_form_grid import start_enabled, type_into

from lenet_tui import cli
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.ui import launch, ray_form
from lenet_tui.ui.modes.local_grid import GridRequest
from lenet_tui.ui.ray_form import read_ray
from lenet_tui.ui.widgets.config_form import ConfigForm

GRID = "pooling=avg,max"


@pytest.fixture
def ray_here(monkeypatch) -> None:
    """Ray counts as installed (the form only asks whether it is)."""
    monkeypatch.setattr(ray_form, "ray_installed", lambda: True)


@pytest.mark.parametrize(
    ("address", "cpus", "options"),
    [
        ("local", "", RayOptions()),
        (" auto ", "2", RayOptions(address="auto", cpus_per_run=2.0)),
        ("10.0.0.5:6379", "0.5", RayOptions(address="10.0.0.5:6379", cpus_per_run=0.5)),
        ("head.example:10001", "", RayOptions(address="head.example:10001")),
        ("ray://head:10001", "", RayOptions(address="ray://head:10001")),
    ],
)
def test_good_ray_fields_give_the_options(ray_here, address, cpus, options):
    assert read_ray(address, cpus, vary=True) == (options, {})


def test_a_blank_ray_trains_the_grid_here():
    assert read_ray("", "", vary=True) == (None, {})
    assert read_ray("", "", vary=False) == (None, {})


@pytest.mark.parametrize(
    ("address", "cpus", "problems"),
    [
        ("10.0.0.5", "", {"ray": "must be local, auto or the head's host:port (as "
                                 "10.0.0.5:6379), got '10.0.0.5'"}),
        ("head:99999", "", {"ray": "must be local, auto or the head's host:port (as "
                                   "10.0.0.5:6379), got 'head:99999'"}),
        ("local", "0", {"ray_cpus": "must be above 0, got 0"}),
        ("local", "two", {"ray_cpus": "must be a number like 1 or 0.5, got 'two'"}),
        ("", "2", {"ray_cpus": "says what each run of a Ray grid asks for: fill in ray too"}),
    ],
)  # fmt: skip
def test_bad_ray_fields_say_why_in_one_line(ray_here, address, cpus, problems):
    assert read_ray(address, cpus, vary=True) == (None, problems)


async def test_a_ray_without_vary_is_red_and_a_filled_one_asks_for_a_ray_grid(
    tiny_dataset, ray_here
):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        form = app.query_one(ConfigForm)
        await type_into(pilot, "ray", "local")
        assert app.query_one("#field-ray").has_class("invalid")
        assert shown(app, "#form-problems") == (
            'ray: trains the runs of a grid: fill in vary too ("pooling=avg,max", say)'
        )
        assert not start_enabled(app)

        await type_into(pilot, "vary", GRID)
        await type_into(pilot, "ray_cpus", "2")
        assert shown(app, "#form-problems") == "" and start_enabled(app)
        assert form.grid_request == GridRequest(GRID, (), RayOptions(cpus_per_run=2.0))

        await type_into(pilot, "ray", "")  # blank again: the grid trains here
        assert app.query_one("#field-ray_cpus").has_class("invalid")
        await type_into(pilot, "ray_cpus", "")
        assert form.grid_request == GridRequest(GRID, ())


async def test_without_ray_installed_the_field_gives_the_install_hint_and_nothing_starts(
    tiny_dataset, monkeypatch
):
    monkeypatch.setattr(ray_form, "ray_installed", lambda: False)
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "vary", GRID)
        await type_into(pilot, "ray", "local")
        assert app.query_one("#field-ray").has_class("invalid")
        assert shown(app, "#form-problems") == (
            "ray: Ray is not installed: pip install 'lenet-tui[ray]' (or pip install ray)"
        )
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not running(app) and app.dashboard.grid.folder is None
        assert not start_enabled(app)


def test_ray_without_no_ui_opens_the_dashboard_with_the_ray_fields_filled(monkeypatch):
    opened = []
    monkeypatch.setattr(launch, "run_dashboard", lambda *a, **kw: opened.append(kw["ray"]) or 0)
    assert cli.main(["--ray", "10.0.0.5:6379", "--ray-cpus-per-run", "2"]) == 0
    assert cli.main(["--ray"]) == 0
    assert opened == [RayOptions("10.0.0.5:6379", cpus_per_run=2.0), RayOptions()]


def test_ray_with_no_ui_still_needs_a_grid(capsys):
    assert cli.main(["--no-ui", "--ray"]) == 2
    assert "--ray trains the runs of a grid; add --grid SPEC" in capsys.readouterr().err


async def test_offered_ray_options_fill_the_form(tiny_dataset, ray_here):
    app = make_app(tiny_dataset)
    app.dashboard.offer_ray(RayOptions("auto", cpus_per_run=2.0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        values = [app.query_one(f"#field-{name}").value for name in ("ray", "ray_cpus")]
        assert values == ["auto", "2"]
        assert set(app.query_one(ConfigForm).problems) == {"ray"}  # vary is still blank
