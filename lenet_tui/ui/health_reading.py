"""One sentence on a network's health at a progress report, when the figures leave no doubt.

Thresholds are conservative, chosen so a reading is only given where it is plain; they are the
textbook rules of thumb, and the first is set from the book's net on Fashion-MNIST (seed 0): on
the plateau of its first epoch (loss 2.30) conv1's gradient norm was 1/30 to 1/200 of fc3's,
once it learns (loss falling) 1/3 to 1/10.

- plateau: the reported loss has stayed at chance, within 5% of ln(classes) (the loss of a net
  that only learns how often each class occurs), for 3 reports in a row or more; said with what
  the figures show of why (weak gradients in the first layer, saturated or dead units, outputs
  that barely differ between images), and no longer once the loss falls out of that band;
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
"""Share of saturated outputs that makes a sigmoid the named cause of vanishing gradients (and,
as of dead ReLU outputs, a cause of a plateau)."""
SATURATED = 0.9
DEAD = 0.9
STILL = 1e-6
"""Update-to-weight ratio under which a step moved nothing."""
CHANCE_BAND = 0.05
"""A loss within this share of ln(classes) is at chance (2.19 to 2.42 for 10 classes)."""
PLATEAU_REPORTS = 3
"""Reports in a row at chance that make a plateau (three tenths of an epoch by default)."""
WEAK = 1 / 10
"""On a plateau, a first layer's gradient under this share of the last's is named as a cause
(the book's net: 1/11 to 1/280 on its plateau, 1/2 once it learns)."""
ALIKE = 0.1
"""On a plateau, a sigmoid's output std under which its outputs barely differ between images
(the book's fc2: 0.03 to 0.05 on its plateau, 0.12 once it learns)."""

Loss = tuple[float, float]
"""A report's (fractional epoch, train loss), as the plot draws it."""


def health_reading(layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth],
                   losses: Sequence[Loss] = (), classes: int = 10) -> str | None:  # fmt: skip
    """The plainest reading of the latest report (`losses`: every report's so far, the latest
    last), or None when nothing is plain (or nothing reported)."""
    since = plateau_since(losses, classes)
    if since is not None:
        return _plateau(since, losses[-1][1], classes, layers, activations)
    for rule in (_vanishing, _saturated, _dead, _still):
        reading = rule(layers, activations)
        if reading:
            return reading
    return None


def plateau_since(losses: Sequence[Loss], classes: int) -> float | None:
    """The epoch since which the loss has been at chance, if it has been for PLATEAU_REPORTS
    reports in a row up to the latest; else None."""
    chance, run, since = math.log(max(classes, 2)), 0, math.nan
    for epoch, loss in reversed(losses):
        if not (math.isfinite(loss) and abs(loss - chance) <= CHANCE_BAND * chance):
            break
        run, since = run + 1, epoch
    return since if run >= PLATEAU_REPORTS else None


def _plateau(since: float, loss: float, classes: int, layers: Sequence[LayerHealth],
             activations: Sequence[ActivationHealth]) -> str:  # fmt: skip
    said = (
        f"loss on a plateau since epoch {since:.1f}: {loss:.2f}, the loss of guessing "
        f"(ln {classes} ≈ {math.log(classes):.2f})"
    )
    causes = [cause for find in _CAUSES if (cause := find(layers, activations))]
    return f"{said}. " + ("; ".join(causes) if causes else "No layer's figures stand out yet")


def _weak_gradient(layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth]) -> str:
    ends = _ends(layers)
    if ends is None or ends[0].grad_norm / ends[1].grad_norm >= WEAK:
        return ""
    first, last = ends
    share = _round(last.grad_norm / first.grad_norm)
    return f"{first.name} gradients are 1/{share} of {last.name}'s"


def _stuck_units(layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth]) -> str:
    saturated = _over_half(activations, "saturated")
    return ", ".join(said for said in (saturated, _over_half(activations, "dead")) if said)


def _over_half(activations: Sequence[ActivationHealth], kind: str) -> str:
    """The activations with over half their outputs saturated (or dead), named by the worst."""
    stuck = [a for a in activations if _or_zero(getattr(a, kind)) > SATURATED_CAUSE]
    if not stuck:
        return ""
    worst = max(stuck, key=lambda a: getattr(a, kind))
    share = f"{getattr(worst, kind):.0%}"
    if len(stuck) == 1:
        return f"{worst.name} {share} {kind}"
    return f"{len(stuck)} activations over half {kind} (most: {worst.name}, {share})"


def _alike_outputs(layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth]) -> str:
    """The activation that feeds the last layer, if its outputs barely differ: that layer then
    sees nearly the same features for every image."""
    ends = _ends(layers)
    feeding = [a for a in activations if ends is None or a.index < ends[1].index]
    last = max(feeding, key=lambda a: a.index, default=None)
    if last is None or not math.isfinite(last.saturated) or not last.std < ALIKE:
        return ""  # only a bounded function's (sigmoid, tanh) std says how alike its outputs are
    then = f", so {ends[1].name} learns only how often each class occurs" if ends else ""
    return f"{last.name} outputs barely differ between images (std {last.std:.2f}){then}"


def _motionless(layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth]) -> str:
    return "the weights barely move" if _still(layers, activations) else ""


_CAUSES = (_weak_gradient, _stuck_units, _alike_outputs, _motionless)
"""What can hold a loss at chance, as the figures of one report show it."""


def _vanishing(layers: Sequence[LayerHealth], activations: Sequence[ActivationHealth]) -> str:
    ends = _ends(layers)
    if ends is None:
        return ""
    first, last = ends
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


def _ends(layers: Sequence[LayerHealth]) -> tuple[LayerHealth, LayerHealth] | None:
    """The first and last weighted layers with a gradient, if there are two."""
    known = [layer for layer in layers if _positive(layer.grad_norm)]
    if len(known) < 2:
        return None
    return min(known, key=_index), max(known, key=_index)


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
