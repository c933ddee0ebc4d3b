"""LeNet's convolutions, with a faster input gradient for channels-last bf16 CPU maps.

Under bf16 autocast on the CPU, oneDNN's channels-last kernel for a convolution's input
gradient is slow when that input has few channels: for conv2's (256, 6, 14, 14) input it took
about twice as long as the same gradient in NCHW layout, a sixth of a bf16 step. So there the
input gradient is computed in NCHW and turned back; the weight's gradient stays channels-last,
where it is fast. fp32 is left to torch: there the NCHW detour measured no faster.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.amp import custom_bwd, custom_fwd

CHANNELS_LAST = torch.channels_last


class Conv2d(nn.Conv2d):
    """`nn.Conv2d` (the same name, parameters and results); its input gradient goes through
    NCHW where that is faster: a bf16 autocast step on the CPU, a channels-last input that needs
    a gradient, stride 1, no dilation or groups, zero padding given as numbers."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._fast_path(x):
            return _ConvNchwInputGrad.apply(x, self.weight, self.bias, self.padding)
        return super().forward(x)

    def _fast_path(self, x: torch.Tensor) -> bool:
        return (
            x.device.type == "cpu"
            and torch.is_autocast_enabled("cpu")
            and torch.get_autocast_dtype("cpu") == torch.bfloat16
            and x.requires_grad
            and x.dim() == 4
            and x.is_contiguous(memory_format=CHANNELS_LAST)
            and self.stride == (1, 1)
            and self.dilation == (1, 1)
            and self.groups == 1
            and self.padding_mode == "zeros"
            and not isinstance(self.padding, str)
        )


class _ConvNchwInputGrad(torch.autograd.Function):
    @staticmethod
    @custom_fwd(device_type="cpu", cast_inputs=torch.bfloat16)  # as autocast casts a conv
    def forward(
        ctx: torch.autograd.function.FunctionCtx,
        x: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        padding: tuple[int, int],
    ) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.padding, ctx.has_bias = padding, bias is not None
        return F.conv2d(x, weight, bias, padding=padding)

    @staticmethod
    @custom_bwd(device_type="cpu")
    def backward(
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor
    ) -> tuple[torch.Tensor | None, ...]:
        x, weight = ctx.saved_tensors
        grad = grad.contiguous(memory_format=CHANNELS_LAST)
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.nn.grad.conv2d_input(
                x.shape, weight.contiguous(), grad.contiguous(), padding=ctx.padding
            ).contiguous(memory_format=CHANNELS_LAST)
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            _, grad_w, grad_b = torch.ops.aten.convolution_backward(
                grad, x, weight, [weight.shape[0]] if ctx.has_bias else None, [1, 1],
                list(ctx.padding), [1, 1], False, [0, 0], 1,
                [False, ctx.needs_input_grad[1], ctx.has_bias and ctx.needs_input_grad[2]],
            )  # fmt: skip
        return grad_x, grad_w, grad_b, None
