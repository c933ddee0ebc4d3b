"""Keep the memory a CPU training step frees for the next step, instead of the kernel's.

A LeNet step on CPU allocates a few large buffers (the batch's feature maps and their
gradients, megabytes each) and frees them at its end. glibc's malloc gives such blocks back to
the kernel (they are mapped, or trimmed off the heap's top), so the next step faults every page
in again, zeroed: about 2,400 page faults a step at batch 256, a third of the step's time.
Raising the two thresholds keeps them in the process. The cost is memory the process holds on
to: a step's peak, tens of megabytes for LeNet. Other C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import functools
import platform

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = 256 << 20
"""Free memory at the heap's top that glibc keeps rather than returns."""
MMAP_THRESHOLD = 32 << 20
"""Blocks below this come from the heap, not their own mapping (glibc's largest setting)."""


@functools.cache
def keep_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds for this process (once; later calls are free).

    True where glibc took both settings; False on other C libraries, which are left as they are.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    trimmed = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    mapped = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    return bool(trimmed and mapped)
