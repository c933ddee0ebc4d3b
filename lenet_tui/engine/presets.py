"""Named sets of settings: the book's LeNet, and a modern one that shows what modern training
buys. The command line (--preset) and the dashboard's form apply the same ones; torch-free."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.settings import SETTINGS, with_values


@dataclass(frozen=True)
class Preset:
    """A network and the training that suits it; the data and run length are left alone."""

    title: str
    """As the form's preset field shows it: short enough for its width at 80 columns."""
    values: dict[str, object]
    """A value of each setting marked `preset` in engine.settings: the network (not its shape)
    and its training."""

    def apply(self, config: TrainConfig) -> TrainConfig:
        """config with this preset's network and training; flips only on clothing, not digits."""
        values = dict(self.values)
        if config.dataset == "mnist" and "flip" in str(values["augment"]):
            values["augment"] = "shift"  # a mirrored 2, 3 or 7 is no digit
        return with_values(config, values)

    def matches(self, config: TrainConfig) -> bool:
        """Whether config has this preset's network and training, the learning rate aside (the
        first thing a learner tries)."""
        return self.apply(config) == dataclasses.replace(config, lr=self.values["lr"])


_BOOK = TrainConfig()
PRESETS: dict[str, Preset] = {
    "d2l": Preset(
        "d2l LeNet",
        {s.name: getattr(_BOOK.model if s.model else _BOOK, s.name) for s in SETTINGS if s.preset},
    ),
    "modern": Preset(
        "modern LeNet",
        {
            "lr": 0.2,
            "optimizer": "sgd",
            "momentum": 0.9,
            "nesterov": True,
            "weight_decay": 5e-4,
            "schedule": "onecycle",
            "augment": "flip",
            "activation": "relu",
            "pooling": "max",
            "batch_norm": True,
            "init": "kaiming",
        },
    ),
}
"""The presets by name, as --preset and the form's preset field offer them."""
