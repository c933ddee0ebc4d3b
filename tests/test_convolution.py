"""LeNet's convolutions give torch's results, and gradients, by their bf16 CPU path too."""

import pytest
import torch
from torch import nn

from lenet_tui.engine.convolution import Conv2d

CHANNELS_LAST = torch.channels_last


def _run(conv: nn.Module, x: torch.Tensor, bf16: bool):
    """Output and the gradients of x, weight and bias for a fixed upstream gradient."""
    x = x.detach().clone().requires_grad_(x.requires_grad)
    conv.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        out = conv(x)
    out.backward(torch.linspace(-1, 1, out.numel()).view(out.shape).to(out.dtype))
    return out, x.grad, conv.weight.grad, conv.bias.grad


def _pair(**options) -> tuple[Conv2d, nn.Conv2d]:
    ours = Conv2d(6, 16, **options)
    torchs = nn.Conv2d(6, 16, **options)
    torchs.load_state_dict(ours.state_dict())
    return ours, torchs


@pytest.mark.parametrize("padding", [0, 2])
def test_conv2_under_bf16_autocast_matches_torchs_with_its_input_gradient_from_nchw(padding):
    ours, torchs = _pair(kernel_size=5, padding=padding)
    x = torch.rand(32, 6, 14, 14).contiguous(memory_format=CHANNELS_LAST).requires_grad_()

    out, *grads = _run(ours, x, bf16=True)
    want, *want_grads = _run(torchs, x, bf16=True)

    assert type(out.grad_fn).__name__ != type(want.grad_fn).__name__  # our path ran
    assert out.dtype == want.dtype == torch.bfloat16
    assert out.is_contiguous(memory_format=CHANNELS_LAST)
    torch.testing.assert_close(out, want)
    for got, expected in zip(grads, want_grads, strict=True):
        assert got.dtype == expected.dtype == torch.float32  # the fp32 weights' own dtype
        torch.testing.assert_close(got, expected, rtol=2e-2, atol=2e-2)
    assert grads[0].is_contiguous(memory_format=CHANNELS_LAST)


@pytest.mark.parametrize(
    ("options", "needs_grad", "bf16", "layout"),
    [
        (dict(kernel_size=5), True, False, CHANNELS_LAST),  # fp32: torch's own is as fast
        (dict(kernel_size=5), False, True, CHANNELS_LAST),  # conv1: its input needs no gradient
        (dict(kernel_size=5), True, True, torch.contiguous_format),
        (dict(kernel_size=5, stride=2), True, True, CHANNELS_LAST),
        (dict(kernel_size=3, padding="same"), True, True, CHANNELS_LAST),
        (dict(kernel_size=3, dilation=2), True, True, CHANNELS_LAST),
        (dict(kernel_size=3, padding=1, padding_mode="reflect"), True, True, CHANNELS_LAST),
    ],
    ids=["fp32", "no-input-grad", "nchw", "stride", "same", "dilation", "reflect"],
)
def test_other_convolutions_are_torchs_own(options, needs_grad, bf16, layout):
    ours, torchs = _pair(**options)
    x = torch.rand(4, 6, 14, 14).contiguous(memory_format=layout).requires_grad_(needs_grad)

    out, *grads = _run(ours, x, bf16)
    want, *want_grads = _run(torchs, x, bf16)

    assert type(out.grad_fn) is type(want.grad_fn)
    torch.testing.assert_close(out, want, rtol=0, atol=0)
    for got, expected in zip(grads, want_grads, strict=True):
        torch.testing.assert_close(got, expected, rtol=0, atol=0)


def test_it_is_shown_saved_and_counted_as_torchs_conv2d():
    ours, torchs = _pair(kernel_size=5)
    assert isinstance(ours, nn.Conv2d) and type(ours).__name__ == "Conv2d"
    assert repr(ours) == repr(torchs)
    assert ours.state_dict().keys() == torchs.state_dict().keys()
