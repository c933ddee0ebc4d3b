"""Text from the user and from files (run names, notes, folder names, paths, errors) is shown as
written wherever the dashboard shows it, never read as Rich/Textual markup: `[/]` would end the
dashboard with a MarkupError (at every start, for a kept run), `[@click=app.quit]x[/]` would be
a link that runs an action. Each test reads the screen as drawn."""

from __future__ import annotations

import ast
from pathlib import Path

from dashboard_helpers import drawn, notes, running, squashed, wait_until
from ray_dashboard_helpers import GRID, fill_in, started, use_scripted_ray
from run_folder_fixtures import finished_run
from textual.widgets import Input
from textual.widgets._toast import Toast

import lenet_tui.ui
from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import RunFailed
from lenet_tui.runs.catalog import MAX_TITLE, short_titles
from lenet_tui.runs.notes import RunNote, write_note
from lenet_tui.runs.ray_grid import GridUpdate
from lenet_tui.runs.ray_trial import TrialWorker
from lenet_tui.ui.app import LenetApp, create_app
from lenet_tui.ui.widgets.runs_compare import RunsCompare
from lenet_tui.ui.widgets.runs_view import RunsView

SIZE = (160, 50)
QUICK = TrainConfig(epochs=1, batch_size=128, device="cpu")
HOSTILE = ("[/]", "[b]bold", "]x", "[red", "[@click=app.quit]x[/]", "\\[", "[")
"""Titles Rich or Textual would read as markup: a closing tag with nothing open, a style, a
stray bracket, an unclosed tag, an action link, an escaped bracket, a lone bracket."""
NOTE = "[b]bold [@click=app.quit]q[/] \\[ ["


def hostile_runs(runs_dir: Path) -> dict[str, Path]:
    """A kept run titled by each of HOSTILE, title -> folder. A folder's name cannot hold "/":
    "[/]" is a run's name in its notes.toml, "[@click=app.quit]x[/]" the grid
    "[@click=app.quit]x[" and its run "]"."""
    grid = runs_dir / "[@click=app.quit]x["
    grid.mkdir(parents=True)
    (grid / "grid.toml").write_text("")
    folders = {title: runs_dir / title for title in HOSTILE[1:] if "/" not in title}
    folders |= {"[@click=app.quit]x[/]": grid / "]", "[/]": runs_dir / "named"}
    for i, folder in enumerate(folders.values()):
        finished_run(folder.parent, folder.name, [0.5, 0.6], mtime=1_700_000_000 - i)
    write_note(folders["[/]"], RunNote("[/]", NOTE))
    return folders


def shown(app: LenetApp):
    """run_test as the user sees the app: with its notifications (run_test's default leaves them
    out, and with them the one place their text is drawn) and tooltips."""
    return app.run_test(size=SIZE, notifications=True, tooltips=True)


def toasts(app: LenetApp) -> str:
    """The notifications on the screen, squashed (a long path wraps)."""
    return squashed("".join(drawn(app, toast) for toast in app.screen.query(Toast)))


async def pick(pilot, view: RunsView, folder: Path, key: str) -> None:
    """Move the Runs tab's cursor to the run in `folder` and press `key`."""
    view.table.move_cursor(row=view.table.get_row_index(str(folder)), animate=False)
    await pilot.press(key)
    await pilot.pause()


async def list_and_overlay(pilot, view: RunsView, folders: dict[str, Path]) -> None:
    """Every title in the list, the picked ones in the legend and the table beside the plot; a
    click on the action link's text runs nothing."""
    app = pilot.app
    await wait_until(pilot, lambda: view.table.row_count == len(HOSTILE))
    table = drawn(app, view.table)
    assert all(title in table for title in HOSTILE), table
    row = view.table.get_row_index(str(folders["[@click=app.quit]x[/]"]))
    line = table.splitlines()[row + 1]  # under the header
    await pilot.click(view.table, offset=(line.index("[@click") + 17, row + 1))
    assert app.is_running
    for title in ("[/]", "[@click=app.quit]x[/]", "[b]bold"):
        await pick(pilot, view, folders[title], "space")
    legend = drawn(app, app.dashboard.query_one("#runs-legend"))
    compare = drawn(app, app.dashboard.query_one(RunsCompare))
    picked = ("[/]", "[@click=app.quit]x[/]", "[b]bold")
    for shown in short_titles(picked, MAX_TITLE):
        assert shown in legend and shown in compare, (legend, compare)  # long ones lose a middle


async def name_and_delete_dialogs(pilot, view: RunsView, folders: dict[str, Path]) -> None:
    """The note dialog's title and fields, the delete question (the run and its folder)."""
    app = pilot.app
    await pick(pilot, view, folders["[/]"], "n")
    dialog = drawn(app)
    assert "Name and note of named" in dialog and "[/]" in dialog and NOTE in dialog, dialog
    await pilot.press("escape")
    await pick(pilot, view, folders["[b]bold"], "n")
    assert "Name and note of [b]bold" in drawn(app)
    await pilot.press("escape")
    link = folders["[@click=app.quit]x[/]"]
    await pick(pilot, view, link, "d")
    question = squashed(drawn(app, app.screen.query_one(".runs-dialog")))
    assert squashed(f"Delete the run [@click=app.quit]x[/] and every file in {link}?") in question
    await pilot.press("n")
    assert link.is_dir()


async def export_to(pilot, out: Path) -> None:
    """Export the picked runs to `out`: the notification says where, as written."""
    await pilot.press("e")
    path_field = pilot.app.screen.query_one("#export-path", Input)
    path_field.value = str(out)
    path_field.focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: out.is_file())
    await wait_until(pilot, lambda: squashed(f"written to {out}") in toasts(pilot.app))


async def resume_list(pilot, runs_dir: Path, folders: dict[str, Path]) -> None:
    """ctrl+o: the runs folder's path above the list, each run titled as the Runs tab titles it."""
    app = pilot.app
    await pilot.press("ctrl+o")
    await wait_until(pilot, lambda: app.screen.query("#resume-runs"))
    await pilot.pause()
    heading = squashed(drawn(app, app.screen.query_one("#resume-heading")))
    assert squashed(f"Runs kept in {runs_dir}") in heading, heading
    names = drawn(app, app.screen.query_one("#resume-runs"))
    assert all(title in names for title in folders), names
    await pilot.press("escape")


async def test_hostile_names_are_shown_as_written_in_every_tab_list_and_dialog(
    tiny_dataset, tmp_path, monkeypatch
):
    runs_dir = tmp_path / "[" / "]runs"  # its path reads ".../[/]runs"
    monkeypatch.setenv("LENET_TUI_RUNS_DIR", str(runs_dir))
    folders = hostile_runs(runs_dir)
    (tmp_path / "csv[").mkdir()
    app = create_app(QUICK, data=tiny_dataset, devices=["cpu"])
    async with shown(app) as pilot:
        await wait_until(pilot, lambda: app.focused is not None)
        await pilot.press("f4")
        view = app.dashboard.query_one(RunsView)
        await list_and_overlay(pilot, view, folders)
        await name_and_delete_dialogs(pilot, view, folders)
        await export_to(pilot, tmp_path / "csv[" / "]out.csv")  # reads ".../csv[/]out.csv"
        await resume_list(pilot, runs_dir, folders)
        await pilot.press("f1")
        assert "lenet-tui keys" in drawn(app)
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press("escape")
        for key in ("f2", "f3", "f5", "f4"):
            await pilot.press(key)
            await pilot.pause()
        await pilot.press("ctrl+c")  # Textual's own answer is markup: lenet-tui says it plainly
        await wait_until(pilot, lambda: "ctrl+qquitslenet-tui" in toasts(app))
        assert app.is_running


async def test_a_refused_resume_quotes_its_folder_as_written(tiny_dataset, tmp_path):
    folder = tmp_path / "[b]gone[" / "]"  # reads ".../[b]gone[/]"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text("[b]\nnot toml [/]\n")
    app = create_app(data=tiny_dataset, devices=["cpu"], resume=folder)
    async with shown(app) as pilot:
        await wait_until(pilot, lambda: notes(app, "Cannot resume"))
        (refused,) = notes(app, "Cannot resume")
        assert "[b]gone[/]" in refused
        await wait_until(pilot, lambda: squashed(refused) in toasts(app))


async def test_a_grid_in_a_hostile_run_dir_is_shown_as_written(tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # the status panel shows it as ~/[red/]x[b]grid
    run_dir = tmp_path / "[red" / "]x[b]grid"
    app = create_app(QUICK, data=tiny_dataset, devices=["cpu"], run_dir=run_dir)
    async with shown(app) as pilot:
        await fill_in(pilot, vary="pooling=avg,max")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: notes(app, "Grid done"))
        await wait_until(pilot, lambda: not running(app))
        status = squashed(drawn(app, app.dashboard.query_one("#status-table")))
        assert "keptin~/[red/]x[b]grid/" in status, status
        (outcome,) = notes(app, "Grid done")
        assert str(run_dir) in outcome
        await wait_until(pilot, lambda: squashed(outcome) in toasts(app))


async def test_a_ray_grids_table_shows_workers_and_errors_as_written(
    tiny_dataset, tmp_path, monkeypatch
):
    scripted = use_scripted_ray(monkeypatch)
    worker = TrialWorker(4101, "[red]node[/]", 1)
    error = "ValueError: [b]bad [/] data [@click=app.quit]x[/]"

    def script(grid) -> list[GridUpdate]:
        first = grid.runs[0]
        failed = RunFailed(error, traceback="")
        return [*(GridUpdate(run, "waiting") for run in grid.runs), started(first, worker),
                GridUpdate(first, "failed", failed, 1, worker, note=error)]  # fmt: skip

    monkeypatch.setattr(scripted, "script", staticmethod(script))
    run_dir = tmp_path / "[@click=app.quit]x[" / "]grid"
    app = create_app(QUICK, data=tiny_dataset, devices=["cpu"], run_dir=run_dir)
    async with shown(app) as pilot:
        await fill_in(pilot, vary=GRID, ray="local")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: notes(app, "Run failed"))
        await pilot.pause()
        assert "4101@[red]node[/]" in drawn(app, app.dashboard.query_one("#trials-table"))
        assert error in drawn(app, app.dashboard.query_one("#trials-note"))
        for said in (*notes(app, "Grid"), *notes(app, "Run failed")):
            await wait_until(pilot, lambda said=said: squashed(said) in toasts(app))
        assert any(str(run_dir) in said for said in notes(app, "Grid"))
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: not running(app))


def test_every_table_of_the_dashboard_shows_its_text_as_written():
    """DataTable reads a str cell as markup: every table in lenet_tui/ui is a LiteralTable."""
    ui = Path(lenet_tui.ui.__file__).parent
    made = []
    for path in ui.rglob("*.py"):
        if path.name == "literal_table.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            bases = node.bases if isinstance(node, ast.ClassDef) else []
            called = [node.func] if isinstance(node, ast.Call) else []
            made += [
                f"{path.name}:{node.lineno}"
                for name in (*bases, *called)
                if isinstance(name, ast.Name) and name.id == "DataTable"
            ]
    assert not made, f"plain DataTables (use LiteralTable): {made}"
