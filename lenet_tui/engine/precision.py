"""Mixed precision: which devices compute in bfloat16 natively, and the autocast a run uses.

bf16 keeps float32's range with an 8-bit mantissa; under autocast the convolutions and matmuls
of the forward pass (and so their gradients) run in bf16 while the weights, the optimizer and
the loss stay float32. It pays only where the hardware has bf16 arithmetic: elsewhere oneDNN
emulates it, slower than float32, so such a device is refused rather than made slow.
"""

from __future__ import annotations

import contextlib

import torch

from lenet_tui.errors import ConfigError

NO_CPU_BF16 = "this CPU has no native bf16 (AVX512_BF16 or AMX); use fp32"


def cpu_has_native_bf16() -> bool:
    """Whether this CPU has AVX512_BF16 or AMX (torch's cpuinfo), which oneDNN's bf16
    convolutions and matmuls use."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def bf16_problem(device: torch.device) -> str | None:
    """Why `device` cannot train in bf16 at full speed, or None if it can."""
    if device.type == "cpu":
        return None if cpu_has_native_bf16() else NO_CPU_BF16
    if device.type == "cuda":
        if torch.version.hip or torch.cuda.get_device_capability(device)[0] >= 8:
            return None
        name = torch.cuda.get_device_name(device)
        return f"{device} ({name}) has no native bf16 (compute capability 8.0+); use fp32"
    if device.type == "mps":
        try:  # MPS has bf16 from macOS 14 on; an older system refuses the tensor
            torch.zeros(1, dtype=torch.bfloat16, device=device)
        except (RuntimeError, TypeError):
            return "mps has no bf16 on this macOS (14 or later has); use fp32"
        return None
    return f"{device} has no bf16 autocast here; use fp32"


def check_precision(precision: str, device: torch.device) -> None:
    """Raise ConfigError (field precision) if `device` cannot run `precision` natively."""
    problem = bf16_problem(device) if precision == "bf16" else None
    if problem is not None:
        raise ConfigError("precision", problem)


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """The context a forward pass runs in: bf16 autocast, or nothing for fp32."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
