"""LeNet's 2×2 average pooling, with a faster path for channels-last CPU tensors.

PyTorch's CPU `avg_pool2d` and its backward are slow on LeNet's maps in channels-last layout
(6 channels of 28×28, the layout oneDNN's convolutions want): in bf16 the pair took a third of
a training step. The same average, taken as a depthwise 2×2 stride-2 convolution of weight 1/4,
runs in a sixth of the time; its gradient, each output's gradient spread over its window, is a
nearest-neighbour upsampling of a quarter of it (README, Speed).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class AvgPool2d(nn.AvgPool2d):
    """`nn.AvgPool2d` (the same name, module and results), computed faster where it can be:
    a 2×2 window, stride 2, no padding, on an even-sided channels-last float32/bf16 CPU map."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._fast_path(x):
            return _HalveByAveraging.apply(x)
        return super().forward(x)

    def _fast_path(self, x: torch.Tensor) -> bool:
        return (
            _pair(self.kernel_size) == (2, 2)
            and _pair(self.stride) == (2, 2)
            and _pair(self.padding) == (0, 0)
            and not self.ceil_mode
            and self.divisor_override is None
            and x.device.type == "cpu"
            and x.dtype in (torch.float32, torch.bfloat16)
            and x.dim() == 4
            and x.shape[2] % 2 == 0
            and x.shape[3] % 2 == 0
            and x.is_contiguous(memory_format=torch.channels_last)
        )


class _HalveByAveraging(torch.autograd.Function):
    """The mean of each 2×2 block of a channels-last (N, C, H, W) map: (N, C, H/2, W/2)."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[1]
        quarter = torch.full((channels, 1, 2, 2), 0.25, dtype=x.dtype, device=x.device)
        with torch.autocast(x.device.type, enabled=False):  # the input's dtype, as avg_pool2d
            return F.conv2d(
                x, quarter.contiguous(memory_format=torch.channels_last), stride=2, groups=channels
            )

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous(memory_format=torch.channels_last)  # a Flatten's comes in NCHW
        return F.interpolate(grad, scale_factor=2, mode="nearest").mul_(0.25)


def _pair(value: int | tuple[int, ...]) -> tuple[int, ...]:
    return (value, value) if isinstance(value, int) else tuple(value)
