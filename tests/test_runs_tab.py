"""The Runs tab, driven by keys: list, filter, overlay, name, export and delete kept runs."""

from __future__ import annotations

import csv

from dashboard_helpers import SIZE, make_app, notes, wait_until
from run_folder_fixtures import finished_run, reported_run

from lenet_tui.runs.folder import RunLock
from lenet_tui.ui.screens.confirm import ConfirmScreen
from lenet_tui.ui.screens.export_csv import ExportScreen
from lenet_tui.ui.widgets.runs_view import RunsView


def make_runs(runs_dir) -> None:
    """Four finished runs, the newest listed first: relu-max, max, avg, avg-lr."""
    finished_run(runs_dir, "avg-lr", [0.3, 0.4, 0.45], mtime=1_700_000_000, lr=0.1)
    finished_run(runs_dir, "avg", [0.5, 0.6, 0.7], mtime=1_700_000_100)
    finished_run(runs_dir, "max", [0.6, 0.8, 0.82], mtime=1_700_000_200, pooling="max")
    finished_run(runs_dir, "relu-max", [0.7, 0.85, 0.9], mtime=1_700_000_300,
                 pooling="max", activation="relu")  # fmt: skip


async def open_tab(pilot, count: int) -> RunsView:
    await wait_until(pilot, lambda: pilot.app.focused is not None)  # the form's, at start
    assert pilot.app.screen.active_bindings["f4"].binding.description == "Runs"  # the footer
    await pilot.press("f4")
    view = pilot.app.dashboard.query_one(RunsView)
    await wait_until(pilot, lambda: view.table.row_count == count)
    await wait_until(pilot, lambda: view.table.has_focus)
    assert "f4" not in pilot.app.screen.active_bindings  # it is shown: its key leaves the footer
    return view


async def test_filter_then_overlay_three_runs_picked_with_the_keyboard(tiny_dataset, runs_dir):
    make_runs(runs_dir)
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_tab(pilot, 4)
        await pilot.press("slash", *"MAX")
        await wait_until(pilot, lambda: view.table.row_count == 2)
        await pilot.press("enter")  # back to the list, still filtered
        assert view.table.has_focus
        await pilot.press("space", "down", "space")  # relu-max and max
        view.query_one("#runs-filter").value = ""
        await wait_until(pilot, lambda: view.table.row_count == 4)
        await pilot.press("down", "space")  # avg (the cursor stayed on max)
        curves = view.plot.curves
        assert [c.label for c in curves] == [
            "activation=relu, pooling=max",
            "activation=sigmoid, pooling=max",
            "activation=sigmoid, pooling=avg",
        ]
        assert [c.values for c in curves] == [(0.7, 0.85, 0.9), (0.6, 0.8, 0.82), (0.5, 0.6, 0.7)]
        assert curves[0].epochs == (1, 2, 3)
        assert len({c.colour for c in curves}) == 3
        await pilot.press("m")
        assert view.plot.metric == "train loss"
        assert view.plot.curves[2].values == (2.0 - 0.5 * 2, 2.0 - 0.6 * 2, 2.0 - 0.7 * 2)
        await pilot.press("space")  # again on avg: taken off
        assert [c.label for c in view.plot.curves] == ["activation=relu", "activation=sigmoid"]


async def test_runs_of_one_epoch_are_curves_of_their_progress_reports(tiny_dataset, runs_dir):
    reported_run(runs_dir, "slow", [0.71], speed=1.5, mtime=1_700_000_000)
    reported_run(runs_dir, "fast", [0.80], speed=3.0, mtime=1_700_000_100, pooling="max")
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_tab(pilot, 2)
        await pilot.press("space", "down", "space")
        await app.workers.wait_for_complete()
        assert [(c.epochs, c.values) for c in view.plot.curves] == [((1,), (0.8,)), ((1,), (0.71,))]
        assert "m: train loss, acc per report" in view.plot.render().plain  # a dot each
        await pilot.press("m")
        tenths = tuple(round(0.1 * i, 1) for i in range(1, 11))
        fast, slow = view.plot.curves
        assert fast.epochs == slow.epochs == tenths
        assert fast.values[-1] < slow.values[-1] < slow.values[0]
        await pilot.press("m")
        assert view.plot.metric == "train acc" and len(view.plot.curves[0].values) == 10


async def test_a_ninth_run_is_refused_and_a_name_shows_in_the_list(tiny_dataset, runs_dir):
    for i in range(9):
        finished_run(runs_dir, f"run-{i}", [0.5], mtime=1_700_000_000 - i, seed=i)
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_tab(pilot, 9)
        for _ in range(9):
            await pilot.press("space", "down")
        assert len(view.plot.curves) == 8
        assert any("at most 8 runs" in note for note in notes(app))
        assert [c.label for c in view.plot.curves[:2]] == ["seed=0", "seed=1"]
        await pilot.press("n")  # on the last row: run-8, the one refused
        await pilot.press(*"book net", "enter", *"the original", "enter")
        await wait_until(pilot, lambda: "book net" in {run.title for run in view.runs})
        named = next(run for run in view.runs if run.title == "book net")
        assert (named.name, named.note.note) == ("run-8", "the original")
        assert str(view.table.get_row_at(8)[1]) == "book net"  # the list shows it, in its place


async def test_export_writes_the_picked_runs_where_the_user_confirms(tiny_dataset, runs_dir):
    make_runs(runs_dir)
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(pilot, 4)
        await pilot.press("space", "down", "space", "e")
        path_input = app.screen.query_one("#export-path")
        assert path_input.value.startswith(str(runs_dir / "runs-"))
        path_input.value = str(runs_dir / "max" / "config.toml" / "two.csv")  # under a file
        await pilot.press("enter")
        assert any(n.startswith("cannot write") for n in notes(app, "Not exported"))
        assert isinstance(app.screen, ExportScreen)  # still open, to fix the path
        path_input.value = str(runs_dir / "out" / "two.csv")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("written to" in n for n in notes(app)))
        rows = list(csv.DictReader((runs_dir / "out" / "two.csv").open()))
        assert [(r["run_dir"].rsplit("/", 1)[1], r["epoch"]) for r in rows] == [
            ("relu-max", "1"), ("relu-max", "2"), ("relu-max", "3"),
            ("max", "1"), ("max", "2"), ("max", "3"),
        ]  # fmt: skip
        assert any(n.startswith("6 rows (2 runs") for n in notes(app))


async def test_delete_asks_first_and_never_touches_a_run_being_trained(tiny_dataset, runs_dir):
    make_runs(runs_dir)
    lock = RunLock(finished_run(runs_dir, "live", [0.5], mtime=1_700_000_400))
    assert lock.acquire()  # as another lenet-tui training it
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_tab(pilot, 5)
        await pilot.press("d")
        assert any("live is being trained; stop it first" in n for n in notes(app))
        assert not isinstance(app.screen, ConfirmScreen)
        lock.release()
        await pilot.press("down", "d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # declined: kept
        assert (runs_dir / "relu-max").exists()
        await pilot.press("d", "y")
        await wait_until(pilot, lambda: view.table.row_count == 4)
        assert not (runs_dir / "relu-max").exists()
        assert (runs_dir / "live").exists()
