"""The network matches d2l's LeNet-5 and its exercise variants."""

import math
import threading

import pytest
import torch
from torch import nn

from lenet_tui.engine.config import ModelConfig
from lenet_tui.engine.model import build_lenet, conv_indices, count_parameters, layer_table

# d2l chapter 7.6 (PyTorch), the shape printout for a 1x1x28x28 input.
BOOK_SHAPES = [
    ("Conv2d", (1, 6, 28, 28)),
    ("Sigmoid", (1, 6, 28, 28)),
    ("AvgPool2d", (1, 6, 14, 14)),
    ("Conv2d", (1, 16, 10, 10)),
    ("Sigmoid", (1, 16, 10, 10)),
    ("AvgPool2d", (1, 16, 5, 5)),
    ("Flatten", (1, 400)),
    ("Linear", (1, 120)),
    ("Sigmoid", (1, 120)),
    ("Linear", (1, 84)),
    ("Sigmoid", (1, 84)),
    ("Linear", (1, 10)),
]


def test_default_layer_table_is_the_books():
    rows = layer_table(build_lenet())
    assert [(r.name, r.output_shape) for r in rows] == BOOK_SHAPES
    assert [r.parameters for r in rows if r.parameters] == [156, 2416, 48120, 10164, 850]
    assert count_parameters(build_lenet()) == 61_706


def test_weights_are_xavier_uniform():
    fc1 = build_lenet()[7]
    bound = math.sqrt(6 / (400 + 120))  # torch's default init would stay within 1/sqrt(400)
    assert 1 / math.sqrt(400) < fc1.weight.abs().max().item() <= bound


def test_built_network_is_in_training_mode():
    net = build_lenet(ModelConfig(batch_norm=True))
    assert all(m.training for m in net.modules())


def test_modern_variant_uses_relu_max_pool_and_batch_norm():
    net = build_lenet(ModelConfig(activation="relu", pooling="max", batch_norm=True))
    names = [r.name for r in layer_table(net)]
    assert names[:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    assert names.count("BatchNorm1d") == 2 and "Sigmoid" not in names
    assert conv_indices(net) == (0, 4)


@pytest.mark.parametrize(
    ("channels", "kernel_size", "conv2_shape", "flat"),
    [
        ((6, 16), 3, (1, 16, 12, 12), 576),
        ((8, 32), 5, (1, 32, 10, 10), 800),
        ((6, 16), 13, (1, 16, 2, 2), 16),
    ],
)
def test_channels_and_kernel_size_change_shapes(channels, kernel_size, conv2_shape, flat):
    net = build_lenet(ModelConfig(channels=channels, kernel_size=kernel_size))
    rows = layer_table(net)
    assert rows[0].output_shape == (1, channels[0], 28, 28) or kernel_size % 2 == 0
    assert rows[3].output_shape == conv2_shape
    assert rows[6].output_shape == (1, flat)
    assert isinstance(net[7], nn.Linear) and net[7].in_features == flat


def test_a_seed_gives_its_weights_even_while_other_threads_build():
    """The dashboard builds previews in one thread while a run builds its network in another."""
    reference = build_lenet(seed=3).state_dict()
    seeded: list[dict] = []

    def build(seed: int | None) -> None:
        for _ in range(5):
            net = build_lenet(seed=seed)
            if seed is not None:
                seeded.append(net.state_dict())

    threads = [threading.Thread(target=build, args=(s,)) for s in (3, None, 3, None)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seeded) == 10
    for state in seeded:
        assert all(torch.equal(state[k], reference[k]) for k in reference)
