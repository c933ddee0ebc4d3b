"""The one table of settings: each setting goes through every front end made from it and comes
back as it went in (the flag, a settings file, the form, a grid spec)."""

from __future__ import annotations

import dataclasses

import pytest
from dashboard_helpers import make_app
from textual.widget import Widget

from lenet_tui.cli import build_parser, config_from_args
from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.settings import BY_NAME, SETTINGS, with_values
from lenet_tui.runs.config_file import dump_config, parse_config
from lenet_tui.runs.grid_spec import parse_spec
from lenet_tui.ui.widgets.config_form import ConfigForm

BASE = TrainConfig()
CASES = [
    {"dataset": "mnist"},
    {"lr": 0.05},
    {"epochs": 3},
    {"batch_size": 32},
    {"optimizer": "adam"},
    {"momentum": 0.9},
    {"momentum": 0.5, "nesterov": True},  # Nesterov needs SGD momentum
    {"weight_decay": 0.001},
    {"schedule": "cosine"},
    {"augment": "shift"},
    {"patience": 2},
    {"device": "cpu"},
    {"precision": "bf16"},
    {"seed": 7},
    {"seed": None},  # random
    {"reports_per_epoch": 5},
    {"activation": "relu"},
    {"pooling": "max"},
    {"batch_norm": True},
    {"init": "kaiming"},
    {"channels": (8, 4)},
    {"kernel_size": 3},
    {"hidden": ()},  # none
    {"hidden": (100,)},
]
"""A value other than the default of every setting, with what it needs of the others."""


def default(name: str) -> object:
    return getattr(BASE.model if BY_NAME[name].model else BASE, name)


def case_id(case: dict) -> str:
    return ",".join(f"{name}={BY_NAME[name].show(value)}" for name, value in case.items())


def test_the_table_has_every_setting_of_a_run_once_and_each_is_tried_here():
    train = [f.name for f in dataclasses.fields(TrainConfig) if f.name != "model"]
    model = [f.name for f in dataclasses.fields(ModelConfig)]
    assert sorted(s.name for s in SETTINGS if not s.model) == sorted(train)
    assert sorted(s.name for s in SETTINGS if s.model) == sorted(model)
    assert len(BY_NAME) == len(SETTINGS)
    tried = {name for case in CASES for name in case}
    assert tried == set(BY_NAME)
    assert all(with_values(BASE, case).problems() == {} for case in CASES)
    flags = {flag for action in build_parser()._actions for flag in action.option_strings}
    assert {s.flag for s in SETTINGS if s.flag in flags} == {s.flag for s in SETTINGS if s.help}
    help_text = "".join(build_parser().format_help().split())  # however argparse wraps it
    assert all("".join(s.help.split()) in help_text for s in SETTINGS if s.help)
    assert all(any(case[n] != default(n) for n in case) for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_each_setting_round_trips_through_its_flag(case):
    argv = []
    for name, value in case.items():
        setting = BY_NAME[name]
        if setting.help is None:
            continue
        if setting.kind == "bool":
            argv.append(setting.flag if value else f"--no-{setting.flag[2:]}")
        else:
            argv += [setting.flag, setting.show(value)]
    flagged = {name: value for name, value in case.items() if BY_NAME[name].help is not None}
    assert config_from_args(build_parser().parse_args(argv)) == with_values(BASE, flagged)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_each_setting_round_trips_through_a_settings_file(case):
    config = with_values(BASE, case)
    text = dump_config(config)
    assert parse_config(text) == config
    for name, value in case.items():  # each written once, as the table writes it
        assert text.count(f"\n{name} = {BY_NAME[name].toml(value)}\n") == 1


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_each_grid_setting_round_trips_through_a_grid_spec(case):
    for name, value in case.items():
        setting = BY_NAME[name]
        values = (default(name), value)
        text = f"{setting.flag[2:]}={','.join(setting.show(v, '/') for v in values)}"
        if not setting.grid:
            with pytest.raises(Exception, match=r"--grid: "):
                parse_spec(text)
            continue
        spec = parse_spec(text)
        assert spec.fields == (name,) and spec.settings[0].values == values
        assert parse_spec(spec.text) == spec


async def test_each_setting_round_trips_through_the_form(tiny_dataset):
    app = make_app(tiny_dataset, BASE)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        form = app.query_one(ConfigForm)
        for case in CASES:
            expected = with_values(BASE, case)
            form.set_config(expected)  # shown in the form
            await pilot.pause()
            assert form.config == expected, case
            for name, value in case.items():
                setting = BY_NAME[name]
                if setting.label is not None:
                    shown = form.query_one(f"#field-{name}", Widget).value
                    assert shown == (setting.show(value) if setting.widget == "input" else value)

            form.set_config(BASE)  # and edited in the form, field by field
            await pilot.pause()
            for name, value in case.items():
                setting = BY_NAME[name]
                if setting.label is not None:
                    widget = form.query_one(f"#field-{name}", Widget)
                    widget.value = setting.show(value) if setting.widget == "input" else value
                    await pilot.pause()
            labelled = {n: v for n, v in case.items() if BY_NAME[n].label is not None}
            assert form.problems == {} and form.config == with_values(BASE, labelled), case
