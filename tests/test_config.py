"""Out-of-range settings are refused with the field's name and what is allowed."""

import math

import pytest

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.errors import ConfigError


def test_defaults_are_d2ls_and_valid():
    config = TrainConfig()
    config.validate()
    assert (config.lr, config.epochs, config.batch_size, config.seed) == (0.9, 10, 256, 0)
    assert (config.optimizer, config.momentum, config.nesterov) == ("sgd", 0.0, False)
    assert (config.weight_decay, config.schedule) == (0.0, "constant")
    assert config.model == ModelConfig("sigmoid", "avg", False, (6, 16), 5)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"lr": 0.0}, "lr", "> 0"),
        ({"lr": -0.1}, "lr", "> 0"),
        ({"lr": math.nan}, "lr", "at most 1e+38"),
        ({"lr": math.inf}, "lr", "at most 1e+38"),
        ({"lr": 1e39}, "lr", "at most 1e+38"),
        ({"epochs": 0}, "epochs", "1..1000"),
        ({"batch_size": 0}, "batch_size", "1..65536"),
        ({"batch_size": 1, "model": ModelConfig(batch_norm=True)}, "batch_size", "batch norm"),
        ({"seed": -1}, "seed", "0..2**63-1"),
        ({"device": "tpu"}, "device", "cuda:N"),
        ({"model": ModelConfig(kernel_size=14)}, "kernel_size", "1..13"),
        ({"model": ModelConfig(channels=(0, 16))}, "channels", "1..512"),
        ({"model": ModelConfig(activation="tanh")}, "activation", "sigmoid, relu"),
        ({"model": ModelConfig(pooling="min")}, "pooling", "avg, max"),
        ({"optimizer": "rmsprop"}, "optimizer", "sgd, adam, adamw"),
        ({"schedule": "linear"}, "schedule", "constant, step, cosine, onecycle"),
        ({"momentum": 1.0}, "momentum", ">= 0 and < 1"),
        ({"momentum": -0.1}, "momentum", ">= 0 and < 1"),
        ({"momentum": 0.9, "optimizer": "adam"}, "momentum", "sgd only"),
        ({"nesterov": True}, "nesterov", "momentum > 0"),
        ({"nesterov": True, "momentum": 0.9, "optimizer": "adamw"}, "momentum", "sgd only"),
        ({"weight_decay": math.inf}, "weight_decay", "0..1"),
        ({"weight_decay": -1e-4}, "weight_decay", "0..1"),
    ],
)
def test_invalid_setting_names_field_and_range(changes, field, words):
    with pytest.raises(ConfigError) as caught:
        TrainConfig(**changes).validate()
    assert caught.value.field == field
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_problems_lists_every_bad_field_for_the_form() -> None:
    config = TrainConfig(lr=0, epochs=0, model=ModelConfig(kernel_size=99, pooling="min"))
    problems = config.problems()
    assert set(problems) == {"lr", "epochs", "kernel_size", "pooling"}
    assert "1..1000" in problems["epochs"]
    assert TrainConfig().problems() == {}
