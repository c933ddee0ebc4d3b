"""Which torch devices exist here, and turning a device setting into one."""

from __future__ import annotations

import torch

from lenet_tui.errors import ConfigError


def available_devices() -> list[str]:
    """Device names a user can pick on this machine, best first, always ending in cpu."""
    names = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        names.append("mps")
    return [*names, "cpu"]


def resolve_device(name: str) -> torch.device:
    """auto picks cuda, then mps, then cpu; any other name must exist on this machine."""
    present = available_devices()
    if name == "auto":
        return torch.device(present[0])
    wanted = "cuda:0" if name == "cuda" else name
    if wanted not in present:
        raise ConfigError(
            "device", f"{name} is not available on this machine; available: {', '.join(present)}"
        )
    return torch.device(wanted)
