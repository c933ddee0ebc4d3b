"""The network matches d2l's LeNet-5 and its exercise variants."""

import math
import threading

import pytest
import torch
from torch import nn

from lenet_tui.engine.config import ModelConfig
from lenet_tui.engine.model import build_lenet, conv_indices, count_parameters, layer_table

Rows = list[tuple[str, tuple[int, ...], int]]

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


def table(config: ModelConfig) -> Rows:
    """The layer table as (layer, output shape, parameters) rows."""
    return [(r.name, r.output_shape, r.parameters) for r in layer_table(build_lenet(config))]


def test_one_conv_block_flattens_its_14x14_maps():
    rows = table(ModelConfig(channels=(6,)))
    assert rows == [
        ("Conv2d", (1, 6, 28, 28), 6 * 25 + 6),
        ("Sigmoid", (1, 6, 28, 28), 0),
        ("AvgPool2d", (1, 6, 14, 14), 0),
        ("Flatten", (1, 1176), 0),  # 6 * 14 * 14
        ("Linear", (1, 120), 1176 * 120 + 120),
        ("Sigmoid", (1, 120), 0),
        ("Linear", (1, 84), 120 * 84 + 84),
        ("Sigmoid", (1, 84), 0),
        ("Linear", (1, 10), 84 * 10 + 10),
    ]
    assert sum(p for *_, p in rows) == 152_410


def test_three_conv_blocks_with_3x3_kernels():
    net = build_lenet(ModelConfig(channels=(8, 16, 32), kernel_size=3))
    rows = [(r.name, r.output_shape, r.parameters) for r in layer_table(net)]
    assert rows[:10] == [
        ("Conv2d", (1, 8, 28, 28), 8 * 9 + 8),  # padded by 1: 28 stays 28
        ("Sigmoid", (1, 8, 28, 28), 0),
        ("AvgPool2d", (1, 8, 14, 14), 0),
        ("Conv2d", (1, 16, 12, 12), 16 * 8 * 9 + 16),  # unpadded: 14 - 2
        ("Sigmoid", (1, 16, 12, 12), 0),
        ("AvgPool2d", (1, 16, 6, 6), 0),
        ("Conv2d", (1, 32, 4, 4), 32 * 16 * 9 + 32),
        ("Sigmoid", (1, 32, 4, 4), 0),
        ("AvgPool2d", (1, 32, 2, 2), 0),
        ("Flatten", (1, 128), 0),
    ]
    assert rows[10] == ("Linear", (1, 120), 128 * 120 + 120)
    assert count_parameters(net) == 32_382
    assert conv_indices(net) == (0, 3, 6)


def test_no_hidden_layer_goes_straight_to_the_ten_outputs():
    rows = table(ModelConfig(hidden=()))
    assert rows[6:] == [("Flatten", (1, 400), 0), ("Linear", (1, 10), 400 * 10 + 10)]
    assert sum(p for *_, p in rows) == 156 + 2416 + 4010


def test_three_hidden_layers_with_batch_norm_and_relu():
    rows = table(ModelConfig(hidden=(256, 128, 64), activation="relu", batch_norm=True))
    assert rows[8] == ("Flatten", (1, 400), 0)  # two conv blocks of four layers before it
    assert rows[9:] == [
        ("Linear", (1, 256), 400 * 256 + 256),
        ("BatchNorm1d", (1, 256), 2 * 256),
        ("ReLU", (1, 256), 0),
        ("Linear", (1, 128), 256 * 128 + 128),
        ("BatchNorm1d", (1, 128), 2 * 128),
        ("ReLU", (1, 128), 0),
        ("Linear", (1, 64), 128 * 64 + 64),
        ("BatchNorm1d", (1, 64), 2 * 64),
        ("ReLU", (1, 64), 0),
        ("Linear", (1, 10), 64 * 10 + 10),
    ]


def d2l_lenet(seed: int, xavier: bool = True) -> nn.Sequential:
    """LeNet-5 written out as d2l (0.17, PyTorch) does, initialised as its train_ch6."""
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.Sigmoid(),
        nn.Linear(120, 84),
        nn.Sigmoid(),
        nn.Linear(84, 10),
    )

    def init_weights(m: nn.Module) -> None:
        if type(m) is nn.Linear or type(m) is nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)

    if xavier:
        net.apply(init_weights)
    return net


@pytest.mark.parametrize("seed", [0, 7])
def test_default_network_is_d2l_lenet_weight_for_weight(seed):
    """Runs and checkpoints made before the shape settings existed keep their numbers."""
    ours, book = build_lenet(seed=seed).state_dict(), d2l_lenet(seed).state_dict()
    layers = (0, 3, 7, 9, 11)
    assert list(ours) == [f"{i}.{p}" for i in layers for p in ("weight", "bias")]
    assert list(ours) == list(book)
    assert all(torch.equal(ours[k], book[k]) for k in ours)


def test_default_init_is_pytorchs_own():
    ours = build_lenet(ModelConfig(init="default"), seed=5).state_dict()
    book = d2l_lenet(5, xavier=False).state_dict()
    assert all(torch.equal(ours[k], book[k]) for k in book)
    assert not torch.equal(ours["7.weight"], build_lenet(seed=5).state_dict()["7.weight"])


def test_xavier_keeps_every_weight_within_its_layers_bound():
    net = build_lenet(ModelConfig(channels=(8, 16, 32), kernel_size=3, hidden=(64,)), seed=1)
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            fan_out, fan_in = layer.weight.shape[:2]
            area = layer.weight[0, 0].numel()  # k * k for a conv, 1 for a linear layer
            bound = math.sqrt(6 / ((fan_in + fan_out) * area))
            assert 0.9 * bound < layer.weight.abs().max().item() <= bound


@pytest.mark.parametrize(("activation", "gain"), [("relu", math.sqrt(2)), ("sigmoid", 1.0)])
def test_kaiming_draws_normal_weights_scaled_by_fan_in(activation, gain):
    net = build_lenet(ModelConfig(init="kaiming", activation=activation, hidden=(4096,)), seed=2)
    fc1, out = net[7], net[9]
    assert fc1.weight.shape == (4096, 400)
    assert fc1.weight.std().item() == pytest.approx(gain / math.sqrt(400), rel=0.01)
    assert fc1.weight.mean().item() == pytest.approx(0, abs=0.001)
    # The output layer feeds no activation: gain 1, whatever the hidden layers use.
    assert out.weight.std().item() == pytest.approx(1 / math.sqrt(4096), rel=0.03)
    assert all(not layer.bias.any() for layer in (net[0], net[3], fc1, out))
