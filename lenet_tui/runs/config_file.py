"""Run settings as TOML: `--config FILE.toml` and every run folder's config.toml.

The keys are TrainConfig's (`TrainConfig.to_dict()`), with the model's in a `[model]` table. A
file may give any subset; the others keep their defaults. Unknown keys, wrong types and
out-of-range values are refused with the key's name and what is allowed. Importable without torch.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from pathlib import Path

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.errors import LenetError, cut
from lenet_tui.files import read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

RANDOM_SEED = "random"
"""What `seed` says in a file for "pick one at random" (TOML has no null)."""
_TRAIN_KEYS = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.name != "model")
_MODEL_KEYS = tuple(f.name for f in dataclasses.fields(ModelConfig))
_SHOWN = 60  # characters of a bad value quoted in a message
MAX_SETTINGS = 1_000_000
"""The largest settings file read, in bytes (a run's config.toml is about 600)."""
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class ConfigFileError(LenetError):
    """A settings file is unreadable, not TOML, or holds bad keys or values.

    `problems` maps each bad key (`lr`, `model.kernel_size`) to what is wrong with it; it is
    empty when the file could not be read or parsed at all.
    """

    def __init__(self, source: str, problems: dict[str, str], reason: str | None = None) -> None:
        detail = reason or "; ".join(f"{key}: {problem}" for key, problem in problems.items())
        super().__init__(f"{source}: {detail}")
        self.source = source
        self.problems = problems


def load_config_file(path: Path) -> TrainConfig:
    """The validated settings in a TOML file; ConfigFileError (one line) if it is bad."""
    path = Path(path)
    try:
        raw = read_regular(path, MAX_SETTINGS, "a settings file")
    except OSError as exc:
        reason = f"cannot read the file ({exc.strerror or exc}); pass a settings file"
        raise ConfigFileError(str(path), {}, reason) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text (byte {exc.start}); save the file as UTF-8 TOML"
        raise ConfigFileError(str(path), {}, reason) from None
    return parse_config(text, str(path))


def parse_config(text: str, source: str = "<config>") -> TrainConfig:
    """The validated settings in TOML text; source names the file in error messages."""
    try:
        table = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        # ValueError: an int too long to parse; RecursionError: arrays nested thousands deep
        detail = " ".join(str(exc).split()) or "nested too deep"
        reason = f"not valid TOML ({cut(detail)}); fix the file"
        raise ConfigFileError(source, {}, reason) from None
    return config_from_table(table, source)


def config_from_table(table: dict, source: str = "<config>") -> TrainConfig:
    """The validated settings a parsed TOML table gives; unset keys keep their defaults."""
    model_table = table.get("model", {})
    problems = _unknown_keys(table, (*_TRAIN_KEYS, "model"), "")
    if not isinstance(model_table, dict):
        problems["model"] = f"must be a table ([model]) of {', '.join(_MODEL_KEYS)}"
        model_table = {}
    problems |= _unknown_keys(model_table, _MODEL_KEYS, "model.")
    values = {k: v for k, v in table.items() if k in _TRAIN_KEYS}
    model_values = {k: v for k, v in model_table.items() if k in _MODEL_KEYS}
    problems |= _check_types(values, model_values)
    if problems:
        raise ConfigFileError(source, problems)
    config = TrainConfig(**values, model=ModelConfig(**model_values))
    found = {_key(name): cut(problem, 200) for name, problem in config.problems().items()}
    if found:
        raise ConfigFileError(source, found)
    return config


def dump_config(config: TrainConfig) -> str:
    """The settings as TOML that `load_config_file` reads back to an equal TrainConfig."""
    m = config.model
    seed = _toml_string(RANDOM_SEED) if config.seed is None else str(config.seed)
    return (
        "# lenet-tui settings: use with lenet-tui --config FILE.toml\n"
        f"lr = {config.lr!r}\n"
        f"optimizer = {_toml_string(config.optimizer)}\n"
        f"momentum = {config.momentum!r}\n"
        f"nesterov = {'true' if config.nesterov else 'false'}\n"
        f"weight_decay = {config.weight_decay!r}\n"
        f"schedule = {_toml_string(config.schedule)}\n"
        f"epochs = {config.epochs}\n"
        f"batch_size = {config.batch_size}\n"
        f"device = {_toml_string(config.device)}\n"
        f"precision = {_toml_string(config.precision)}\n"
        f"seed = {seed}\n"
        f"augment = {_toml_string(config.augment)}\n"
        f"patience = {config.patience}\n"
        f"dataset = {_toml_string(config.dataset)}\n"
        f"reports_per_epoch = {config.reports_per_epoch}\n"
        "\n[model]\n"
        f"activation = {_toml_string(m.activation)}\n"
        f"pooling = {_toml_string(m.pooling)}\n"
        f"batch_norm = {'true' if m.batch_norm else 'false'}\n"
        f"channels = [{', '.join(map(str, m.channels))}]\n"
        f"kernel_size = {m.kernel_size}\n"
        f"hidden = [{', '.join(map(str, m.hidden))}]\n"
        f"init = {_toml_string(m.init)}\n"
    )


def _unknown_keys(table: dict, allowed: tuple[str, ...], prefix: str) -> dict[str, str]:
    return {
        f"{prefix}{_key_as_written(key)}": f"unknown key; allowed keys: {', '.join(allowed)}"
        for key in table
        if key not in allowed
    }


def _key_as_written(key: str) -> str:
    """A key as TOML writes it: bare if it can be, else quoted with escapes (one line)."""
    if _BARE_KEY.fullmatch(key):
        return key
    quoted = _toml_string(key)
    return quoted if len(quoted) <= _SHOWN else quoted[: _SHOWN - 4] + '..."'


def _check_types(values: dict, model_values: dict) -> dict[str, str]:
    """Type problems that TrainConfig.problems() cannot word well; converts lr and channels."""
    return _check_run_types(values) | _check_model_types(model_values)


def _check_run_types(values: dict) -> dict[str, str]:
    problems = {}
    lr = values.get("lr")
    if isinstance(lr, int) and not isinstance(lr, bool):
        if abs(lr) > 10**39:  # too big for a float: out of range either way
            problems["lr"] = f"must be a number > 0 and at most 1e+38, got {_show(lr)}"
        else:
            values["lr"] = float(lr)
    elif "lr" in values and not isinstance(lr, float):
        problems["lr"] = f"must be a number > 0 and at most 1e+38, got {_show(lr)}"
    seed = values.get("seed")
    if seed == RANDOM_SEED:
        values["seed"] = None
    elif "seed" in values and (not isinstance(seed, int) or isinstance(seed, bool)):
        problems["seed"] = f'must be an integer in 0..2**63-1 or "random", got {_show(seed)}'
    return problems | _check_optimizer_types(values)


def _check_optimizer_types(values: dict) -> dict[str, str]:
    problems = {}
    for name in ("device", "optimizer", "schedule", "augment", "dataset", "precision"):
        if name in values and not isinstance(values[name], str):
            problems[name] = f"must be a string, got {_show(values[name])}"
    for name, allowed in (("momentum", ">= 0 and < 1"), ("weight_decay", "in 0..1")):
        value = values.get(name)
        if name not in values or isinstance(value, float):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 10**39:
            problems[name] = f"must be a number {allowed}, got {_show(value)}"
        else:
            values[name] = float(value)
    if "nesterov" in values and not isinstance(values["nesterov"], bool):
        problems["nesterov"] = f"must be true or false, got {_show(values['nesterov'])}"
    return problems


def _check_model_types(model_values: dict) -> dict[str, str]:
    problems = {}
    for name in ("activation", "pooling", "init"):
        if name in model_values and not isinstance(model_values[name], str):
            problems[f"model.{name}"] = f"must be a string, got {_show(model_values[name])}"
    if "batch_norm" in model_values and not isinstance(model_values["batch_norm"], bool):
        problems["model.batch_norm"] = (
            f"must be true or false, got {_show(model_values['batch_norm'])}"
        )
    for name, fewest, most, example in (
        ("channels", 1, 3, "[6, 16]"),
        ("hidden", 0, 3, "[120, 84]"),
    ):
        value = model_values.get(name)
        if name not in model_values:
            continue
        if isinstance(value, list) and fewest <= len(value) <= most:
            model_values[name] = tuple(value)
        else:
            problems[f"model.{name}"] = (
                f"needs {fewest} to {most} integers like {example}, got {_show(value)}"
            )
    return problems


def _key(field: str) -> str:
    return f"model.{field}" if field in _MODEL_KEYS else field


def _show(value: object) -> str:
    """A bad value as a message quotes it: TOML-like, and cut short if long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        text = str(value)
    elif isinstance(value, int) and abs(value) > 10**30:
        text = f"an integer of {len(str(abs(value)))} digits"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _toml_string(text: str) -> str:
    """A TOML basic string; JSON's escapes (backslash, quote, control chars) are valid TOML."""
    return json.dumps(text)
