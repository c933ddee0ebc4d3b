"""The Activations tab: two images on one screen, the kernels, the whole forward pass."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from dashboard_helpers import SHORT, SIZE, make_app, shown, wait_until
from inside_fixtures import rendered
from textual.widgets import Static

from lenet_tui.engine.config import ModelConfig
from lenet_tui.engine.inspection import Inspector
from lenet_tui.engine.model import build_lenet
from lenet_tui.ui.widgets.activation_viewer import ActivationViewer
from lenet_tui.ui.widgets.feature_maps import FeatureMaps


def extremes(grid) -> tuple[float, float]:
    values = [v for row in grid for v in row]
    return min(values), max(values)


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_pinned_coat_and_a_pullover_share_a_colour_scale_per_map(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "4")
        await settle(app, pilot)
        await pilot.press("space", "2")
        await settle(app, pilot)
        viewer = app.query_one(ActivationViewer)
        coat, pullover = viewer.pinned, viewer.inspection
        assert (coat.label, pullover.label) == (4, 2)
        assert "pinned image" in shown(app.screen, "#viewer-caption")
        side = shown(app.screen, "#viewer-prediction")
        assert side.index("Coat") < side.index("Pullover")  # pinned on the left
        for inspection in (coat, pullover):  # both top-3s, in percent
            for _, p in inspection.top3:
                assert f"{p:.0%}" in side
        for block in (0, 1):
            maps = app.screen.query_one(f"#conv{block + 1}-maps", FeatureMaps)
            for k, scale in enumerate(maps.scales):
                lows, highs = zip(
                    extremes(coat.convs[block][k]), extremes(pullover.convs[block][k]), strict=True
                )
                assert scale == (min(lows), max(highs))
            title = shown(app.screen, f"#conv{block + 1}-title")
            assert "pinned, this" in title and "shared scale per map" in title

        await pilot.press("space")  # unpinned: each map on its own range again
        await settle(app, pilot)
        assert viewer.pinned is None
        maps = app.screen.query_one("#conv2-maps", FeatureMaps)
        assert maps.scales == [extremes(m) for m in pullover.convs[1]]
        assert "each map scaled to its own range" in shown(app.screen, "#conv2-title")


async def test_new_weights_redraw_both_images(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "4")
        await settle(app, pilot)
        await pilot.press("space", "2")
        await settle(app, pilot)
        viewer = app.query_one(ActivationViewer)
        viewer.show_weights(Inspector(build_lenet(seed=7), tiny_dataset, epoch=3))
        await wait_until(pilot, lambda: viewer.inspection.epoch == 3)
        assert (viewer.pinned.epoch, viewer.pinned.label, viewer.inspection.label) == (3, 4, 2)
        assert "after epoch 3" in shown(app.screen, "#viewer-caption")


async def test_the_kernels_shown_are_the_conv_weights(tiny_dataset):
    config = ModelConfig(channels=(2, 3), kernel_size=3)
    net = build_lenet(config, seed=0)
    with torch.no_grad():
        net[0].weight.copy_(torch.arange(18.0).view(2, 1, 3, 3) - 9)  # -9 .. 8
        net[3].weight.copy_(torch.arange(54.0).view(3, 2, 3, 3) / 10)
    app = make_app(tiny_dataset, replace(SHORT, model=config))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await settle(app, pilot)
        viewer = app.query_one(ActivationViewer)
        viewer.show_weights(Inspector(net, tiny_dataset, epoch=1))
        await wait_until(pilot, lambda: viewer.inspection.epoch == 1)
        await pilot.pause()
        conv1 = app.screen.query_one("#conv1-maps", FeatureMaps)
        assert torch.equal(torch.tensor(conv1.kernels), net[0].weight[:, 0])
        assert conv1.kernel_scale == (-9.0, 9.0)  # symmetric: zero is the middle colour
        conv2 = app.screen.query_one("#conv2-maps", FeatureMaps)
        want = net[3].weight.mean(dim=1)  # each output channel's mean over its 2 inputs
        assert torch.allclose(torch.tensor(conv2.kernels), want)
        assert "mean of 2 inputs" in shown(app.screen, "#conv2-title")


async def test_f_shows_the_forward_pass_down_to_each_class_probability(tiny_dataset):
    app = make_app(tiny_dataset)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3", "4")
        await settle(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        viewer = app.query_one(ActivationViewer)
        assert viewer.query_one("#viewer-forward").display
        assert not viewer.query_one("#viewer-maps").display
        text = shown(app.screen, "#forward-pass")
        layers = ["conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "fc3 logits", "softmax"]
        assert [text.index(f"{name} ·") for name in layers] == sorted(
            text.index(f"{name} ·") for name in layers
        )
        assert "120 values" in text and "84 values" in text
        for label, p in enumerate(viewer.inspection.probs):
            assert f"{tiny_dataset.classes[label]} {p:.0%}" in text
        await pilot.press("right")  # the next image's forward pass
        await settle(app, pilot)
        assert f"test image {viewer.inspection.index + 1}" in shown(app.screen, "#forward-pass")
        await pilot.press("f")
        await pilot.pause()
        assert viewer.query_one("#viewer-maps").display
        assert app.screen.query_one("#conv1-title", Static).display


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_compared_images_name_every_likely_class_in_full_words(tiny_dataset, size):
    app = make_app(tiny_dataset)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f3", "9")  # an ankle boot, pinned
        await settle(app, pilot)
        await pilot.press("space", "0")  # beside a T-shirt/top: the two longest names
        await settle(app, pilot)
        viewer = app.query_one(ActivationViewer)
        names = tiny_dataset.classes
        side = app.screen.query_one("#viewer-prediction", Static)

        def both_drawn() -> bool:  # the true classes side by side
            lines = rendered(side).splitlines()
            return any("Ankle boot" in line and "T-shirt/top" in line for line in lines)

        await wait_until(pilot, both_drawn)
        lines = rendered(side).splitlines()
        likely = [line for line in lines if "%" in line]  # the three likeliest, both images
        for rank, line in enumerate(likely):
            for inspection in (viewer.pinned, viewer.inspection):
                label, p = inspection.top3[rank]
                name = "T-shirt" if names[label] == "T-shirt/top" else names[label]  # no room
                assert f"{name} " in line and f"{p:.0%}" in line
