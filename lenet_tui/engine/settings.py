"""Every setting of a run, described once: how it is typed, checked, shown, and offered.

The command line's flags and --help, the dashboard's form rows, the grid spec's converters and
the TOML reader and writer are all made from SETTINGS: adding a setting is one entry here, its
TrainConfig/ModelConfig field, and the engine code that uses it. Importable without torch.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from lenet_tui.engine.config import TrainConfig

ACTIVATIONS = ("sigmoid", "relu")
POOLINGS = ("avg", "max")
INITS = ("xavier", "kaiming", "default")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine", "onecycle")
AUGMENTS = ("none", "flip", "shift", "flip+shift")
DATASETS = ("fashion-mnist", "mnist")
PRECISIONS = ("fp32", "bf16")
MAX_KERNEL_SIZE = 13  # the book's two blocks still leave conv2 a >=2x2 map (28 -> 14 -> 2)
MAX_LR = 1e38  # SGD applies lr to float32 weights; a larger value overflows float32
MAX_SEED = 2**63 - 1
RANDOM_SEED = "random"
"""What `seed` says on the command line, in the form and in a file for "pick one at random"."""
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
_TRUE, _FALSE = ("true", "on", "yes"), ("false", "off", "no")

Kind = Literal["float", "int", "seed", "choice", "device", "bool", "widths"]


@dataclass(frozen=True)
class Setting:
    """One TrainConfig (or, in the model group, ModelConfig) field, and all that knows it."""

    name: str
    """The field; the flag is --name with - for _, and a grid spec names it either way."""
    kind: Kind
    label: str | None
    """The form's row label; None: no row (the value given is kept)."""
    help: str | None
    """The flag's --help text, its default added; None: no flag (and no grid)."""
    group: Literal["training", "model", "data"] = "training"
    choices: tuple[str, ...] = ()
    low: int = 0
    high: int = 0
    """The range of an int, or of each width of a widths list."""
    within: Callable[[float], bool] | None = None
    """A float's range (ints and widths: low..high)."""
    span: str = ""
    """The range as messages word it, when not `in low..high`."""
    count: tuple[int, int] = (1, 3)
    """How many widths a widths list has, fewest to most."""
    example: tuple[int, ...] = ()
    """A widths list as its messages show one."""
    metavar: str | None = None
    grid: bool = True
    """Whether a grid spec may vary it (any setting with a flag, the seed aside)."""
    preset: bool = False
    """Whether a preset sets it (the network and its training, not the data or run length)."""

    @property
    def model(self) -> bool:
        return self.group == "model"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def widget(self) -> Literal["input", "select", "switch"]:
        """How the form edits it."""
        if self.kind == "bool":
            return "switch"
        return "select" if self.kind in ("choice", "device") else "input"

    @property
    def expects(self) -> str:
        """What the setting accepts, as its messages say it."""
        span = self.span or f"in {self.low}..{self.high}"
        return {
            "float": f"must be a number {span}",
            "int": f"must be an integer {span}",
            "seed": f"must be an integer {span}",
            "choice": f"must be one of {', '.join(self.choices)}",
            "bool": "must be true or false",
            "device": "must be auto, cpu, cuda, cuda:N or mps",
            "widths": f"needs {self.count[0]} to {self.count[1]} integers {span}",
        }[self.kind]

    def parse(self, text: str, sep: str = ",") -> object:
        """The value that text (a flag's, a form field's, a grid spec's) gives; ValueError
        saying what the setting accepts (the caller names the setting and quotes the text).
        Ranges are checked by `problem`; sep separates a widths list's numbers."""
        if self.kind == "widths":
            return parse_widths(text, self.count, sep.join(map(str, self.example)), sep)
        if self.kind == "bool" and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        if self.kind == "seed" and text == RANDOM_SEED:
            return None
        if self.kind == "device" or text in self.choices:
            return text
        try:
            return {"float": float, "int": int, "seed": int}[self.kind](text)
        except (KeyError, ValueError):
            raise ValueError(self.expects) from None

    def problem(self, value: object) -> str | None:
        """What is wrong with value as this setting (its type or range); None if nothing."""
        if self.kind == "widths":
            fewest, most = self.count
            ok = isinstance(value, tuple) and fewest <= len(value) <= most
            ok = ok and all(_is_int_in(v, self.low, self.high) for v in value)  # type: ignore[union-attr]
        elif self.kind == "float":
            ok = _is_number(value) and self.within(value)  # type: ignore[arg-type,misc]
        elif self.kind in ("int", "seed"):
            ok = (value is None and self.kind == "seed") or _is_int_in(value, self.low, self.high)
        elif self.kind == "device":
            ok = isinstance(value, str) and bool(_DEVICE.fullmatch(value))
            if not ok:
                return f"unknown device {value!r}; use auto, cpu, cuda, cuda:N or mps"
        else:
            ok = value in self.choices if self.kind == "choice" else isinstance(value, bool)
        return None if ok else f"{self.expects}, got {value!r}"

    def show(self, value: object, sep: str = ",") -> str:
        """value as the form, the flag and a grid spec (with sep "/") write it."""
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind == "widths":
            return sep.join(map(str, value)) or "none"  # type: ignore[call-overload]
        if self.kind == "seed" and value is None:
            return RANDOM_SEED
        return repr(value) if self.kind == "float" else str(value)

    def toml(self, value: object) -> str:
        """value as a TOML file writes it, which `from_toml` reads back."""
        if self.kind == "widths":
            return f"[{', '.join(map(str, value))}]"  # type: ignore[call-overload]
        if self.kind in ("choice", "device") or value is None:
            return json.dumps(self.show(value))  # JSON's escapes are valid TOML
        return self.show(value)

    def from_toml(self, value: object) -> object:
        """A value as TOML parsed it, in the field's type where TOML has another (a list, an
        integer for a float, "random"); `problem` judges the result."""
        if self.kind == "widths" and isinstance(value, list):
            return tuple(value)
        if self.kind == "float" and _is_number(value) and abs(value) <= 10**39:  # type: ignore[arg-type]
            return float(value)  # type: ignore[arg-type]
        return None if self.kind == "seed" and value == RANDOM_SEED else value


def parse_widths(text: str, count: tuple[int, int], example: str, sep: str = ",") -> tuple:
    """count[0]..count[1] integers separated by sep (`none`: no integer, where 0 are allowed);
    ValueError saying what is expected. Channels, hidden widths and --seeds are read with it."""
    fewest, most = count
    parts = [] if fewest == 0 and text.strip() in ("", "none") else text.split(sep)
    if not fewest <= len(parts) <= most or not all(p.strip().isdigit() for p in parts):
        many = f"up to {most}" if fewest == 0 else f"{fewest} to {most}"
        raise ValueError(f"expected {many} integers like {example}{', or none' * (fewest == 0)}")
    return tuple(int(p) for p in parts)


def _is_number(value: object) -> bool:
    """A finite int or float, not a bool."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return not isinstance(value, float) or math.isfinite(value)


def _is_int_in(value: object, low: float, high: float) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


_BOOKS = "(the book's numbers)"
SETTINGS = (
    Setting("dataset", "choice", "dataset", "fashion-mnist (the book's) or mnist; the bundled "
            "mnist is a 10,000-digit sample", "data", DATASETS),
    Setting("lr", "float", "learning rate", "learning rate", within=lambda v: 0 < v <= MAX_LR,
            span=f"> 0 and at most {MAX_LR:g}", preset=True),
    Setting("epochs", "int", "epochs", "passes over the data", low=1, high=1000),
    Setting("batch_size", "int", "batch size", "examples per step", low=1, high=65536),
    Setting("optimizer", "choice", "optimizer", "sgd as the book, adam or adamw",
            choices=OPTIMIZERS, preset=True),
    Setting("momentum", "float", "momentum", "SGD momentum, 0 to <1",
            within=lambda v: 0 <= v < 1, span=">= 0 and < 1", preset=True),
    Setting("nesterov", "bool", "nesterov", "Nesterov momentum (SGD)", preset=True),
    Setting("weight_decay", "float", "weight decay", "L2 penalty, 0..1",
            within=lambda v: 0 <= v <= 1, span="in 0..1", preset=True),
    Setting("schedule", "choice", "lr schedule", "learning-rate schedule: constant as the book, "
            "step (/10 at 1/2 and 3/4 of the run), cosine, onecycle", choices=SCHEDULES,
            preset=True),
    Setting("augment", "choice", "augment", "random flips and/or shifts of training images",
            choices=AUGMENTS, preset=True),
    Setting("patience", "int", "patience", "stop once test acc has not improved for N epochs "
            "(0: never)", low=0, high=1000, span="in 0..1000 (0: never stop early)", metavar="N"),
    Setting("device", "device", "device", "auto (cuda, then mps, then cpu), cpu, cuda, cuda:N "
            "or mps"),
    Setting("precision", "choice", "precision", f"fp32 {_BOOKS} or bf16: autocast, faster on a "
            "CPU with AVX512_BF16 or AMX and on GPUs with bf16", choices=PRECISIONS),
    Setting("seed", "seed", "seed", "seed for init and shuffling; the same seed on CPU gives the "
            "same metrics; 'random' picks one and prints it", low=0, high=MAX_SEED,
            span=f'in 0..2**63-1 or "{RANDOM_SEED}"', metavar="N|random", grid=False),
    Setting("reports_per_epoch", "int", None, None, low=1, high=1000, grid=False),
    Setting("activation", "choice", "activation", "nonlinearity", "model", ACTIVATIONS,
            preset=True),
    Setting("pooling", "choice", "pooling", "2x2 pooling", "model", POOLINGS, preset=True),
    Setting("batch_norm", "bool", "batch norm", "batch norm before activations", "model",
            preset=True),
    Setting("init", "choice", "init", "initial weights", "model", INITS, preset=True),
    Setting("channels", "widths", "channels", "output channels of each conv block, 1 to 3 "
            "blocks", "model", low=1, high=512, example=(6, 16), metavar="C1[,C2[,C3]]"),
    Setting("kernel_size", "int", "kernel size", "conv kernel size", "model", low=1,
            high=MAX_KERNEL_SIZE),
    Setting("hidden", "widths", "hidden", "widths of the hidden dense layers, 0 to 3 of them",
            "model", low=1, high=4096, count=(0, 3), example=(120, 84), metavar="W1,...|none"),
)  # fmt: skip
"""Every setting, in the order the form, --help and a settings file give them."""
BY_NAME = {setting.name: setting for setting in SETTINGS}


def with_values(config: TrainConfig, values: dict[str, object]) -> TrainConfig:
    """config with the given settings, model ones included, replaced; not
    validated."""
    model = {k: v for k, v in values.items() if BY_NAME[k].model}
    train = {k: v for k, v in values.items() if not BY_NAME[k].model}
    return dataclasses.replace(config, **train, model=dataclasses.replace(config.model, **model))
