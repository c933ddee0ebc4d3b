"""Layer health at a progress report: how big each layer's weights, gradients and last update
are, and what each activation puts out; computed on the device, read back with the means.

Only the reporting step is watched: `arm()` before it keeps the weights as they were and hooks
the activations for that one forward pass, `disarm()` after it removes the hooks, and
`figures()` then gives every number as one tensor for the report's single sync.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn.utils import get_total_norm

from lenet_tui.engine.events import ActivationHealth, LayerHealth

SATURATED_BELOW = 0.05
SATURATED_ABOVE = 0.95
"""A sigmoid output outside [0.05, 0.95], or a tanh output outside [-0.95, 0.95], is saturated:
its slope is under a fifth of its largest (sigmoid' <= 0.048 of 0.25, tanh' <= 0.098 of 1)."""

_WEIGHTED: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (nn.Conv2d, "conv"),
    (nn.Linear, "fc"),
    ((nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d), "bn"),
)
_ACTIVATIONS: dict[type[nn.Module], str] = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ReLU: "relu"}
LAYER_FIGURES = 3
"""weight norm, gradient norm, update ratio"""
ACTIVATION_FIGURES = 4
"""mean, std, saturated, dead"""


def health_names(model: nn.Sequential) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(index, name) of each layer with weights (conv1, fc1, bn1...) and of each activation
    (named for the conv or linear layer it follows and its function: "conv1 sigmoid")."""
    layers, activations, counts, last = [], [], dict.fromkeys(("conv", "fc", "bn"), 0), "input"
    for index, module in enumerate(model):
        prefix = next((p for kind, p in _WEIGHTED if isinstance(module, kind)), None)
        if prefix is not None and any(True for _ in module.parameters()):
            counts[prefix] += 1
            layers.append((index, f"{prefix}{counts[prefix]}"))
            last = layers[-1][1] if prefix != "bn" else last
        elif type(module) in _ACTIVATIONS:
            activations.append((index, f"{last} {_ACTIVATIONS[type(module)]}"))
    return layers, activations


class HealthProbe:
    """Watches one network's reporting steps (see the module's docstring)."""

    def __init__(self, model: nn.Sequential) -> None:
        self.model = model
        self.layers, self.activations = health_names(model)
        self._before: list[list[torch.Tensor]] = []
        self._stats: dict[int, torch.Tensor] = {}
        self._hooks: list[torch.utils.hooks.RemovableHandle] = []

    @property
    def size(self) -> int:
        """How many numbers `figures()` gives."""
        return LAYER_FIGURES * len(self.layers) + ACTIVATION_FIGURES * len(self.activations)

    def arm(self) -> None:
        """Before the reporting step: keep the weights, hook the activations."""
        with torch.no_grad():
            self._before = [[p.detach().clone() for p in self._params(i)] for i, _ in self.layers]
        self._stats = {}
        for index, _ in self.activations:
            kind = _ACTIVATIONS[type(self.model[index])]
            self._hooks.append(self.model[index].register_forward_hook(self._hook(index, kind)))

    def disarm(self) -> None:
        """After the reporting step (also when it raised): the hooks go."""
        for hook in self._hooks:
            hook.remove()
        self._hooks = []

    @torch.no_grad()
    def figures(self) -> torch.Tensor:
        """Every figure of the step just watched, flat, on the device (no sync)."""
        device = next(self.model.parameters()).device
        nan = torch.full((), math.nan, device=device)
        values: list[torch.Tensor] = []
        for (index, _), before in zip(self.layers, self._before, strict=True):
            params = self._params(index)
            grads = [p.grad for p in params if p.grad is not None]
            weight = get_total_norm(params)
            change = get_total_norm([p - b for p, b in zip(params, before, strict=True)])
            values.append(torch.stack([weight, get_total_norm(grads) if grads else nan,
                                       change / weight]))  # fmt: skip
        for index, _ in self.activations:
            values.append(self._stats.get(index, nan.expand(ACTIVATION_FIGURES)))
        self._before, self._stats = [], {}
        return torch.cat(values).float() if values else nan.view(1)[:0]

    def read(
        self, values: Sequence[float]
    ) -> tuple[tuple[LayerHealth, ...], tuple[ActivationHealth, ...]]:
        """The events' records from the host copy of `figures()`."""
        layers = tuple(
            LayerHealth(index, name, *values[LAYER_FIGURES * n : LAYER_FIGURES * (n + 1)])
            for n, (index, name) in enumerate(self.layers)
        )
        rest = values[LAYER_FIGURES * len(self.layers) :]
        activations = tuple(
            ActivationHealth(
                index, name, *rest[ACTIVATION_FIGURES * n : ACTIVATION_FIGURES * (n + 1)]
            )
            for n, (index, name) in enumerate(self.activations)
        )
        return layers, activations

    def _params(self, index: int) -> list[torch.Tensor]:
        return list(self.model[index].parameters())

    def _hook(self, index: int, kind: str) -> Callable[..., None]:
        def hook(module: nn.Module, inputs: object, output: torch.Tensor) -> None:
            # bf16 outputs (under autocast) in float32: the std is a difference of moments
            self._stats[index] = activation_figures(output.detach().float(), kind)

        return hook


@torch.no_grad()
def activation_figures(y: torch.Tensor, kind: str) -> torch.Tensor:
    """mean, std, saturated fraction and dead fraction of one activation's outputs.

    Saturated: sigmoid outputs below 0.05 or above 0.95, tanh outputs beyond ±0.95 (NaN for
    ReLU, which does not saturate). Dead: ReLU outputs exactly 0 (NaN for sigmoid and tanh).
    The std is the population's, over every output of the batch, from the first two moments:
    two plain reductions, where torch.std_mean's one-pass kernel took 80 times as long on the
    CPU (11 ms for conv1's 1.2 million outputs); outputs of order 1 lose nothing in float32.
    """
    mean = y.mean()
    std = (y.square().mean() - mean.square()).clamp_min(0).sqrt()
    nan = torch.full_like(mean, math.nan)
    if kind == "sigmoid":
        saturated = _fraction((y < SATURATED_BELOW) | (y > SATURATED_ABOVE))
    elif kind == "tanh":
        saturated = _fraction(y.abs() > SATURATED_ABOVE)
    else:
        saturated = nan
    dead = _fraction(y == 0) if kind == "relu" else nan
    return torch.stack([mean, std, saturated.to(mean.dtype), dead.to(mean.dtype)])


def _fraction(mask: torch.Tensor) -> torch.Tensor:
    return torch.count_nonzero(mask) / mask.numel()
