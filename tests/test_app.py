"""The dashboard driven with Pilot as a user would: keys in, what the screen holds out."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import torch
from dashboard_helpers import (
    SHORT,
    SIZE,
    as_if_running,
    make_app,
    notes,
    running,
    settle,
    shown,
    view,
    wait_until,
)
from inside_fixtures import rendered
from rich.console import Console
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets import Button, ContentSwitcher, Select, Static, TabbedContent

from lenet_tui.engine import training
from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.inspection import Inspector
from lenet_tui.engine.model import build_lenet
from lenet_tui.runs.folder import RunFolder, is_being_trained
from lenet_tui.ui.app import LenetApp, create_app
from lenet_tui.ui.screens import dashboard as dashboard_module
from lenet_tui.ui.screens.help import HelpScreen
from lenet_tui.ui.widgets.activation_viewer import ActivationViewer
from lenet_tui.ui.widgets.config_form import ConfigForm
from lenet_tui.ui.widgets.layer_table import LayerTable
from lenet_tui.ui.widgets.metrics_plot import MetricsPlot

LONG = TrainConfig(epochs=1000, batch_size=8, device="cpu")
"""Runs far longer than any test waits: for stopping and quitting mid-run."""


def field(app: LenetApp, name: str):
    return app.query_one(f"#field-{name}")


async def type_into(pilot, name: str, text: str) -> None:
    """Focus a form field, select what is there (as focusing does) and type over it."""
    widget = field(pilot.app, name)
    widget.focus()
    await pilot.pause()
    widget.select_all()
    await pilot.press(*text)


async def test_form_opens_with_command_line_values(tiny_dataset):
    app = make_app(tiny_dataset, TrainConfig(lr=0.5, epochs=3, seed=None))
    async with app.run_test(size=SIZE):
        assert field(app, "lr").value == "0.5"
        assert field(app, "epochs").value == "3"
        assert field(app, "seed").value == "random"
        assert app.focused is field(app, "lr")


async def test_the_forms_data_line_is_shown_whole_at_80_columns(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)  # the given data is announced after the first layout
        line = app.query_one("#form-data", Static)
        text = Text(str(line.content))
        assert text.plain == f"data: {tiny_dataset.description}"
        rows = len(text.wrap(Console(), line.size.width))
        assert line.size.height == rows > 1  # not its first row only, as it read "loading…"


async def test_invalid_values_are_flagged_and_block_the_start(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "lr", "0")
        await type_into(pilot, "kernel_size", "40")
        form = app.query_one(ConfigForm)
        assert set(form.problems) == {"lr", "kernel_size"}
        assert field(app, "lr").has_class("invalid")
        assert not field(app, "epochs").has_class("invalid")
        problems = shown(app, "#form-problems")
        assert "learning rate: must be a number > 0" in problems
        assert "kernel size: must be an integer in 1..13, got 40" in problems
        assert app.query_one("#form-start", Button).disabled

        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not running(app) and app.query_one("#side", ContentSwitcher).current == "form"

        await type_into(pilot, "lr", "0.5")
        await type_into(pilot, "kernel_size", "3")
        assert form.problems == {}
        assert form.config.lr == 0.5 and form.config.model.kernel_size == 3
        assert not app.query_one("#form-start", Button).disabled


async def test_text_in_a_number_field_is_named_in_place(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "channels", "6;16")
        await type_into(pilot, "seed", "abc")
        problems = app.query_one(ConfigForm).problems
        assert problems["channels"] == "expected 1 to 3 integers like 6,16, got '6;16'"
        assert problems["seed"] == "must be an integer in 0..2**63-1 or \"random\", got 'abc'"


async def test_a_preset_mends_a_form_with_invalid_fields(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "momentum", "x")
        form = app.query_one(ConfigForm)
        assert form.config is None and field(app, "preset").value == "custom"
        field(app, "preset").focus()
        await pilot.press("enter", "up", "enter")  # open at "custom", pick the modern preset
        await pilot.pause()
        assert form.problems == {} and field(app, "momentum").value == "0.9"
        assert form.config.schedule == "onecycle" and field(app, "preset").value == "modern"


async def test_model_options_and_preset_update_the_layer_table(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(LayerTable)
        await wait_until(pilot, lambda: table.row_count == 13)  # 12 layers and the total
        assert str(table.get_row_at(12)[2]) == "61,706"  # the book's parameter count

        field(app, "preset").focus()
        await pilot.press("enter", "down", "enter")  # open, pick the modern preset
        await pilot.pause()
        config = app.query_one(ConfigForm).config
        assert (config.model.activation, config.model.pooling, config.model.batch_norm) == (
            "relu",
            "max",
            True,
        )
        assert (config.lr, config.momentum, config.schedule) == (0.2, 0.9, "onecycle")

        def names() -> list[str]:
            return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

        await wait_until(
            pilot, lambda: names()[:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
        )

        await type_into(pilot, "channels", "8,20")
        await wait_until(pilot, lambda: str(table.get_row_at(0)[1]) == "1 × 8 × 28 × 28")
        field(app, "activation").focus()
        await pilot.press("enter", "up", "enter")  # back to sigmoid: no preset matches now
        await pilot.pause()
        assert field(app, "preset").value == "custom"


async def test_a_short_run_updates_plot_status_table_and_maps(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: view(app).state == "finished")

        plot = app.query_one(MetricsPlot)
        assert len(plot._test[0]) == 2  # test acc once per epoch
        assert len(plot._train[0]) >= 2 * 5  # at least five train points per epoch
        status = view(app)
        assert (status.epoch, status.epochs, status.device) == (2.0, 2, "cpu")
        assert status.examples_per_sec > 0 and status.test_acc is not None
        assert re.fullmatch(
            r"loss \d\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}", status.summary[0]
        )
        assert re.fullmatch(r"\d+\.\d examples/sec on cpu", status.summary[1])
        assert status.summary[0] in shown(app, "#status-summary")
        speed = status.summary[1].removesuffix(" on cpu")  # one figure for it, the summary's
        assert re.findall(r"[\d,.]+ examples/sec", shown(app, "#status-table")) == [speed]
        await wait_until(pilot, lambda: not running(app))  # the session heard the run end
        assert [n for n in notes(app) if n.startswith("run ")] == [
            "run finished: ctrl+n for a new run"
        ]
        viewer = app.query_one(ActivationViewer)
        assert viewer.inspection is None  # nothing drawn, nor computed, while its tab is hidden
        await pilot.press("f3")
        await wait_until(pilot, lambda: viewer.inspection is not None)
        assert viewer.inspection.epoch == 2  # the trained weights, not the untrained preview
        assert (
            app.dashboard.check_action("start", ()) is True
            and app.dashboard.check_action("stop", ()) is False
        )


async def test_shown_maps_follow_each_epoch_of_a_run(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        viewer = app.query_one(ActivationViewer)
        await wait_until(pilot, lambda: viewer.inspection is not None)
        assert viewer.inspection.epoch == 0  # the untrained weights before a run
        seen: set[int] = set()
        original = viewer.show_weights

        def show_weights(inspector):
            seen.add(inspector.epoch)
            original(inspector)

        viewer.show_weights = show_weights
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: view(app).state == "finished")
        await wait_until(pilot, lambda: viewer.inspection.epoch == 2)
        assert seen == {0, 1, 2}  # the run's start, then after each epoch


async def test_no_worker_thread_outlives_its_work(tiny_dataset):
    """An idle thread left with an OpenMP pool slows the next run's training (worker_threads)."""
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: view(app).state == "finished")
        await pilot.press("f3")
        await wait_until(pilot, lambda: app.query_one(ActivationViewer).inspection is not None)
        await app.workers.wait_for_complete()
        for thread in threading.enumerate():
            if thread.name.startswith("lenet-tui"):
                thread.join(timeout=10)  # a finished worker's thread may still be unwinding
        assert [t.name for t in threading.enumerate() if t.name.startswith("lenet-tui")] == []
        assert [t.name for t in threading.enumerate() if t.name.startswith("asyncio")] == []


async def test_picking_a_coat_then_a_pullover_changes_the_heatmaps(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        viewer = app.query_one(ActivationViewer)
        assert app.focused is viewer

        async def pick(key: str):
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            return viewer.inspection

        coat = await pick("4")
        conv1, conv2 = coat.convs
        assert coat.label == 4 and len(conv1) == 6 and len(conv2) == 16
        assert (len(conv1[0]), len(conv2[0][0])) == (28, 10)
        pullover = await pick("2")
        assert pullover.label == 2
        assert all(p != c for p, c in zip(pullover.convs, coat.convs, strict=True))
        next_pullover = await pick("2")
        assert next_pullover.label == 2 and next_pullover.index > pullover.index
        following = await pick("right")
        assert following.index == next_pullover.index + 1
        assert sum(p for _, p in following.top3) <= 1.0 + 1e-6

        wrong = await pick("m")  # the untrained network gets most images wrong
        assert wrong.predicted != wrong.label


async def test_stop_during_a_run(tiny_dataset):
    app = make_app(tiny_dataset, LONG)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: view(app).train_loss is not None)
        assert running(app) and app.dashboard.check_action("start", ()) is False
        assert app.query_one(ConfigForm).disabled  # hidden, so keys cannot edit it unseen
        await pilot.press("ctrl+x")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: not running(app))
        assert view(app).state == "stopped"
        assert re.fullmatch(
            r"stopped in epoch \d+, step \d+; its checkpoint at the (start of training|end of "
            r"epoch \d+) is kept: ctrl\+o resumes it",
            view(app).message,
        )
        assert view(app).epoch < 10  # of 1000: it stopped promptly, not at the end
        # the notification gives the panel's hint, and nothing else on screen contradicts it
        assert [n for n in notes(app) if n.startswith("run ")] == ["run stopped: ctrl+o resumes it"]
        assert shown(app, "#status-summary").endswith("ctrl+o resumes it")
        assert not any("ctrl+n" in n for n in notes(app))

        await pilot.press("ctrl+n")  # a new run starts from the form, last values kept
        assert app.query_one("#side", ContentSwitcher).current == "form"
        assert field(app, "epochs").value == "1000"
        assert app.focused is field(app, "lr")


async def test_quit_during_a_run_stops_the_worker_first(tiny_dataset):
    app = make_app(tiny_dataset, LONG)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: view(app).train_loss is not None)
        folder = app.dashboard.last_folder
        assert is_being_trained(RunFolder(folder))
        await pilot.press("ctrl+q")
    assert not is_being_trained(RunFolder(folder))  # the worker ended and let the folder go
    metrics = (folder / "metrics.jsonl").read_text().splitlines()
    assert json.loads(metrics[-1])["event"] == "run_stopped"  # stopped after its batch, whole
    assert (folder / "checkpoint.pt").is_file()


async def test_a_failing_run_is_shown_not_a_dead_screen(tiny_dataset, monkeypatch):
    def broken_step(*args, **kwargs):
        raise RuntimeError("out of memory (simulated)")

    monkeypatch.setattr(training, "_train_step", broken_step)
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: view(app).state == "failed")
        assert view(app).message == "training failed: RuntimeError: out of memory (simulated)"
        assert "out of memory" in shown(app, "#status-summary")
        assert not running(app)
        await pilot.press("ctrl+n")
        assert app.query_one("#side", ContentSwitcher).current == "form"


async def test_missing_data_is_reported_and_runs_are_refused(tmp_path: Path):
    app = create_app(SHORT, data_source=DataSource(tmp_path), devices=["cpu"])
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: view(app).state == "failed")
        assert "no Fashion-MNIST IDX files found" in view(app).message
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not running(app)


async def test_the_forms_start_button_starts_a_run(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#form-start")
        await wait_until(pilot, lambda: view(app).state == "finished")
        assert view(app).summary


async def test_help_screen_lists_the_keys(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_device_choices_are_only_those_present(tiny_dataset):
    app = create_app(SHORT, data=tiny_dataset, devices=["cuda:0", "cpu"])
    async with app.run_test(size=SIZE):
        select = app.query_one("#field-device", Select)
        assert [v for _, v in select._options] == ["auto", "cuda:0", "cpu"]


async def test_command_line_model_options_survive_into_the_form(tiny_dataset):
    config = TrainConfig(lr=0.3, model=ModelConfig(activation="relu", pooling="max"))
    app = make_app(tiny_dataset, config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.query_one(ConfigForm).config == config
        assert field(app, "preset").value == "custom"
        table = app.query_one(LayerTable)
        await wait_until(pilot, lambda: table.row_count == 13)
        assert str(table.get_row_at(1)[0]) == "ReLU"


async def test_the_viewer_works_before_a_run_when_the_data_loads_in_the_background(
    tiny_data_dir,
):
    app = create_app(SHORT, data_source=DataSource(tiny_data_dir), devices=["cpu"])
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.dashboard.data is not None)
        await pilot.press("f3", "4")
        viewer = app.query_one(ActivationViewer)
        await wait_until(pilot, lambda: viewer.inspection is not None)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert viewer.inspection.label == 4 and viewer.inspection.epoch == 0


async def test_quick_key_presses_add_up(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        await pilot.press(*["right"] * 5)  # faster than the maps are computed
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.query_one(ActivationViewer).inspection.index == 5


async def test_weights_of_a_diverged_run_are_shown_not_a_crash(tiny_dataset):
    net = build_lenet()
    with torch.no_grad():
        net[0].weight.fill_(float("nan"))
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        viewer = app.query_one(ActivationViewer)
        viewer.show_weights(Inspector(net, tiny_dataset, epoch=1))
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: viewer.inspection.epoch == 1)
        assert not viewer.inspection.finite
        assert "the run diverged" in shown(app, "#viewer-prediction")


async def test_the_command_palette_offers_the_run_actions(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert len(titles) == len(set(titles))  # each once: no second "Keys", no "Screenshot"
        assert not {"Keys", "Screenshot", "Quit"} & set(titles)
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        named = {"Start training (ctrl+r)", "Stop training (ctrl+x)", "New run (ctrl+n)",
                 "Show activations (F3)", "Save screen (ctrl+s)", "Keys (F1)",
                 "Quit (ctrl+q)"}  # fmt: skip
        assert named <= set(commands)
        commands["Compare runs (F4)"].callback()
        await wait_until(pilot, lambda: app.query_one(TabbedContent).active == "runs")
        commands["Where it errs (F5)"].callback()
        await wait_until(pilot, lambda: app.query_one(TabbedContent).active == "errors")


async def test_a_palette_action_that_cannot_run_now_says_why(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.dashboard.data is not None)
        await pilot.press("ctrl+p", *"stop training")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, CommandPalette)
                and app.screen.query_one(CommandList).option_count == 1
            ),
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: notes(app))
        assert notes(app) == ["no run is training"]
        assert not running(app)


async def test_start_before_the_data_is_loaded_starts_once_it_is(tiny_dataset, monkeypatch):
    release = threading.Event()

    def slow_load(source: DataSource, dataset: str):  # holds the loader until a key is pressed
        release.wait(timeout=60)
        return tiny_dataset

    monkeypatch.setattr(dashboard_module, "load_dataset", slow_load)
    app = create_app(SHORT, devices=["cpu"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        assert app.dashboard.data is None and not running(app)
        release.set()
        await wait_until(pilot, lambda: view(app).state == "finished")
        assert view(app).summary


async def test_a_starting_run_waits_for_its_first_report_rather_than_offer_ctrl_r(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        plot = app.query_one(MetricsPlot)
        await wait_until(pilot, lambda: "ctrl+r starts a run" in rendered(plot))  # the form's
        await as_if_running(pilot, [])  # ctrl+r pressed: no report has come yet
        assert "waiting for the first report" in rendered(plot)
        assert "ctrl+r" not in rendered(plot)


async def test_an_empty_plot_follows_the_epochs_field(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "epochs", "7")
        assert app.query_one(MetricsPlot)._epochs == 7


async def test_a_diverging_run_says_so_and_offers_the_form(tiny_dataset):
    app = make_app(tiny_dataset, TrainConfig(lr=1e30, epochs=3, batch_size=32, device="cpu"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: not running(app))
        assert view(app).state == "diverged"
        assert re.fullmatch(
            r"diverged at epoch 1, step \d+ — learning rate too high\? The last good checkpoint "
            r"\(the start of training\) is kept\.",
            view(app).message,
        )
        assert (app.dashboard.last_folder / "checkpoint.pt").is_file()
        assert "learning rate too high?" in shown(app, "#status-summary")
        ending = [n for n in notes(app) if n.startswith(("run ", "diverged"))]
        assert ending == [view(app).message.split(" The last")[0]]  # the alert alone
        await pilot.press("ctrl+n")
        assert app.query_one("#side", ContentSwitcher).current == "form"
