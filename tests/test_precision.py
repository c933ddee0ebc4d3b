"""--precision bf16: where it may run, what it computes in, and what a bf16 run keeps."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from dashboard_helpers import make_app, notes, running, view, wait_until
from inside_fixtures import confusion_of
from textual.widgets import Select

from lenet_tui.cli import build_parser, config_from_args, main
from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.events import EpochEnd, RunFinished, TrainProgress
from lenet_tui.engine.health import HealthProbe
from lenet_tui.engine.model import build_lenet
from lenet_tui.engine.precision import autocast, check_precision
from lenet_tui.engine.training import Trainer
from lenet_tui.errors import ConfigError, LenetError
from lenet_tui.runs.checkpoint import load_checkpoint
from lenet_tui.runs.config_file import ConfigFileError, dump_config, parse_config
from lenet_tui.runs.driver import RunDriver
from lenet_tui.runs.grid_spec import parse_spec
from lenet_tui.ui.widgets.config_form import ConfigForm

QUICK = TrainConfig(
    lr=0.05,
    epochs=2,
    batch_size=32,
    device="cpu",
    seed=7,
    model=ModelConfig(activation="relu", pooling="max"),
)
BF16 = dataclasses.replace(QUICK, precision="bf16")
NO_BF16 = "this CPU has no native bf16 (AVX512_BF16 or AMX); use fp32"
CPU = torch.device("cpu")


def test_precision_is_fp32_unless_bf16_is_asked_for_by_flag_file_or_grid(tmp_path):
    assert TrainConfig().precision == "fp32"
    assert TrainConfig(precision="fp16").problems() == {
        "precision": "must be one of fp32, bf16, got 'fp16'"
    }
    assert parse_config('precision = "bf16"').precision == "bf16"
    assert parse_config(dump_config(BF16)) == BF16
    for text, problem in [
        ('precision = "fp16"', "c.toml: precision: must be one of fp32, bf16, got 'fp16'"),
        ("precision = 16", "c.toml: precision: must be one of fp32, bf16, got 16"),
    ]:
        with pytest.raises(ConfigFileError) as refused:
            parse_config(text, "c.toml")
        assert str(refused.value) == problem
    file = tmp_path / "bf16.toml"
    file.write_text('precision = "bf16"\n')
    parser = build_parser()
    assert config_from_args(parser.parse_args(["--precision", "bf16"])).precision == "bf16"
    assert config_from_args(parser.parse_args(["--config", str(file)])).precision == "bf16"
    flag_wins = parser.parse_args(["--config", str(file), "--precision", "fp32"])
    assert config_from_args(flag_wins).precision == "fp32"
    assert parse_spec("precision=fp32,bf16").settings[0].values == ("fp32", "bf16")
    with pytest.raises(LenetError, match=r"^--grid: precision=fp16: must be one of fp32, bf16$"):
        parse_spec("precision=fp16")


@pytest.mark.parametrize(
    "args",
    [["--no-ui"], [], ["--no-ui", "--grid", "precision=fp32,bf16"]],
    ids=["headless", "dashboard", "grid"],
)
def test_bf16_on_a_cpu_without_it_exits_2_in_one_line_before_anything_is_written(
    args, no_native_bf16, tiny_data_dir, runs_dir, capsys
):
    code = main([*args, "--precision", "bf16", "--device", "cpu", "--data-dir", str(tiny_data_dir)])
    assert code == 2
    assert capsys.readouterr() == ("", f"lenet-tui: --precision: {NO_BF16}\n")
    assert not runs_dir.exists()


def test_the_engine_refuses_bf16_on_a_cpu_without_it_and_trains_fp32_there(
    no_native_bf16, tiny_dataset
):
    with pytest.raises(ConfigError) as refused:
        Trainer(BF16, tiny_dataset)
    assert (refused.value.field, refused.value.problem) == ("precision", NO_BF16)
    assert isinstance(list(Trainer(QUICK, tiny_dataset).run())[-1], RunFinished)


async def test_the_form_offers_bf16_and_a_cpu_without_it_refuses_the_start(
    no_native_bf16, tiny_dataset
):
    app = make_app(tiny_dataset)
    async with app.run_test() as pilot:
        select = app.query_one("#field-precision", Select)
        assert [value for _, value in select._options] == ["fp32", "bf16"]
        select.value = "bf16"
        await pilot.pause()
        assert app.query_one(ConfigForm).config.precision == "bf16"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: notes(app, "Cannot start"))
        assert notes(app, "Cannot start") == [f"precision: {NO_BF16}"]
        assert not running(app)


async def test_a_bf16_run_from_the_form_says_bf16_beside_its_device(native_bf16, tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test() as pilot:
        app.query_one("#field-precision", Select).value = "bf16"
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: view(app).state == "finished")
        assert view(app).device == "cpu (bf16 autocast)"
        assert app.dashboard.last_folder.joinpath("config.toml").read_text().count("bf16") == 1


def dtypes_seen(trainer: Trainer) -> tuple[set, set, list]:
    """The dtypes conv1 put out in training steps and in test passes, and the events."""
    training, testing = set(), set()
    events = trainer.run()
    started = [next(events)]  # the model exists from RunStarted on

    def note(module, inputs, output):
        (training if module.training else testing).add(output.dtype)

    trainer.model[0].register_forward_hook(note)
    return training, testing, started + list(events)


def test_a_bf16_run_steps_in_bf16_tests_in_fp32_and_keeps_fp32_weights(native_bf16, tiny_dataset):
    trainer = Trainer(BF16, tiny_dataset)
    training, testing, events = dtypes_seen(trainer)
    assert (training, testing) == ({torch.bfloat16}, {torch.float32})
    assert {p.dtype for p in trainer.model.parameters()} == {torch.float32}
    assert {p.grad.dtype for p in trainer.model.parameters()} == {torch.float32}
    reports = [e for e in events if isinstance(e, TrainProgress)]
    assert reports[-1].train_loss < reports[0].train_loss * 0.7  # it learns
    assert all(torch.isfinite(torch.tensor([h.mean, h.std])).all() for h in reports[-1].activations)
    fp32 = Trainer(QUICK, tiny_dataset)
    assert dtypes_seen(fp32)[:2] == ({torch.float32}, {torch.float32})


def test_a_bf16_run_keeps_its_precision_and_its_epochs_agree_with_the_errors_tab(
    native_bf16, tiny_dataset, tmp_path
):
    with RunDriver.new(BF16, tiny_dataset, tmp_path / "run") as driver:
        for event in driver.run():
            if isinstance(event, EpochEnd):  # the Errors tab lists the snapshot's predictions
                assert event.confusion == confusion_of(driver.snapshot())
    started = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[0])
    assert started["event"] == "run_started" and started["config"]["precision"] == "bf16"
    assert driver.folder.read_config().precision == "bf16"
    assert 'precision = "bf16"' in (tmp_path / "run" / "config.toml").read_text()
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt", BF16).state.epoch == 2


def test_the_headless_header_says_bf16(native_bf16, tiny_data_dir, tmp_path, capsys):
    args = ["--no-ui", "--epochs", "1", "--device", "cpu", "--precision", "bf16"]
    assert main([*args, "--data-dir", str(tiny_data_dir), "--run-dir", str(tmp_path / "r")]) == 0
    assert "device: cpu (bf16 autocast), seed: 0," in capsys.readouterr().out


def test_layer_health_of_a_bf16_step_reads_as_the_fp32_one(tiny_dataset):
    """Activations come out in bf16 under autocast; their std is a difference of moments,
    which bf16's 8-bit mantissa would ruin."""
    model = build_lenet(ModelConfig(), seed=0)
    x = tiny_dataset.train_images[:256].float().div(255).unsqueeze(1)
    figures = {}
    for precision in ("fp32", "bf16"):
        probe = HealthProbe(model)
        probe.arm()
        with autocast(precision, CPU):
            model(x)
        probe.disarm()
        figures[precision] = probe.read(probe.figures().tolist())[1]
    for fp32, bf16 in zip(figures["fp32"], figures["bf16"], strict=True):
        assert bf16.mean == pytest.approx(fp32.mean, rel=0.02)
        assert bf16.std == pytest.approx(fp32.std, rel=0.05)


def test_a_gpu_without_native_bf16_is_named_in_the_refusal(monkeypatch):
    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device: (7, 5))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: "Tesla T4")
    with pytest.raises(ConfigError) as refused:
        check_precision("bf16", torch.device("cuda:0"))
    assert refused.value.problem == (
        "cuda:0 (Tesla T4) has no native bf16 (compute capability 8.0+); use fp32"
    )
    check_precision("fp32", torch.device("cuda:0"))  # fp32 runs anywhere
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device: (8, 0))
    check_precision("bf16", torch.device("cuda:0"))
