"""What the process costs the machine: its CPU use and its memory, read at most once a second.

No dependency: on Linux the memory in use is read from /proc/self/statm; elsewhere the peak the
OS reports (`resource`), said as such; CPU time comes from `time.process_time` everywhere.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STATM = Path("/proc/self/statm")


@dataclass(frozen=True)
class MachineFigures:
    """The process as of a reading."""

    cpu_percent: float
    """CPU time over wall time since the previous reading (200% = two cores busy)."""
    memory: float
    """Bytes: resident now, or the peak where the OS tells only that (`memory_is_peak`)."""
    memory_is_peak: bool = False


class MachineMeter:
    """Reads the process's figures; `read()` more often than `every` seconds returns the last."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        cpu_time: Callable[[], float] = time.process_time,
        every: float = 1.0,
    ) -> None:
        self._clock, self._cpu_time, self._every = clock, cpu_time, every
        self._then = (clock(), cpu_time())
        self._last: MachineFigures | None = None

    def read(self) -> MachineFigures | None:
        """The figures, or None before a second has passed since the meter was made."""
        now, cpu = self._clock(), self._cpu_time()
        wall = now - self._then[0]
        if wall < self._every:
            return self._last
        percent = 100 * (cpu - self._then[1]) / wall
        self._then = (now, cpu)
        memory, peak = memory_in_use()
        self._last = MachineFigures(percent, memory, peak)
        return self._last


def memory_in_use() -> tuple[float, bool]:
    """Resident bytes now and False; or the peak and True where only that is known; NaN if
    neither is."""
    try:
        pages = int(STATM.read_text().split()[1])
        return float(pages * os.sysconf("SC_PAGE_SIZE")), False
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource  # not on Windows
    except ImportError:
        return math.nan, False
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(peak if sys.platform == "darwin" else peak * 1024), True  # bytes on macOS


def size_text(size: float) -> str:
    """Bytes as a person reads them: 412 MB, 1.2 GB."""
    if not math.isfinite(size):
        return "–"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{size:.0f} B"


def machine_text(figures: MachineFigures | None, threads: int, device_memory: float,
                 device_peak: float) -> str:  # fmt: skip
    """One line: CPU and memory of the process; GPU memory and its peak, or CPU threads."""
    parts = []
    if figures is not None:
        memory = size_text(figures.memory) + (" peak" if figures.memory_is_peak else "")
        parts.append(f"CPU {figures.cpu_percent:.0f}% · {memory}")
    if math.isfinite(device_memory):
        parts.append(f"GPU {size_text(device_memory)} (peak {size_text(device_peak)})")
    elif threads:
        parts.append(f"{threads} thread{'s' if threads > 1 else ''}")
    return " · ".join(parts) or "–"
