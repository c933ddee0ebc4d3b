"""Named sets of settings: the book's LeNet, and a modern one that shows what modern training
buys. The command line (--preset) and the dashboard's form apply the same ones; torch-free."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from lenet_tui.engine.config import ModelConfig, TrainConfig


@dataclass(frozen=True)
class Preset:
    """A network and the training that suits it; the data and run length are left alone."""

    title: str
    """As the form's preset field shows it: short enough for its width at 80 columns."""
    model: ModelConfig
    """Activation, pooling, batch norm and init (the shape: channels, kernel, hidden, stays)."""
    training: dict[str, object]
    """TrainConfig fields: lr, optimizer, momentum, nesterov, weight decay, schedule, augment."""

    def apply(self, config: TrainConfig) -> TrainConfig:
        """config with this preset's network and training; flips only on clothing, not digits."""
        training = dict(self.training)
        if config.dataset == "mnist" and "flip" in str(training.get("augment", "")):
            training["augment"] = "shift"  # a mirrored 2, 3 or 7 is no digit
        model = dataclasses.replace(
            config.model,
            **{f: getattr(self.model, f) for f in ("activation", "pooling", "batch_norm", "init")},
        )
        return dataclasses.replace(config, **training, model=model)

    def matches(self, config: TrainConfig) -> bool:
        """Whether config has this preset's network and training, the learning rate aside (the
        first thing a learner tries)."""
        return self.apply(config) == dataclasses.replace(config, lr=self.training["lr"])


_BOOK = TrainConfig()
_TRAINING = ("lr", "optimizer", "momentum", "nesterov", "weight_decay", "schedule", "augment")
PRESETS: dict[str, Preset] = {
    "d2l": Preset("d2l LeNet", ModelConfig(), {f: getattr(_BOOK, f) for f in _TRAINING}),
    "modern": Preset(
        "modern LeNet",
        ModelConfig(activation="relu", pooling="max", batch_norm=True, init="kaiming"),
        {
            "lr": 0.2,
            "optimizer": "sgd",
            "momentum": 0.9,
            "nesterov": True,
            "weight_decay": 5e-4,
            "schedule": "onecycle",
            "augment": "flip",
        },
    ),
}
"""The presets by name, as --preset and the form's preset field offer them."""
