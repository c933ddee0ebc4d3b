"""Settings files: read exactly as written; every mistake is one line naming the key."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli import QUICK, lenet_tui

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.settings import (
    ACTIVATIONS,
    AUGMENTS,
    DATASETS,
    INITS,
    OPTIMIZERS,
    POOLINGS,
    SCHEDULES,
)
from lenet_tui.runs.config_file import (
    ConfigFileError,
    config_from_table,
    dump_config,
    load_config_file,
    parse_config,
)


def test_a_partial_file_sets_its_keys_and_keeps_the_other_defaults():
    config = parse_config('lr = 0.1\nseed = "random"\n[model]\nactivation = "relu"\n')
    assert config == TrainConfig(lr=0.1, seed=None, model=ModelConfig(activation="relu"))
    assert parse_config("lr = 1").lr == 1.0 and isinstance(parse_config("lr = 1").lr, float)


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        (
            "lr = 0.1\nlearning_rate = 3",
            "learning_rate: unknown key; allowed keys: lr, optimizer, momentum, ",
        ),
        ("[model]\nkernel = 3", "model.kernel: unknown key; allowed keys: activation, pooling"),
        (
            '"a\\nb" = 3',
            '"a\\nb": unknown key; allowed keys: lr, optimizer, momentum, nesterov, weight_decay',
        ),
        ('lr = "fast"', "lr: must be a number > 0 and at most 1e+38, got 'fast'"),
        ("lr = 0", "lr: must be a number > 0 and at most 1e+38, got 0.0"),
        ("lr = inf", "lr: must be a number > 0 and at most 1e+38, got inf"),
        ("lr = 1e39", "lr: must be a number > 0 and at most 1e+38, got 1e+39"),
        ("epochs = 2.5", "epochs: must be an integer in 1..1000, got 2.5"),
        ("epochs = 0", "epochs: must be an integer in 1..1000, got 0"),
        ("batch_size = true", "batch_size: must be an integer in 1..65536, got True"),
        ('seed = "abc"', "seed: must be an integer in 0..2**63-1 or \"random\", got 'abc'"),
        ("seed = -1", 'seed: must be an integer in 0..2**63-1 or "random", got -1'),
        ("device = 0", "device: unknown device 0; use auto, cpu, cuda, cuda:N or mps"),
        ('device = "tpu"', "device: unknown device 'tpu'; use auto, cpu, cuda, cuda:N or mps"),
        ("reports_per_epoch = 0", "reports_per_epoch: must be an integer in 1..1000, got 0"),
        ("model = 3", "model: must be a table ([model]) of activation, pooling, batch_norm"),
        ('[model]\nactivation = "tanh"', "model.activation: must be one of sigmoid, relu, got"),
        ('[model]\npooling = "min"', "model.pooling: must be one of avg, max, got 'min'"),
        ("[model]\nbatch_norm = 1", "model.batch_norm: must be true or false, got 1"),
        ("[model]\nchannels = 6", "model.channels: needs 1 to 3 integers in 1..512, got 6"),
        (
            "[model]\nchannels = [6, 0]",
            "model.channels: needs 1 to 3 integers in 1..512, got (6, 0)",
        ),
        ("[model]\nkernel_size = 40", "model.kernel_size: must be an integer in 1..13, got 40"),
        ("lr = 0\nepochs = 0", "lr: must be a number > 0 and at most 1e+38, got 0.0; epochs: "),
        ("lr = \nepochs = 3", "not valid TOML (Invalid value (at line 1, column 6)); fix the"),
        ("[model\n", "not valid TOML ("),
    ],
)
def test_each_bad_key_is_refused_in_one_line_with_its_name_and_range(toml, line, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigFileError) as caught:
        load_config_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {line}"), message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"lr = 0.1\n\xff\xfe", "not UTF-8 text (byte 9)"), (None, "cannot read the file")],
)
def test_an_unreadable_file_is_one_line(content, words, tmp_path):
    path = tmp_path / "c.toml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigFileError, match=re.escape(f"{path}: {words}")):
        load_config_file(path)


def test_the_cli_refuses_a_bad_config_file_with_exit_2_and_writes_nothing(tmp_path, runs_dir):
    path = tmp_path / "config.toml"
    path.write_text("[model]\nkernel_size = 40\n")
    result = lenet_tui("--no-ui", "--config", path)
    assert result.returncode == 2
    assert result.stderr == (
        f"lenet-tui: {path}: model.kernel_size: must be an integer in 1..13, got 40\n"
    )
    assert result.stdout == "" and not runs_dir.exists()


def test_flags_override_the_config_file_and_the_run_folder_keeps_the_result(
    tiny_data_dir, tmp_path
):
    path = tmp_path / "mine.toml"
    path.write_text("epochs = 7\nlr = 0.5\n[model]\nactivation = 'relu'\nkernel_size = 3\n")
    run_dir = tmp_path / "run"
    args = ["--no-ui", *QUICK, "--epochs", "1", "--data-dir", tiny_data_dir, "--run-dir", run_dir]
    result = lenet_tui(*args, "--config", path, "--kernel-size", "5")
    assert result.returncode == 0, result.stderr
    saved = load_config_file(run_dir / "config.toml")
    assert (saved.epochs, saved.lr, saved.model.kernel_size) == (1, 0.05, 5)  # the flags won
    assert saved.model.activation == "relu" and saved.seed == 3
    assert load_config_file(run_dir / "config.toml") == parse_config(
        (run_dir / "config.toml").read_text()
    )


VALID_CONFIGS = st.builds(
    TrainConfig,
    lr=st.floats(min_value=1e-30, max_value=1e38),
    epochs=st.integers(1, 1000),
    batch_size=st.integers(2, 65536),
    device=st.sampled_from(["auto", "cpu", "cuda", "cuda:3", "mps"]),
    seed=st.none() | st.integers(0, 2**63 - 1),
    reports_per_epoch=st.integers(1, 1000),
    optimizer=st.sampled_from(OPTIMIZERS),
    momentum=st.sampled_from([0.0, 0.5, 0.9]) | st.floats(0, 0.999),
    nesterov=st.booleans(),
    weight_decay=st.floats(0, 1),
    schedule=st.sampled_from(SCHEDULES),
    augment=st.sampled_from(AUGMENTS),
    patience=st.integers(0, 1000),
    dataset=st.sampled_from(DATASETS),
    model=st.builds(
        ModelConfig,
        activation=st.sampled_from(ACTIVATIONS),
        pooling=st.sampled_from(POOLINGS),
        batch_norm=st.booleans(),
        channels=st.lists(st.integers(1, 512), min_size=1, max_size=3).map(tuple),
        kernel_size=st.integers(1, 13),
        hidden=st.lists(st.integers(1, 4096), max_size=3).map(tuple),
        init=st.sampled_from(INITS),
    ),
).filter(lambda config: not config.problems())


@settings(max_examples=100, deadline=None, database=None)
@given(config=VALID_CONFIGS)
def test_every_valid_config_round_trips_through_its_toml(config):
    assert parse_config(dump_config(config)) == config


TOML_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["relu", "max", "cpu", "random", "auto"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
KEYS = st.sampled_from(
    [
        *("lr", "epochs", "batch_size", "device", "seed", "reports_per_epoch", "activation"),
        *("optimizer", "momentum", "nesterov", "weight_decay", "schedule", "augment"),
        *("patience", "dataset", "x"),
    ]
) | st.text(max_size=5)
MODEL_KEYS = st.sampled_from(
    ["activation", "pooling", "batch_norm", "channels", "kernel_size", "hidden", "init"]
)


@settings(max_examples=500, deadline=None, database=None)
@given(
    table=st.dictionaries(KEYS, TOML_VALUES, max_size=4),
    model=st.none() | TOML_VALUES | st.dictionaries(MODEL_KEYS | KEYS, TOML_VALUES, max_size=4),
)
def test_any_parsed_table_gives_a_valid_config_or_one_clear_line(table, model):
    if model is not None:
        table["model"] = model
    try:
        config = config_from_table(table, "c.toml")
    except ConfigFileError as exc:
        assert str(exc).startswith("c.toml: ") and "\n" not in str(exc) and exc.problems
    else:
        assert config.problems() == {}


TOML_PIECES = ["lr = ", "epochs = ", "[model]\n", "kernel_size = ", "seed = ", '"', "\n", "1"]
TOML_PIECES += ["0.5", "-", "e9", "inf", "nan", "true", "[", "]", ",", "'relu'", "9" * 30]


@settings(max_examples=300, deadline=None, database=None)
@given(
    text=st.text(alphabet=string.printable + "é€", max_size=80)
    | st.text(max_size=40)
    | st.lists(st.sampled_from(TOML_PIECES), max_size=12).map("".join)
)
def test_arbitrary_text_never_raises_anything_but_a_config_file_error(text):
    try:
        config = parse_config(text, "c.toml")
    except ConfigFileError as exc:
        assert str(exc).startswith("c.toml: ") and "\n" not in str(exc)
    else:
        assert config.problems() == {}


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=64))
def test_arbitrary_bytes_in_a_config_file_are_one_line(tmp_path: Path, data: bytes):
    path = tmp_path / "junk.toml"
    path.write_bytes(data)
    try:
        load_config_file(path)
    except ConfigFileError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
