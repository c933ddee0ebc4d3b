"""LeNet's average pooling gives torch's results, forward and backward, by its faster path."""

import pytest
import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from lenet_tui.engine.pooling import AvgPool2d

TORCH_POOL_OPS = {"aten::avg_pool2d", "aten::avg_pool2d_backward"}
CHANNELS_LAST = torch.channels_last


def _pool_and_grad(pool: nn.Module, x: torch.Tensor, grad: torch.Tensor):
    x = x.detach().clone().requires_grad_()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        out = pool(x)
        out.backward(grad)
    return out, x.grad, {event.name for event in prof.events()}


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("shape", [(8, 6, 28, 28), (8, 16, 10, 10), (3, 2, 4, 6)])
def test_lenet_pools_channels_last_maps_like_torch_without_its_pooling_kernels(dtype, shape):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=gen).to(dtype).contiguous(memory_format=CHANNELS_LAST)
    out_shape = (shape[0], shape[1], shape[2] // 2, shape[3] // 2)
    grad = torch.randn(out_shape, generator=gen).to(dtype)

    out, x_grad, ops = _pool_and_grad(AvgPool2d(kernel_size=2, stride=2), x, grad)
    want, want_grad, _ = _pool_and_grad(nn.AvgPool2d(kernel_size=2, stride=2), x, grad)

    assert out.dtype == dtype and out.shape == out_shape
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(x_grad, want_grad, rtol=0, atol=0)  # a quarter, spread: exact
    assert not ops & TORCH_POOL_OPS  # the fast path ran, not torch's pooling


@pytest.mark.parametrize(
    ("pool", "x"),
    [
        (dict(kernel_size=2, stride=2), torch.randn(2, 3, 7, 7)),  # odd sides
        (dict(kernel_size=2, stride=2), torch.randn(2, 3, 8, 8)),  # NCHW
        (dict(kernel_size=2, stride=2), torch.randn(2, 3, 8, 8, dtype=torch.float64)),
        (dict(kernel_size=2, stride=2, ceil_mode=True), torch.randn(2, 3, 7, 7)),
        (dict(kernel_size=2, stride=2, padding=1), torch.randn(2, 3, 8, 8)),
        (dict(kernel_size=3, stride=2), torch.randn(2, 3, 9, 9)),
        (dict(kernel_size=2, stride=1), torch.randn(2, 3, 8, 8)),
        (dict(kernel_size=2, stride=2, divisor_override=3), torch.randn(2, 3, 8, 8)),
    ],
    ids=["odd", "nchw", "float64", "ceil", "padding", "kernel3", "stride1", "divisor"],
)
def test_other_pools_are_torchs_own(request, pool, x):
    if request.node.callspec.id != "nchw":
        x = x.contiguous(memory_format=CHANNELS_LAST)
    grad = torch.randn(nn.AvgPool2d(**pool)(x).shape, dtype=x.dtype)

    out, x_grad, ops = _pool_and_grad(AvgPool2d(**pool), x, grad)
    want, want_grad, _ = _pool_and_grad(nn.AvgPool2d(**pool), x, grad)

    torch.testing.assert_close(out, want, rtol=0, atol=0)
    torch.testing.assert_close(x_grad, want_grad, rtol=0, atol=0)
    assert ops & TORCH_POOL_OPS == TORCH_POOL_OPS


def test_under_bf16_autocast_a_float32_map_stays_float32_as_torchs_pooling_keeps_it():
    x = torch.randn(2, 6, 28, 28).contiguous(memory_format=CHANNELS_LAST)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = AvgPool2d(kernel_size=2, stride=2)(x)
        want = nn.AvgPool2d(kernel_size=2, stride=2)(x)
    assert out.dtype == want.dtype == torch.float32
    torch.testing.assert_close(out, want)


def test_it_is_shown_and_counted_as_torchs_avg_pool():
    pool = AvgPool2d(kernel_size=2, stride=2)
    assert isinstance(pool, nn.AvgPool2d)
    assert type(pool).__name__ == "AvgPool2d"
    assert repr(pool) == repr(nn.AvgPool2d(kernel_size=2, stride=2))
    assert pool.state_dict() == {}
