"""Run settings as TOML: `--config FILE.toml` and every run folder's config.toml.

The keys are TrainConfig's (`TrainConfig.to_dict()`), with the model's in a `[model]` table. A
file may give any subset; the others keep their defaults. Unknown keys, wrong types and
out-of-range values are refused with the key's name and what is allowed. Importable without torch.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.settings import BY_NAME, SETTINGS, with_values
from lenet_tui.errors import LenetError, cut
from lenet_tui.files import read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

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
    if problems:
        raise ConfigFileError(source, problems)
    values = {k: BY_NAME[k].from_toml(v) for k, v in (table | model_table).items() if k in BY_NAME}
    config = with_values(TrainConfig(), values)
    found = {_key(name): cut(problem, 200) for name, problem in config.problems().items()}
    if found:
        raise ConfigFileError(source, found)
    return config


def dump_config(config: TrainConfig) -> str:
    """The settings as TOML that `load_config_file` reads back to an equal TrainConfig."""
    lines = ["# lenet-tui settings: use with lenet-tui --config FILE.toml"]
    for model in (False, True):
        lines += ["", "[model]"] if model else []
        of = config.model if model else config
        lines += [f"{s.name} = {s.toml(getattr(of, s.name))}" for s in SETTINGS if s.model == model]
    return "\n".join(lines) + "\n"


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


def _key(field: str) -> str:
    return f"model.{field}" if field in _MODEL_KEYS else field


def _toml_string(text: str) -> str:
    """A TOML basic string; JSON's escapes (backslash, quote, control chars) are valid TOML."""
    return json.dumps(text)
