"""Dashboard runs are kept in run folders and can be resumed from the dashboard (ctrl+o)."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import pytest
from dashboard_helpers import SIZE, make_app, notes, running, shown, view, wait_until
from event_fixtures import epoch_end, started
from run_folder_fixtures import MTIME, make_run
from textual.widgets import DataTable

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.events import EpochEnd
from lenet_tui.engine.training import Trainer
from lenet_tui.runs.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from lenet_tui.runs.history import GRID_MARK
from lenet_tui.runs.notes import RunNote, write_note
from lenet_tui.ui.app import create_app
from lenet_tui.ui.screens import dashboard as dashboard_module
from lenet_tui.ui.screens.resume import ResumeScreen
from lenet_tui.ui.widgets.metrics_plot import MetricsPlot

RUN = TrainConfig(epochs=4, batch_size=32, device="cpu", seed=3)
"""16 steps per epoch on the tiny data; long enough to stop in the middle of."""


@pytest.fixture
def stop_after_epoch(monkeypatch):
    """As if the user pressed ctrl+x just after epoch k ended, in the first run only."""

    def arrange(k: int) -> None:
        original, armed = Trainer.run, [True]

        def run(self):
            for event in original(self):
                yield event
                if armed[0] and isinstance(event, EpochEnd) and event.epoch == k:
                    armed[0] = False
                    self.request_stop()

        monkeypatch.setattr(Trainer, "run", run)

    return arrange


def events(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


async def run_to_end(app, pilot, state: str = "finished") -> None:
    await wait_until(pilot, lambda: view(app).state == state and not running(app))
    await app.workers.wait_for_complete()


async def resume_refusal(app, pilot) -> str:
    """Pick the highlighted kept run with ctrl+o, Enter; the one-line reason it was refused."""
    await pilot.press("ctrl+o", "enter")
    await wait_until(pilot, lambda: notes(app, "Cannot resume"))
    (note,) = notes(app, "Cannot resume")
    return note


async def test_a_dashboard_run_is_kept_in_its_own_folder(tiny_dataset, runs_dir):
    app = make_app(tiny_dataset, RUN)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await run_to_end(app, pilot)
        folder = app.dashboard.last_folder
        assert folder.parent == runs_dir
        assert "kept in" in shown(app, "#status-table") and folder.name in view(app).run_dir

    assert sorted(p.name for p in folder.iterdir()) == [
        "checkpoint.pt",
        "config.toml",
        "confusion.csv",
        "metrics.jsonl",
        "per_class.csv",
    ]
    logged = events(folder)
    assert logged[0]["event"] == "run_started"
    assert logged[-1]["event"] == "run_finished"
    assert [e["epoch"] for e in logged if e["event"] == "epoch_end"] == [1, 2, 3, 4]
    assert load_checkpoint(folder / "checkpoint.pt", RUN).state.epoch == 4
    assert view(app).summary[0] == (
        f"loss {logged[-1]['train_loss']:.3f}, train acc {logged[-1]['train_acc']:.3f}, "
        f"test acc {logged[-1]['test_acc']:.3f}"
    )


async def test_run_dir_holds_the_first_run_and_later_ones_get_new_folders(
    tiny_dataset, tmp_path, runs_dir
):
    chosen = tmp_path / "my-run"
    app = create_app(dataclasses.replace(RUN, epochs=1), data=tiny_dataset, run_dir=chosen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await run_to_end(app, pilot)
        assert app.dashboard.last_folder == chosen
        await pilot.press("ctrl+n", "ctrl+r")
        await wait_until(pilot, lambda: app.dashboard.last_folder not in (None, chosen))
        await run_to_end(app, pilot)
        assert app.dashboard.last_folder.parent == runs_dir
    assert events(chosen)[-1]["event"] == "run_finished"


async def test_a_stopped_run_resumed_with_ctrl_o_ends_as_an_uninterrupted_one(
    tiny_dataset, stop_after_epoch
):
    straight = make_app(tiny_dataset, RUN)
    async with straight.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await run_to_end(straight, pilot)
    expected = events(straight.dashboard.last_folder)[-1]

    stop_after_epoch(2)
    app = make_app(tiny_dataset, RUN)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await run_to_end(app, pilot, "stopped")
        folder = app.dashboard.last_folder
        assert view(app).message.startswith("stopped in epoch 3, step 33; ")
        assert view(app).message.endswith(
            "its checkpoint at the end of epoch 2 is kept: ctrl+o resumes it"
        )

        await pilot.press("ctrl+o")
        screen = app.screen
        assert isinstance(screen, ResumeScreen)
        table = screen.query_one(DataTable)
        assert screen.highlighted.folder.path == folder  # the run just stopped comes first
        assert [str(cell) for cell in table.get_row_at(table.cursor_row)[1:3]] == [
            "stopped",
            "2 / 4",
        ]
        await pilot.press("enter")
        await run_to_end(app, pilot)
        assert app.dashboard.last_folder == folder and view(app).start_epoch == 2
        assert view(app).message == "resumed after epoch 2"
        plot = app.query_one(MetricsPlot)
        assert plot._test[0] == [1, 2, 3, 4]  # epochs 1 and 2 replayed from the metrics
        assert min(plot._train[0]) < 1 and max(plot._train[0]) == 4

    logged = events(folder)
    assert logged[-1] == {**expected, "seconds": logged[-1]["seconds"],
                          "examples_per_sec": logged[-1]["examples_per_sec"]}  # fmt: skip
    assert [e["epoch"] for e in logged if e["event"] == "epoch_end"] == [1, 2, 3, 4]
    assert [e["event"] for e in logged].count("run_stopped") == 0  # trimmed on resume


async def test_a_finished_run_is_listed_but_not_resumed(tiny_dataset):
    app = make_app(tiny_dataset, dataclasses.replace(RUN, epochs=1))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await run_to_end(app, pilot)
        await pilot.press("ctrl+o")
        screen = app.screen
        assert isinstance(screen, ResumeScreen) and len(screen.runs) == 1
        assert screen.highlighted.state == "finished"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and not running(app)  # still choosing; nothing started
        assert any("finished all 1 epochs" in note for note in notes(app))
        await pilot.press("escape")
        assert not isinstance(app.screen, ResumeScreen)


async def test_resume_at_start_loads_the_runs_own_data_and_goes_on(tiny_data_dir, stop_after_epoch):
    stop_after_epoch(1)
    first = create_app(RUN, data_source=DataSource(tiny_data_dir), devices=["cpu"])
    async with first.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: first.dashboard.data is not None)
        await pilot.press("ctrl+r")
        await run_to_end(first, pilot, "stopped")
    folder = first.dashboard.last_folder

    app = create_app(TrainConfig(), resume=folder, devices=["cpu"])  # as `lenet-tui --resume`
    async with app.run_test(size=SIZE) as pilot:
        await run_to_end(app, pilot)
        assert (
            app.dashboard.data.description == first.dashboard.data.description
        )  # the run's --data-dir, found again
        assert app.dashboard.last_folder == folder
    assert [e["epoch"] for e in events(folder) if e["event"] == "epoch_end"] == [1, 2, 3, 4]


async def test_a_damaged_checkpoint_is_refused_and_nothing_runs(tiny_dataset, stop_after_epoch):
    stop_after_epoch(1)
    app = make_app(tiny_dataset, RUN)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await run_to_end(app, pilot, "stopped")
        checkpoint = app.dashboard.last_folder / "checkpoint.pt"
        checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
        before = (app.dashboard.last_folder / "metrics.jsonl").read_bytes()

        assert await resume_refusal(app, pilot) == (
            f"{checkpoint}: refused: damaged or not a checkpoint (RuntimeError); resume from a "
            "run folder this program wrote, or start a new run"
        )
        assert not running(app) and view(app).state == "stopped"
    assert (app.dashboard.last_folder / "metrics.jsonl").read_bytes() == before


async def test_a_run_trained_on_other_data_is_refused(tiny_dataset, stop_after_epoch):
    stop_after_epoch(1)
    app = make_app(tiny_dataset, RUN)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await run_to_end(app, pilot, "stopped")
        folder = app.dashboard.last_folder
        saved = load_checkpoint(folder / "checkpoint.pt")
        moved = Checkpoint(saved.state, DataSource(Path("/srv/other-data")))
        save_checkpoint(folder / "checkpoint.pt", moved)

        assert await resume_refusal(app, pilot) == (
            f"{folder}: trained on the /srv/other-data data, not the bundled data loaded here; "
            f"quit and run lenet-tui --resume {folder} (add --data-dir DIR if that data has moved)"
        )
        assert not running(app)


async def test_data_named_on_the_command_line_is_taken_for_a_moved_run(
    tiny_data_dir, stop_after_epoch
):
    """As `--no-ui --resume RUN --data-dir NEW` does: the user's word, the set's size checked."""
    stop_after_epoch(1)
    first = create_app(RUN, data_source=DataSource(tiny_data_dir), devices=["cpu"])
    async with first.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: first.dashboard.data is not None)
        await pilot.press("ctrl+r")
        await run_to_end(first, pilot, "stopped")
    path = first.dashboard.last_folder / "checkpoint.pt"
    saved = load_checkpoint(path)
    save_checkpoint(path, Checkpoint(saved.state, DataSource(Path("/srv/where-it-was"))))

    app = create_app(TrainConfig(), resume=first.dashboard.last_folder,
                     data_source=DataSource(tiny_data_dir), devices=["cpu"])  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await run_to_end(app, pilot)
    assert events(first.dashboard.last_folder)[-1]["event"] == "run_finished"


async def test_run_keys_wait_while_a_list_or_the_help_is_open(tiny_dataset):
    app = make_app(tiny_dataset, RUN)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o", "ctrl+o")
        assert [type(s).__name__ for s in app.screen_stack] == ["DashboardScreen", "ResumeScreen"]
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not running(app)
        await pilot.press("escape", "f1", "ctrl+r")
        await pilot.pause()
        assert not running(app)
        await pilot.press("escape", "ctrl+r")
        await wait_until(pilot, lambda: running(app) or view(app).state == "finished")


async def test_a_failed_resume_while_the_data_loads_leaves_one_load(
    tiny_dataset, stop_after_epoch, monkeypatch
):
    stop_after_epoch(1)
    kept = make_app(tiny_dataset, RUN)
    async with kept.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await run_to_end(kept, pilot, "stopped")
    (kept.dashboard.last_folder / "checkpoint.pt").write_bytes(b"damaged")

    release, loads = threading.Event(), []

    def slow_load(source: DataSource, dataset: str):
        loads.append(source)
        release.wait(60)
        return tiny_dataset

    monkeypatch.setattr(dashboard_module, "load_dataset", slow_load)
    app = create_app(RUN, devices=["cpu"])
    async with app.run_test(size=SIZE) as pilot:
        await resume_refusal(app, pilot)  # the damaged checkpoint, while the data loads
        release.set()
        await wait_until(pilot, lambda: app.dashboard.data is not None)
        await app.workers.wait_for_complete()
        assert len(loads) == 1 and view(app).state == "ready" and not running(app)


async def test_odd_numbers_in_a_runs_metrics_do_not_stop_its_resume(tiny_dataset, stop_after_epoch):
    stop_after_epoch(2)
    app = make_app(tiny_dataset, RUN)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await run_to_end(app, pilot, "stopped")
        metrics = app.dashboard.last_folder / "metrics.jsonl"
        lines = metrics.read_text().splitlines(keepends=True)
        odd = ['{"event": "epoch_end", "epoch": NaN, "test_acc": 0.5}\n',
               '{"event": "train_progress", "epoch": 0.5, "train_loss": Infinity, '
               '"train_acc": true}\n']  # fmt: skip
        metrics.write_text("".join(lines[:3] + odd + lines[3:]))
        await pilot.press("ctrl+o", "enter")
        await run_to_end(app, pilot)
        assert app.query_one(MetricsPlot)._test[0] == [1, 2, 3, 4]


async def test_with_no_kept_runs_the_list_says_so(tiny_dataset, runs_dir):
    app = make_app(tiny_dataset, RUN)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, ResumeScreen)
        assert shown(app.screen, "#resume-heading") == (
            f"No runs kept in {runs_dir} yet. A run started with ctrl+r is kept there."
        )
        await pilot.press("enter")
        assert not isinstance(app.screen, ResumeScreen) and not running(app)


async def test_the_list_names_runs_as_the_runs_tab_does(tiny_dataset, runs_dir):
    grid = runs_dir / "20260101-120000-grid"
    grid.mkdir(parents=True)
    (grid / GRID_MARK).write_text("")  # the mark of a grid's folder is enough for a list
    make_run(grid, "pooling=max", [started(), epoch_end(1)], mtime=MTIME + 1)
    named = make_run(runs_dir, "20260101-130000", [started(), epoch_end(1)])
    write_note(named.path, RunNote(name="[bold]sigmoid baseline[/]"))
    app = make_app(tiny_dataset, RUN)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[0] for row in rows] == [  # its grid's name before it; a given name, as typed
            "20260101-120000-grid/pooling=max",
            "[bold]sigmoid baseline[/]",
        ]
        assert rows[0][-1] == "sigmoid·avg 6-16 k5"  # the model as the Runs tab sums it up
