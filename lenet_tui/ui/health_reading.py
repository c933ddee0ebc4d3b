"""One sentence on a network's health at a progress report, when the figures leave no doubt.

Thresholds are conservative, chosen so a reading is only given where it is plain; they are the
textbook rules of thumb, and the first is set from the book's net on Fashion-MNIST (seed 0): on
the plateau of its first epoch (loss 2.30) conv1's gradient norm was 1/30 to 1/200 of fc3's,
once it learns (loss falling) 1/3 to 1/10.

- vanishing gradients: the first weighted layer's gradient norm is under 1/30 of the last's;
  the reason named is a saturated sigmoid in between (over half its outputs below 0.05 or above
  0.95), else the sigmoids in between (each passes on at most 1/4 of the gradient);
- saturation: an activation with at least 90% of its outputs saturated;
- dead units: a ReLU with at least 90% of its outputs exactly 0;
- no learning: every layer's last step changed its weights by under 1e-6 of their norm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from lenet_tui.engine.events import ActivationHealth, LayerHealth

VANISHING = 1 / 30
"""First layer's gradient norm over the last's, below which gradients are called vanishing."""
SATURATED_CAUSE = 0.5
"""Share of saturated outputs that makes a sigmoid the named cause of vanishing gradients."""
SATURATED = 0.9
DEAD = 0.9
STILL = 1e-6
"""Update-to-weight ratio under which a step moved nothing."""


def health_reading(layers: Sequence[LayerHealth],
                   activations: Sequence[ActivationHealth]) -> str | None:  # fmt: skip
    """The plainest reading of one report, or None when nothing is plain (or nothing reported)."""
    for rule in (_vanishing, _saturated, _dead, _still):
        reading = rule(layers, activations)
        if reading:
            return reading
    return None


def _vanishing(layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth]) -> str:
    known = [layer for layer in layers if _positive(layer.grad_norm)]
    if len(known) < 2:
        return ""
    first, last = min(known, key=_index), max(known, key=_index)
    ratio = first.grad_norm / last.grad_norm
    if ratio >= VANISHING:
        return ""
    between = [a for a in activations if first.index < a.index < last.index]
    sigmoids = [a for a in between if math.isfinite(a.saturated)]
    saturated = [a for a in sigmoids if a.saturated > SATURATED_CAUSE]
    said = f"{first.name} gradients are 1/{_round(1 / ratio)} of {last.name}'s"
    if saturated:
        return f"{said}: the sigmoids above them are saturated"
    if sigmoids:
        return f"{said}: each of the {len(sigmoids)} sigmoids above them passes on at most 1/4"
    return f"{said}: the early layers learn slowly"


def _saturated(layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth]) -> str:
    worst = max(activations, key=lambda a: _or_zero(a.saturated), default=None)
    if worst is None or _or_zero(worst.saturated) < SATURATED:
        return ""
    return f"{worst.name}: {worst.saturated:.0%} of its outputs are saturated, its gradients vanish"


def _dead(layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth]) -> str:
    worst = max(activations, key=lambda a: _or_zero(a.dead), default=None)
    if worst is None or _or_zero(worst.dead) < DEAD:
        return ""
    return f"{worst.name}: {worst.dead:.0%} of its outputs are 0, those units learn nothing"


def _still(layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth]) -> str:
    ratios = [layer.update_ratio for layer in layers if math.isfinite(layer.update_ratio)]
    if not ratios or max(ratios) >= STILL:
        return ""
    return f"the last step changed the weights by under {STILL:g} of their size: nothing learns"


def _index(layer: LayerHealth) -> int:
    return layer.index


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _or_zero(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _round(value: float) -> str:
    """A ratio as a person says it: 1/300, 1/1000, 1/45."""
    digits = math.floor(math.log10(value))
    step = 10 ** max(digits - 1, 0)
    return f"{round(value / step) * step:,}"
