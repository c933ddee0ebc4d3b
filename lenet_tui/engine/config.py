"""Run and model settings: plain dataclasses with validation, importable without torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from lenet_tui.engine.settings import SETTINGS
from lenet_tui.errors import ConfigError

IMAGE_SIZE = 28


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
        found = _setting_problems(self, model=True)
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
        found = _setting_problems(self, model=False)
        if "batch_size" not in found and self.model.batch_norm and self.batch_size < 2:
            found["batch_size"] = "must be at least 2 with batch norm, got 1"
        if "momentum" not in found and self.momentum and self.optimizer != "sgd":
            found["momentum"] = f"applies to sgd only, not {self.optimizer}; leave it at 0"
        if (
            "nesterov" not in found
            and self.nesterov
            and not (self.optimizer == "sgd" and self.momentum)
        ):
            found["nesterov"] = "needs sgd with momentum > 0 (--momentum 0.9, say)"
        return found | self.model.problems()

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


def _setting_problems(config: object, model: bool) -> dict[str, str]:
    """Each of config's settings (a TrainConfig's, or with model a ModelConfig's) of the wrong
    type or out of range, with what is wrong with it."""
    found = {}
    for setting in SETTINGS:
        problem = setting.model == model and setting.problem(getattr(config, setting.name))
        if problem:
            found[setting.name] = problem
    return found


def _raise_first(problems: dict[str, str]) -> None:
    for name, problem in problems.items():
        raise ConfigError(name, problem)
