"""Layer health: the norms, update ratios and activation figures a progress report carries."""

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F
from torch.nn.utils import get_total_norm

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.events import TrainProgress
from lenet_tui.engine.health import HealthProbe, activation_figures, health_names
from lenet_tui.engine.model import build_lenet
from lenet_tui.engine.training import Trainer


def test_layers_and_activations_are_named_by_their_place_in_the_net():
    layers, activations = health_names(build_lenet())  # d2l's net
    assert layers == [(0, "conv1"), (3, "conv2"), (7, "fc1"), (9, "fc2"), (11, "fc3")]
    assert activations == [
        (1, "conv1 sigmoid"), (4, "conv2 sigmoid"), (8, "fc1 sigmoid"), (10, "fc2 sigmoid"),
    ]  # fmt: skip
    config = ModelConfig(activation="relu", batch_norm=True, channels=(6, 16, 32), kernel_size=3)
    model = build_lenet(config)
    layers, activations = health_names(model)
    names = [name for _, name in layers]
    assert names == ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "fc1", "bn4", "fc2", "bn5",
                     "fc3"]  # fmt: skip
    assert [name for _, name in activations][:2] == ["conv1 relu", "conv2 relu"]
    assert activations[0][0] == 2  # conv, batch norm, then the activation


@pytest.mark.parametrize(
    ("kind", "outputs", "saturated", "dead"),
    [
        ("sigmoid", [0.01, 0.5, 0.97, 0.96, 0.05, 0.95, 0.2, 0.8], 3 / 8, math.nan),
        ("tanh", [-0.99, 0.0, 0.5, 0.96, -0.95, 0.95, -0.3, 0.1], 2 / 8, math.nan),
        ("relu", [0.0, 0.0, 1.0, 2.0, 0.0, 3.0, 0.5, 0.0], math.nan, 4 / 8),
    ],
)
def test_saturated_and_dead_fractions_of_hand_built_outputs(kind, outputs, saturated, dead):
    y = torch.tensor(outputs).view(2, 4)
    mean, std, got_saturated, got_dead = activation_figures(y, kind).tolist()
    assert mean == pytest.approx(sum(outputs) / 8)
    assert std == pytest.approx(torch.tensor(outputs).std(correction=0).item())
    assert got_saturated == pytest.approx(saturated, nan_ok=True)
    assert got_dead == pytest.approx(dead, nan_ok=True)


def test_gradient_norms_and_update_ratios_of_a_step_on_a_fixed_batch():
    model = build_lenet(seed=3)
    lr = 0.9
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    y = torch.arange(16) % 10
    probe = HealthProbe(model)
    probe.arm()
    optimizer.zero_grad()
    F.cross_entropy(model(x), y).backward()
    optimizer.step()
    probe.disarm()
    layers, activations = probe.read(probe.figures().tolist())
    assert [layer.name for layer in layers] == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    for layer in layers:
        params = list(model[layer.index].parameters())  # weight and bias
        grad_norm = get_total_norm([p.grad for p in params]).item()
        assert layer.grad_norm == pytest.approx(grad_norm, rel=1e-5)
        assert layer.weight_norm == pytest.approx(get_total_norm(params).item(), rel=1e-5)
        # plain SGD moved each weight by lr * its gradient
        assert layer.update_ratio == pytest.approx(lr * grad_norm / layer.weight_norm, rel=1e-4)
    assert layers[0].grad_norm < layers[-1].grad_norm  # the book's net: conv1 learns slowest
    conv1 = activations[0]
    assert conv1.name == "conv1 sigmoid" and 0 < conv1.mean < 1 and math.isnan(conv1.dead)
    assert not model[1]._forward_hooks  # watched for the one step only


def test_every_report_carries_the_health_of_its_step_and_the_machine(tiny_dataset):
    config = TrainConfig(lr=0.05, epochs=1, batch_size=32, device="cpu", seed=7)
    reports = [e for e in Trainer(config, tiny_dataset).run() if isinstance(e, TrainProgress)]
    assert len(reports) >= 5
    for report in reports:
        assert [layer.index for layer in report.layers] == [0, 3, 7, 9, 11]
        assert all(layer.weight_norm > 0 and layer.grad_norm > 0 for layer in report.layers)
        assert all(0 < layer.update_ratio < 1 for layer in report.layers)
        assert [a.name for a in report.activations][-1] == "fc2 sigmoid"
        assert all(0 <= a.saturated <= 1 for a in report.activations)
        assert report.threads == torch.get_num_threads()
        assert math.isnan(report.device_memory) and math.isnan(report.device_memory_peak)
    relu = dataclasses.replace(config, model=ModelConfig(activation="relu"))
    report = next(e for e in Trainer(relu, tiny_dataset).run() if isinstance(e, TrainProgress))
    assert all(0 <= a.dead <= 1 and math.isnan(a.saturated) for a in report.activations)
