"""The one-line reading of layer health: given only where the figures leave no doubt."""

from __future__ import annotations

import math

from inside_fixtures import d2l_report, health_progress, plateau_reports

from lenet_tui.engine.events import ActivationHealth, LayerHealth
from lenet_tui.ui.health_reading import health_reading, plateau_since
from lenet_tui.ui.widgets.layer_health import sparkline


def reading(conv1_grad: float, saturated: float = 0.0) -> str | None:
    report = health_progress(0.5, conv1_grad=conv1_grad, saturated=saturated)
    return health_reading(report.layers, report.activations)


def test_gradients_a_thousandth_of_the_last_layers_behind_saturated_sigmoids():
    assert reading(2e-4, saturated=0.7) == (
        "conv1 gradients are 1/1,000 of fc3's: the sigmoids above them are saturated"
    )


def test_gradients_that_vanish_through_unsaturated_sigmoids_blame_each_sigmoids_quarter():
    assert reading(1.5e-3) == (
        "conv1 gradients are 1/130 of fc3's: "
        "each of the 4 sigmoids above them passes on at most 1/4"
    )


def test_gradients_within_a_thirtyfold_say_nothing():
    assert reading(2e-2) is None  # 1/10 of fc3's, as the book's net once it learns
    assert reading(5e-3) is not None  # 1/40, as on its first epoch's plateau


def test_saturated_outputs_are_named_when_gradients_do_not_vanish():
    assert reading(0.1, saturated=0.95) == (
        "conv1 sigmoid: 95% of its outputs are saturated, its gradients vanish"
    )


def test_dead_relus_are_named():
    relu = ActivationHealth(1, "fc1 relu", 0.0, 0.0, math.nan, 0.97)
    layers = (LayerHealth(0, "fc1", 1.0, 0.1, 1e-3), LayerHealth(2, "fc2", 1.0, 0.1, 1e-3))
    assert health_reading(layers, (relu,)) == (
        "fc1 relu: 97% of its outputs are 0, those units learn nothing"
    )


def test_steps_that_move_nothing_say_so():
    layers = (LayerHealth(0, "conv1", 1.0, 0.1, 1e-8), LayerHealth(2, "fc", 1.0, 0.1, 1e-7))
    assert health_reading(layers, ()).startswith("the last step changed the weights by under")


def test_an_old_log_without_health_or_with_nan_figures_reads_nothing():
    assert health_reading((), ()) is None
    nan = (LayerHealth(0, "conv1", math.nan, math.nan, math.nan),)
    assert health_reading(nan * 2, ()) is None


def test_a_sparkline_rises_with_its_values_and_squeezes_a_long_run_into_its_width():
    assert sparkline([0.0, 0.5, 1.0], 10, 0.0, 1.0) == "▁▅█"
    assert sparkline([0.0, math.nan, 1.0], 10, 0.0, 1.0) == "▁ █"
    assert sparkline([0.0] * 50 + [1.0] * 50, 4, 0.0, 1.0) == "▁▁██"


def read(reports) -> str | None:
    """The reading of the latest of these reports, with every report's loss so far."""
    losses = [(r.epoch, r.train_loss) for r in reports]
    return health_reading(reports[-1].layers, reports[-1].activations, losses, classes=10)


def test_a_loss_flat_at_chance_reads_as_a_plateau_and_says_why_from_the_figures():
    reading = read(plateau_reports())  # the book's net, epochs 0.1 to 0.7: loss 2.42 .. 2.33
    assert reading == (
        "loss on a plateau since epoch 0.1: 2.33, the loss of guessing (ln 10 ≈ 2.30). "
        "conv1 gradients are 1/23 of fc3's; fc2 sigmoid outputs barely differ between images "
        "(std 0.03), so fc3 learns only how often each class occurs"
    )


def test_the_plateau_is_read_from_the_third_report_at_chance_until_the_loss_falls():
    reports = plateau_reports()
    assert not (read(reports[:2]) or "").startswith("loss on a plateau")  # two are no plateau
    assert read(reports[:3]).startswith("loss on a plateau since epoch 0.1")
    falling = d2l_report(1.1, 1.95, 0.32, "learning")  # the next epoch's first report
    assert read([*reports, falling]) is None  # and nothing else is wrong once it learns
    again = [*reports, falling, *(d2l_report(1.1 + e / 10, 2.3, 0.1) for e in range(1, 4))]
    assert read(again).startswith("loss on a plateau since epoch 1.2")  # a new stretch


def test_a_plateau_of_dead_relus_names_them():
    relu = ActivationHealth(1, "fc1 relu", 0.0, 0.0, math.nan, 0.97)
    layers = (LayerHealth(0, "fc1", 1.0, 0.1, 1e-3), LayerHealth(2, "fc2", 1.0, 0.1, 1e-3))
    losses = [(e / 10, math.log(10)) for e in range(1, 6)]
    assert health_reading(layers, (relu,), losses) == (
        "loss on a plateau since epoch 0.1: 2.30, the loss of guessing (ln 10 ≈ 2.30). "
        "fc1 relu 97% dead"
    )


def test_chance_is_the_log_of_the_number_of_classes():
    losses = [(e / 10, math.log(3)) for e in range(1, 4)]
    assert plateau_since(losses, classes=3) == 0.1
    assert plateau_since(losses, classes=10) is None  # 1.10 is far below ln 10
    assert plateau_since([(0.1, math.nan)] * 3, classes=10) is None
