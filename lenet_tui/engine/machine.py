"""What the machine gives a run: CPU threads, or the GPU memory torch's allocator counts.

Read from host-side counters: none of these waits for the device.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch


class MachineFigures(NamedTuple):
    threads: int
    """CPU threads torch trains with (0 on a GPU, where they do not set the pace)."""
    device_memory: float
    """Bytes of GPU memory torch has allocated (NaN off CUDA)."""
    device_memory_peak: float
    """The most bytes allocated since `reset_peak` (NaN off CUDA)."""


def reset_peak(device: torch.device) -> None:
    """Start counting the peak of GPU memory afresh (a run's start); nothing off CUDA."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def machine_figures(device: torch.device) -> MachineFigures:
    if device.type == "cuda":
        return MachineFigures(
            0,
            float(torch.cuda.memory_allocated(device)),
            float(torch.cuda.max_memory_allocated(device)),
        )
    return MachineFigures(torch.get_num_threads(), math.nan, math.nan)
