"""Run and model settings: plain dataclasses with validation, importable without torch."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

from lenet_tui.errors import ConfigError

ACTIVATIONS = ("sigmoid", "relu")
POOLINGS = ("avg", "max")
INITS = ("xavier", "kaiming", "default")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine", "onecycle")
AUGMENTS = ("none", "flip", "shift", "flip+shift")
DATASETS = ("fashion-mnist", "mnist")
PRECISIONS = ("fp32", "bf16")
MAX_KERNEL_SIZE = 13  # the book's two blocks still leave conv2 a >=2x2 map (28 -> 14 -> 2)
IMAGE_SIZE = 28
MAX_LR = 1e38  # SGD applies lr to float32 weights; a larger value overflows float32
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


@dataclass(frozen=True)
class ModelConfig:
    """The LeNet-5 variant; the defaults are d2l's 1998-style network."""

    activation: str = "sigmoid"
    """Nonlinearity after every conv and hidden dense layer: sigmoid or relu."""
    pooling: str = "avg"
    """Pooling after each conv block: avg or max (2x2, stride 2)."""
    batch_norm: bool = False
    """Insert batch normalisation before each activation (d2l section 8.5)."""
    channels: tuple[int, ...] = (6, 16)
    """Output channels of each conv block (conv, activation, 2x2 pool): 1 to 3 blocks."""
    kernel_size: int = 5
    """Square kernel of every conv; the first pads kernel_size // 2, the others do not pad."""
    hidden: tuple[int, ...] = (120, 84)
    """Widths of the hidden dense layers before the 10 outputs: 0 to 3 of them."""
    init: str = "xavier"
    """Initial weights of the convs and dense layers: xavier (uniform, as d2l), kaiming
    (normal, fan-in: suits ReLU) or default (PyTorch's own)."""

    def validate(self) -> None:
        """Raise ConfigError naming the first field that is out of range."""
        _raise_first(self.problems())

    def problems(self) -> dict[str, str]:
        """Each out-of-range field with what is wrong with it; empty when all are valid."""
        found = {}
        found = _choice_problems(
            self, (("activation", ACTIVATIONS), ("pooling", POOLINGS), ("init", INITS))
        )
        if not _are_ints_in(self.channels, 1, 3, 1, 512):
            found["channels"] = f"needs 1 to 3 integers in 1..512, got {self.channels!r}"
        if not _are_ints_in(self.hidden, 0, 3, 1, 4096):
            found["hidden"] = f"needs 0 to 3 integers in 1..4096, got {self.hidden!r}"
        if not _is_int_in(self.kernel_size, 1, MAX_KERNEL_SIZE):
            found["kernel_size"] = (
                f"must be an integer in 1..{MAX_KERNEL_SIZE}, got {self.kernel_size!r}"
            )
        if "channels" not in found and "kernel_size" not in found:
            shape = self.shape_problem()
            if shape:
                found["channels"] = shape
        return found

    def map_sizes(self) -> list[int]:
        """The side of the square feature map after each conv block's pooling, 28x28 in."""
        size, sizes, k = IMAGE_SIZE, [], self.kernel_size
        for block in range(len(self.channels)):
            size = (size + 2 * (k // 2 if block == 0 else 0) - k + 1) // 2
            sizes.append(size)
        return sizes

    def shape_problem(self) -> str | None:
        """Why the conv blocks cannot work on a 28x28 image (a map that shrinks below 1x1)."""
        size, k = IMAGE_SIZE, self.kernel_size
        for block in range(len(self.channels)):
            conv = size + 2 * (k // 2 if block == 0 else 0) - k + 1
            if conv < 1:
                return (
                    f"conv{block + 1} would get a {size}x{size} map, smaller than its {k}x{k} "
                    "kernel; use fewer conv blocks or a smaller kernel size"
                )
            if conv // 2 < 1:
                return (
                    f"pool{block + 1} would get a {conv}x{conv} map, too small for 2x2 pooling; "
                    "use fewer conv blocks or a smaller kernel size"
                )
            size = conv // 2
        return None


@dataclass(frozen=True)
class TrainConfig:
    """One training run; the defaults are d2l's train_ch6 settings."""

    lr: float = 0.9
    """Learning rate, > 0 (the peak of a onecycle schedule)."""
    optimizer: str = "sgd"
    """sgd as the book (with optional momentum and Nesterov), adam or adamw."""
    momentum: float = 0.0
    """SGD momentum, 0 (the book's plain SGD) up to but not including 1."""
    nesterov: bool = False
    """Nesterov momentum: SGD with momentum > 0 only."""
    weight_decay: float = 0.0
    """L2 penalty on the weights (decoupled, for adamw), 0..1."""
    schedule: str = "constant"
    """Learning-rate schedule: constant (the book), step, cosine or onecycle (see engine.optim)."""
    epochs: int = 10
    """Passes over the training set, 1..1000."""
    batch_size: int = 256
    """Examples per SGD step, 1..65536."""
    device: str = "auto"
    """auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps."""
    precision: str = "fp32"
    """fp32 (the book's numbers) or bf16: each step's forward pass under bfloat16 autocast, on
    a device with native bf16 only; the weights, the optimizer, the loss and the test pass stay
    float32."""
    seed: int | None = 0
    """Seeds weight init and shuffling; the same seed on CPU gives the same metrics.

    None picks a random seed (and reports it). The default is fixed because sigmoid LeNet at
    lr 0.9 ends anywhere between about 0.75 and 0.83 test accuracy depending on the seed: a fixed
    default gives every student and CI run the same, book-like result.
    """
    augment: str = "none"
    """Random changes to each training image, made on the device: none (the book), flip
    (left-right, half the images: suits clothing, not digits), shift (up to 2 pixels each way)
    or flip+shift. Test images are never changed."""
    patience: int = 0
    """Stop early once test accuracy has not improved for this many epochs; 0: never."""
    dataset: str = "fashion-mnist"
    """fashion-mnist (the book's) or mnist (handwritten digits)."""
    reports_per_epoch: int = 10
    """How often per epoch train metrics are read from the device, 1..1000."""
    model: ModelConfig = field(default_factory=ModelConfig)

    def validate(self) -> None:
        """Raise ConfigError naming the first field that is out of range."""
        _raise_first(self.problems())

    def problems(self) -> dict[str, str]:
        """Each out-of-range field (model fields included) with what is wrong with it.

        Empty when the settings are valid; the dashboard's form shows these beside the fields.
        """
        found = {}
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)):
            found["lr"] = f"must be a number, got {self.lr!r}"
        elif not (math.isfinite(self.lr) and 0 < self.lr <= MAX_LR):
            found["lr"] = f"must be a number > 0 and at most {MAX_LR:g}, got {self.lr}"
        for name, low, high in (("epochs", 1, 1000), ("batch_size", 1, 65536)):
            value = getattr(self, name)
            if not _is_int_in(value, low, high):
                found[name] = f"must be an integer in {low}..{high}, got {value!r}"
        if "batch_size" not in found and self.model.batch_norm and self.batch_size < 2:
            found["batch_size"] = "must be at least 2 with batch norm, got 1"
        if not _is_int_in(self.reports_per_epoch, 1, 1000):
            found["reports_per_epoch"] = (
                f"must be an integer in 1..1000, got {self.reports_per_epoch!r}"
            )
        if self.seed is not None and not _is_int_in(self.seed, 0, 2**63 - 1):
            found["seed"] = f"must be an integer in 0..2**63-1, got {self.seed!r}"
        if not isinstance(self.device, str) or not _DEVICE_PATTERN.fullmatch(self.device):
            found["device"] = f"unknown device {self.device!r}; use auto, cpu, cuda, cuda:N or mps"
        return found | self._optimizer_problems() | self.model.problems()

    def _optimizer_problems(self) -> dict[str, str]:
        found = _choice_problems(
            self,
            (
                ("optimizer", OPTIMIZERS),
                ("schedule", SCHEDULES),
                ("augment", AUGMENTS),
                ("dataset", DATASETS),
                ("precision", PRECISIONS),
            ),
        )
        if not _is_int_in(self.patience, 0, 1000):
            found["patience"] = (
                f"must be an integer in 0..1000 (0: never stop early), got {self.patience!r}"
            )
        if not _is_number_in(self.momentum, 0, 1, below=True):
            found["momentum"] = f"must be a number >= 0 and < 1, got {self.momentum!r}"
        elif self.momentum and self.optimizer != "sgd":
            found["momentum"] = f"applies to sgd only, not {self.optimizer}; leave it at 0"
        if not _is_number_in(self.weight_decay, 0, 1):
            found["weight_decay"] = f"must be a number in 0..1, got {self.weight_decay!r}"
        if not isinstance(self.nesterov, bool):
            found["nesterov"] = f"must be true or false, got {self.nesterov!r}"
        elif self.nesterov and not (self.optimizer == "sgd" and self.momentum):
            found["nesterov"] = "needs sgd with momentum > 0 (--momentum 0.9, say)"
        return found

    def stops_early(self, epochs_since_best: int) -> bool:
        """Whether the run ends now, its test accuracy not having improved for `patience`
        epochs (patience 0: never early)."""
        return self.patience > 0 and epochs_since_best >= self.patience

    def to_dict(self) -> dict:
        """The settings as JSON-ready plain values."""
        values = asdict(self)
        values["model"]["channels"] = list(self.model.channels)
        values["model"]["hidden"] = list(self.model.hidden)
        return values


def _is_number_in(value: object, low: float, high: float, below: bool = False) -> bool:
    """A finite int or float in low..high (below high, with below)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return low <= value < high if below else low <= value <= high


def _choice_problems(settings: object, choices: tuple[tuple[str, tuple[str, ...]], ...]) -> dict:
    found = {}
    for name, allowed in choices:
        value = getattr(settings, name)
        if value not in allowed:
            found[name] = f"must be one of {', '.join(allowed)}, got {value!r}"
    return found


def _are_ints_in(values: object, fewest: int, most: int, low: int, high: int) -> bool:
    """A tuple of fewest..most integers, each in low..high."""
    return (
        isinstance(values, tuple)
        and fewest <= len(values) <= most
        and all(_is_int_in(v, low, high) for v in values)
    )


def _is_int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _raise_first(problems: dict[str, str]) -> None:
    for name, problem in problems.items():
        raise ConfigError(name, problem)
