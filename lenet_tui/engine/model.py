"""LeNet-5 as d2l builds it, plus the variants the chapter's exercises ask for."""

from __future__ import annotations

import threading

import torch
from torch import nn

from lenet_tui.engine.config import ModelConfig
from lenet_tui.engine.convolution import Conv2d
from lenet_tui.engine.events import LayerInfo
from lenet_tui.engine.pooling import AvgPool2d

INPUT_SHAPE = (1, 1, 28, 28)
N_CLASSES = 10


_GLOBAL_RNG = threading.Lock()
"""Held while a network is built: its initial weights are drawn from torch's global generator,
which every thread shares, so two builds in two threads (the dashboard's preview and a run
starting) would otherwise interleave their draws and neither would get its seed's weights."""


def build_lenet(config: ModelConfig | None = None, *, seed: int | None = None) -> nn.Sequential:
    """LeNet-5 or a variant: conv blocks, then dense layers, as one flat `nn.Sequential`.

    The default config gives d2l's network (layers `0` to `11`, Xavier-uniform weights). With a
    seed, torch's global generator is seeded first, so the weights are those of any run with
    that seed; builds in different threads never interleave.
    """
    with _GLOBAL_RNG:
        if seed is not None:
            torch.manual_seed(seed)
        return _build(config or ModelConfig())


def _build(config: ModelConfig) -> nn.Sequential:
    # Layers are made in forward order, and PyTorch draws each one's default weights as it is
    # made; the same order is what keeps a seed's d2l weights those of earlier versions.
    layers: list[nn.Module] = []
    c_in, k = 1, config.kernel_size
    for block, c_out in enumerate(config.channels):
        padding = k // 2 if block == 0 else 0  # the book pads conv1 only: (B, 6, 28, 28)
        layers += _conv_block(c_in, c_out, k, padding, config)  # then pool: side / 2
        c_in = c_out
    width = config.channels[-1] * config.map_sizes()[-1] ** 2  # (B, 16 * 5 * 5) in d2l
    layers.append(nn.Flatten())
    for n_out in config.hidden:
        layers += _dense_block(width, n_out, config)
        width = n_out
    net = nn.Sequential(*layers, nn.Linear(width, N_CLASSES))  # (B, 10) logits
    _initialise(net, config)
    return net.train()


def conv_indices(net: nn.Sequential) -> tuple[int, ...]:
    """Positions of the network's convs (one per conv block), for reading their feature maps."""
    return tuple(i for i, layer in enumerate(net) if isinstance(layer, nn.Conv2d))


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
    layers: list[nn.Module] = [Conv2d(c_in, c_out, kernel_size=k, padding=padding)]
    if config.batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    pool = AvgPool2d if config.pooling == "avg" else nn.MaxPool2d
    return [*layers, _activation(config), pool(kernel_size=2, stride=2)]


def _dense_block(n_in: int, n_out: int, config: ModelConfig) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Linear(n_in, n_out)]
    if config.batch_norm:
        layers.append(nn.BatchNorm1d(n_out))
    return [*layers, _activation(config)]


def _activation(config: ModelConfig) -> nn.Module:
    return nn.Sigmoid() if config.activation == "sigmoid" else nn.ReLU()


def _initialise(net: nn.Sequential, config: ModelConfig) -> None:
    """Redraw the weights of every conv and linear layer, in order, as `config.init` says.

    xavier: uniform, gain 1, biases as PyTorch made them (d2l's `init_cnn`). kaiming: normal,
    fan-in, with the gain of the activation that follows (relu: sqrt 2; sigmoid: 1, i.e. LeCun
    normal; the output layer, followed by none: 1), biases zero. default: PyTorch's own.
    """
    if config.init == "default":
        return
    weighted = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    for position, layer in enumerate(weighted):
        if config.init == "xavier":
            nn.init.xavier_uniform_(layer.weight)
            continue
        last = position == len(weighted) - 1
        nn.init.kaiming_normal_(layer.weight, nonlinearity="linear" if last else config.activation)
        nn.init.zeros_(layer.bias)
