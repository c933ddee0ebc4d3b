"""One test image through the network: a row of feature maps per conv block, the dataset's names."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from dashboard_helpers import SHORT, SIZE, make_app, shown
from textual.widgets import Static

from lenet_tui.engine.config import ModelConfig
from lenet_tui.engine.inspection import Inspector
from lenet_tui.engine.model import build_lenet
from lenet_tui.ui.widgets.activation_viewer import ActivationViewer

DIGITS = tuple(str(d) for d in range(10))


def sides(maps: tuple) -> tuple[int, int, int]:
    """(channels, height, width) of one block's maps."""
    return len(maps), len(maps[0]), len(maps[0][0])


def test_the_books_network_gives_6_maps_of_28x28_then_16_of_10x10(tiny_dataset):
    seen = Inspector(build_lenet(seed=0), tiny_dataset).inspect(0)
    assert [sides(m) for m in seen.convs] == [(6, 28, 28), (16, 10, 10)]


def test_one_conv_block_gives_one_group_of_maps(tiny_dataset):
    seen = Inspector(build_lenet(ModelConfig(channels=(4,)), seed=0), tiny_dataset).inspect(3)
    assert [sides(m) for m in seen.convs] == [(4, 28, 28)]
    assert len(seen.convs) == 1


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_three_blocks_give_three_groups_taken_after_each_activation(tiny_dataset, activation):
    config = ModelConfig(
        channels=(8, 16, 32), kernel_size=3, activation=activation, batch_norm=True
    )
    net = build_lenet(config, seed=0)
    seen = Inspector(net, tiny_dataset).inspect(5)
    assert [sides(m) for m in seen.convs] == [(8, 28, 28), (16, 12, 12), (32, 4, 4)]
    # conv, batch norm, activation: each group is what the block's activation put out.
    x = tiny_dataset.test_images[5].float().div(255).view(1, 1, 28, 28)
    with torch.no_grad():
        expected = [net.eval()[: end + 1](x)[0] for end in (2, 6, 10)]
    for maps, want in zip(seen.convs, expected, strict=True):
        assert torch.allclose(torch.tensor(maps), want, atol=1e-6)


def test_class_names_come_from_the_dataset(tiny_dataset):
    net = build_lenet(seed=0)
    assert Inspector(net, tiny_dataset).classes[4] == "Coat"
    digits = replace(tiny_dataset, name="mnist", classes=DIGITS)
    assert Inspector(net, digits).classes == DIGITS


async def test_viewer_draws_three_rows_of_maps_and_names_digits(tiny_dataset):
    model = ModelConfig(channels=(8, 16, 32), kernel_size=3)
    app = make_app(replace(tiny_dataset, name="mnist", classes=DIGITS), replace(SHORT, model=model))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "7")
        await app.workers.wait_for_complete()
        await pilot.pause()
        viewer = app.query_one(ActivationViewer)
        assert viewer.inspection.label == 7
        assert "true class 7" in shown(app.screen, "#viewer-caption")
        assert "0-9 the next image of that digit" in shown(app.screen, "#viewer-keys")
        top3 = shown(app.screen, "#viewer-prediction").split()
        assert top3[1] in DIGITS and "Coat" not in top3
        titles = [shown(app.screen, f"#conv{n}-title") for n in (1, 2, 3)]
        assert titles[0].startswith("conv1 · 8 feature maps of 28×28, drawn 14×14")
        assert titles[1].startswith("conv2 · 16 feature maps of 12×12 ")
        assert titles[2].startswith("conv3 · 32 feature maps of 4×4 ")


async def test_viewer_hides_the_rows_a_one_block_network_lacks(tiny_dataset):
    app = make_app(tiny_dataset, replace(SHORT, model=ModelConfig(channels=(6,))))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "true class Coat" in shown(app.screen, "#viewer-caption")
        shown_rows = [app.screen.query_one(f"#conv{n}-title", Static).display for n in (1, 2, 3)]
        assert shown_rows == [True, False, False]


def test_the_forward_pass_keeps_every_layer_down_to_the_softmax(tiny_dataset):
    net = build_lenet(seed=0)
    seen = Inspector(net, tiny_dataset).inspect(2)
    assert [sides(m) for m in seen.pools] == [(6, 14, 14), (16, 5, 5)]
    assert [len(values) for values in seen.dense] == [120, 84]
    assert len(seen.logits) == len(seen.probs) == 10
    assert sum(seen.probs) == pytest.approx(1.0, abs=1e-6)
    best = sorted(enumerate(seen.probs), key=lambda pair: -pair[1])[:3]
    assert [label for label, _ in seen.top3] == [label for label, _ in best]
    assert [p for _, p in seen.top3] == pytest.approx([p for _, p in best])
    x = tiny_dataset.test_images[2].float().div(255).view(1, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(torch.tensor(seen.logits), net.eval()(x)[0], atol=1e-5)
        fc1 = net[:9](x)[0]  # flatten, linear, sigmoid: what fc1 hands on
    assert torch.allclose(torch.tensor(seen.dense[0]), fc1, atol=1e-6)


def test_a_net_without_hidden_layers_goes_from_the_last_pool_to_the_logits(tiny_dataset):
    config = ModelConfig(channels=(4,), hidden=())
    seen = Inspector(build_lenet(config, seed=0), tiny_dataset).inspect(0)
    assert [sides(m) for m in seen.pools] == [(4, 14, 14)]
    assert seen.dense == () and len(seen.logits) == 10


def test_kernels_are_conv1s_weights_and_later_convs_averaged_over_inputs(tiny_dataset):
    net = build_lenet(seed=0)
    seen = Inspector(net, tiny_dataset).inspect(0)
    assert [sides(k) for k in seen.kernels] == [(6, 5, 5), (16, 5, 5)]
    assert torch.allclose(torch.tensor(seen.kernels[0]), net[0].weight[:, 0], atol=1e-7)
    assert torch.allclose(torch.tensor(seen.kernels[1]), net[3].weight.mean(dim=1), atol=1e-7)
