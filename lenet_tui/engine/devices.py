"""Which torch devices exist here, and turning a device setting into one."""

from __future__ import annotations

import torch

from lenet_tui.engine.precision import check_precision
from lenet_tui.errors import ConfigError


def available_devices() -> list[str]:
    """Device names a user can pick on this machine, best first, always ending in cpu."""
    names = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        names.append("mps")
    return [*names, "cpu"]


def resolve_device(name: str, precision: str = "fp32") -> torch.device:
    """auto picks cuda, then mps, then cpu; any other name must exist on this machine, and
    run `precision` natively (ConfigError for the device or the precision otherwise)."""
    present = available_devices()
    wanted = present[0] if name == "auto" else "cuda:0" if name == "cuda" else name
    if wanted not in present:
        raise ConfigError(
            "device", f"{name} is not available on this machine; available: {', '.join(present)}"
        )
    device = torch.device(wanted)
    check_precision(precision, device)
    return device
