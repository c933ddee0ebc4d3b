"""LeNet-5 as d2l builds it, plus the variants the chapter's exercises ask for."""

from __future__ import annotations

import threading

import torch
from torch import nn

from lenet_tui.engine.config import ModelConfig
from lenet_tui.engine.events import LayerInfo

INPUT_SHAPE = (1, 1, 28, 28)


_GLOBAL_RNG = threading.Lock()
"""Held while a network is built: its initial weights are drawn from torch's global generator,
which every thread shares, so two builds in two threads (the dashboard's preview and a run
starting) would otherwise interleave their draws and neither would get its seed's weights."""


def build_lenet(config: ModelConfig | None = None, *, seed: int | None = None) -> nn.Sequential:
    """LeNet-5: two conv blocks, then three dense layers; Xavier-uniform weights as in d2l.

    With a seed, torch's global generator is seeded first, so the weights are those of any run
    with that seed; builds in different threads never interleave.
    """
    with _GLOBAL_RNG:
        if seed is not None:
            torch.manual_seed(seed)
        return _build(config or ModelConfig())


def _build(config: ModelConfig) -> nn.Sequential:
    c1, c2 = config.channels
    k = config.kernel_size
    features = nn.Sequential(
        *_conv_block(1, c1, k, padding=k // 2, config=config),  # (B, c1, 28, 28) -> pool /2
        *_conv_block(c1, c2, k, padding=0, config=config),  # (B, c2, 10, 10) -> pool /2
        nn.Flatten(),
    )
    with torch.no_grad():  # the flattened width depends on channels and kernel size
        flat = features.eval()(torch.zeros(INPUT_SHAPE)).shape[1]
    net = nn.Sequential(
        *features,
        *_dense_block(flat, 120, config),
        *_dense_block(120, 84, config),
        nn.Linear(84, 10),
    )
    net.apply(_xavier_init)
    return net.train()  # the dry run above left the feature layers in eval mode


def conv_indices(net: nn.Sequential) -> tuple[int, int]:
    """Positions of conv1 and conv2 in the network, for reading their feature maps."""
    convs = [i for i, layer in enumerate(net) if isinstance(layer, nn.Conv2d)]
    return convs[0], convs[1]


def layer_table(net: nn.Sequential) -> tuple[LayerInfo, ...]:
    """Each layer's class, output shape for a 1x1x28x28 input, and parameter count."""
    rows = []
    was_training = net.training
    net.eval()  # batch norm cannot normalise a batch of one in training mode
    try:
        param = next(net.parameters())
        x = torch.zeros(INPUT_SHAPE, device=param.device, dtype=param.dtype)
        with torch.no_grad():
            for layer in net:
                x = layer(x)
                rows.append(
                    LayerInfo(type(layer).__name__, tuple(x.shape), count_parameters(layer))
                )
    finally:
        net.train(was_training)
    return tuple(rows)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _conv_block(
    c_in: int, c_out: int, k: int, padding: int, config: ModelConfig
) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel_size=k, padding=padding)]
    if config.batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    pool = nn.AvgPool2d if config.pooling == "avg" else nn.MaxPool2d
    return [*layers, _activation(config), pool(kernel_size=2, stride=2)]


def _dense_block(n_in: int, n_out: int, config: ModelConfig) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Linear(n_in, n_out)]
    if config.batch_norm:
        layers.append(nn.BatchNorm1d(n_out))
    return [*layers, _activation(config)]


def _activation(config: ModelConfig) -> nn.Module:
    return nn.Sigmoid() if config.activation == "sigmoid" else nn.ReLU()


def _xavier_init(module: nn.Module) -> None:
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)
