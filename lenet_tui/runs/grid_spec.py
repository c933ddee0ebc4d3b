"""A grid spec, `"pooling=avg,max activation=sigmoid,relu"`: the settings a grid varies.

Each word is `SETTING=V1,V2,...`: any setting that has a command-line flag (its field name or
its flag spelling: `batch_size` or `batch-size`), values comma-separated and converted as the
flag converts them. A value that is itself a list (channels, hidden) separates its numbers with
`/`: `channels=6/16,16/32`, `hidden=120/84,none`. Several settings make the product, the first
setting outermost. Importable without torch; knows nothing about any user interface.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.settings import MAX_SEED, SETTINGS, parse_widths, with_values
from lenet_tui.errors import LenetError, cut, shown

GRID_NAME = "grid.toml"
"""The file that holds a grid's spec, seeds and base settings, and marks a grid folder."""
MAX_RUNS = 256
"""The most runs a grid trains without --yes."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._+=,-]")
_ABSENT = object()


def parse_seeds(text: str) -> tuple[int, ...]:
    """--seeds: distinct integers in 0..2**63-1, comma-separated; ValueError otherwise."""
    if any(len(part.strip()) > 19 for part in text.split(",")):  # 2**63 has 19 digits
        raise ValueError(f"seeds must be integers in 0..2**63-1, got {shown(text)}")
    try:
        seeds = parse_widths(text, (1, 10**6), "0,1,2")
    except ValueError as exc:
        raise ValueError(f"{exc}, got {shown(text)}") from None
    if any(seed > MAX_SEED for seed in seeds):
        raise ValueError(f"seeds must be integers in 0..2**63-1, got {shown(text)}")
    if len(set(seeds)) < len(seeds):
        raise ValueError(f"each seed once, got {shown(text)}")
    return seeds


CONVERTERS: dict[str, Callable[[str], object]] = {
    s.name: functools.partial(s.parse, sep="/") for s in SETTINGS if s.grid
}
"""Each setting a grid can vary (those with a flag, the seed aside), and how to read a value."""
_REFUSED = {
    "seed": "use --seeds 0,1,2 to repeat each combination per seed",
    "preset": "a grid varies single settings; give a --preset as the base instead",
}


def label(field: str) -> str:
    """A setting as the grid and its table name it: the flag's spelling, `batch-size`."""
    return field.replace("_", "-")


def value_text(value: object) -> str:
    """A value as a spec writes it: `0.1`, `true`, `6/16`, `none`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "/".join(map(str, value)) or "none"
    return str(value)


Combination = tuple[tuple[str, object], ...]
"""One value of each setting of a grid, in the spec's order: (("pooling", "max"), ...)."""


@dataclass(frozen=True)
class GridSetting:
    """One setting of a grid and the values it takes, converted."""

    field: str
    """The TrainConfig or ModelConfig field: batch_size, pooling."""
    values: tuple[object, ...]

    @property
    def text(self) -> str:
        return f"{label(self.field)}={','.join(map(value_text, self.values))}"


@dataclass(frozen=True)
class GridSpec:
    """The settings a grid varies, in the order given."""

    settings: tuple[GridSetting, ...]

    @property
    def text(self) -> str:
        """The spec in its canonical spelling, which `parse_spec` reads back to an equal one."""
        return " ".join(setting.text for setting in self.settings)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(setting.field for setting in self.settings)

    def combinations(self) -> list[Combination]:
        """Every combination of the values, the first setting outermost."""
        fields = self.fields
        values = itertools.product(*(setting.values for setting in self.settings))
        return [tuple(zip(fields, combo, strict=True)) for combo in values]

    @property
    def size(self) -> int:
        return math.prod(len(setting.values) for setting in self.settings)


def combination_text(combination: Combination) -> str:
    """`pooling=max,activation=relu`: a combination as the progress and errors name it."""
    return ",".join(f"{label(field)}={value_text(value)}" for field, value in combination)


def folder_name(combination: Combination, seed: int | None) -> str:
    """The run folder of one combination (and seed), safe on every filesystem."""
    text = combination_text(combination) + (f",seed={seed}" if seed is not None else "")
    return _UNSAFE.sub("-", text)


def parse_spec(text: str) -> GridSpec:
    """The spec's settings and values; LenetError (`--grid: ...`, one line) for an unknown
    setting, a setting or value given twice, or a value its flag would refuse (not a number, not
    one of the choices). `check_combinations` checks the values against the settings."""
    words = text.split()
    if not words:
        raise LenetError('--grid: empty; give SETTING=V1,V2,... like "pooling=avg,max"')
    settings, seen = [], set()
    for word in words:
        setting = _parse_word(word)
        if setting.field in seen:
            raise LenetError(f"--grid: {label(setting.field)} is given twice; give it once")
        seen.add(setting.field)
        settings.append(setting)
    return GridSpec(tuple(settings))


def _parse_word(word: str) -> GridSetting:
    name, equals, values_text = word.partition("=")
    field = name.removeprefix("--").replace("-", "_")
    if field in _REFUSED:
        raise LenetError(f"--grid: {name}: {_REFUSED[field]}")
    if not equals or field not in CONVERTERS:
        known = ", ".join(map(label, CONVERTERS))
        what = f"{shown(word)} is not SETTING=V1,V2,..."
        if equals:
            what = f"unknown setting {shown(name)}"
        raise LenetError(f"--grid: {what}; a grid varies {known}")
    values: dict[object, None] = {}  # ordered, and a repeat found at once however many
    for value_text_ in values_text.split(","):
        value = _convert(field, value_text_.strip())
        if value in values:
            raise LenetError(f"--grid: {label(field)}={cut(value_text(value))} is given twice")
        values[value] = None
    return GridSetting(field, tuple(values))


def _convert(field: str, text: str) -> object:
    """One value, converted as its flag converts it (LenetError saying what it accepts)."""
    if not text:
        raise LenetError(f"--grid: {label(field)}: an empty value; give V1,V2,...")
    try:
        return CONVERTERS[field](text)
    except ValueError as exc:
        raise LenetError(f"--grid: {label(field)}={cut(text)}: {exc}") from None


def check_combinations(spec: GridSpec, base: TrainConfig) -> None:
    """LenetError (one line) for the first combination whose settings are invalid on top of
    base (which need not be valid alone: `--nesterov` with `momentum=0.5,0.9`, say). A problem
    that every combination has is named by the flag (`--lr: ...`), one that every combination
    with a value has by that value (`lr=0: ...`), any other by the whole combination."""
    combinations = [dict(combination) for combination in spec.combinations()]
    problems = [with_values(base, combination).problems() for combination in combinations]
    for combination, found in zip(combinations, problems, strict=True):
        for field, problem in found.items():
            value = combination.get(field, _ABSENT)
            if all(
                field in other_found
                for other, other_found in zip(combinations, problems, strict=True)
                if value is _ABSENT or other[field] == value
            ):
                if value is _ABSENT:
                    raise LenetError(f"--{label(field)}: {problem}")
                raise LenetError(f"--grid: {label(field)}={cut(value_text(value))}: {problem}")
            raise LenetError(
                f"--grid: the combination {cut(combination_text(tuple(combination.items())))} "
                f"is refused: --{label(field)}: {problem}"
            )


def check_size(spec: GridSpec, seeds: int, yes: bool) -> int:
    """The number of runs; LenetError if it is over MAX_RUNS and `yes` was not given."""
    runs = spec.size * max(seeds, 1)
    if runs > MAX_RUNS and not yes:
        counts = " x ".join(str(len(s.values)) for s in spec.settings)
        per_seed = f" x {seeds} seeds" if seeds else ""
        raise LenetError(
            f"--grid: {runs:,} runs ({counts} combinations{per_seed}) is more than {MAX_RUNS}; "
            "add --yes to train them all"
        )
    return runs
