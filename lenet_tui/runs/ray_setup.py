"""Ray for grids: what a Ray grid asks for (`RayOptions`) and joining or starting Ray.

Ray is an optional extra (`pip install 'lenet-tui[ray]'`): nothing here imports it until a grid
runs on it, and without it `require_ray` says in one line how to install it. Without an address
Ray starts on this machine with its CPUs (or `num_cpus`); with one (`auto`, or the head's
`host:port` that `ray start --head` printed) it joins that cluster. Knows nothing about any user
interface.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from dataclasses import dataclass
from types import ModuleType

from lenet_tui.errors import LenetError

INSTALL_HINT = "pip install 'lenet-tui[ray]' (or pip install ray)"
LOCAL = "local"
"""The address that means: start Ray on this machine (what a bare --ray gives)."""


@dataclass(frozen=True)
class RayOptions:
    """How a grid runs on Ray: where, what each run asks for, and how often a lost run retries."""

    address: str = LOCAL
    """`local` (start Ray on this machine), `auto` or `host:port` (join that cluster)."""
    cpus_per_run: float = 1.0
    """CPUs each run asks Ray for; a run trains with as many torch threads (at least 1)."""
    gpus_per_run: float | None = None
    """GPUs each run asks for; None: 1 when the cluster has a GPU and the runs may use one."""
    retries: int = 2
    """How often a run whose worker died is started again from its last checkpoint."""
    num_cpus: int | None = None
    """With `local`: the CPUs Ray may use (None: all of this machine's)."""

    def problems(self) -> dict[str, str]:
        """What is wrong with each option, keyed by its name; empty when all is well."""
        found = {}
        if not (math.isfinite(self.cpus_per_run) and self.cpus_per_run > 0):
            found["cpus_per_run"] = f"must be above 0, got {self.cpus_per_run:g}"
        gpus = self.gpus_per_run
        if gpus is not None and not (math.isfinite(gpus) and gpus >= 0):
            found["gpus_per_run"] = f"must be 0 or more, got {gpus:g}"
        if self.retries < 0:
            found["retries"] = f"must be 0 or more, got {self.retries}"
        if not self.address.strip():
            found["address"] = "is empty: give local, auto or the head's host:port"
        return found

    @property
    def threads(self) -> int:
        """The torch threads of each run: its CPUs, at least 1."""
        return max(1, int(self.cpus_per_run))

    @property
    def where(self) -> str:
        """`this machine` or `the cluster at ADDRESS`, for the user."""
        return "this machine" if self.address == LOCAL else f"the cluster at {self.address}"


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def require_ray() -> ModuleType:
    """The ray module; a LenetError in one line saying how to install it when it is missing."""
    if not ray_installed():
        raise LenetError(f"--ray needs Ray, which is not installed: {INSTALL_HINT}")
    import ray

    return ray


def connect(options: RayOptions) -> bool:
    """Start Ray here or join the cluster, unless this process is connected already; whether
    this call connected (so the caller shuts it down). A LenetError in one line if it cannot."""
    ray = require_ray()
    if ray.is_initialized():
        return False
    local = options.address == LOCAL
    try:
        ray.init(
            address=None if local else options.address,
            num_cpus=options.num_cpus if local else None,
            include_dashboard=False,
            logging_level=logging.ERROR,
            log_to_driver=False,
            configure_logging=True,
        )
    except (ConnectionError, TimeoutError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = "start one with: ray start --head" if not local else "see ray status"
        raise LenetError(f"cannot start Ray on {options.where}: {first}; {hint}") from None
    return True


def gpus_per_run(options: RayOptions, devices: set[str]) -> float:
    """The GPUs each run asks for: the option, else 1 when the cluster has GPUs and every run
    may train on one (device auto or cuda), else 0."""
    if options.gpus_per_run is not None:
        return options.gpus_per_run
    import ray

    has_gpu = ray.cluster_resources().get("GPU", 0) > 0
    return 1.0 if has_gpu and all(d == "auto" or d.startswith("cuda") for d in devices) else 0.0


def slots(cpus_per_run: float, gpus: float) -> int:
    """How many runs the cluster can train at once with these asks (at least 1)."""
    import ray

    resources = ray.cluster_resources()
    fits = [resources.get("CPU", 0) / cpus_per_run]
    if gpus > 0:
        fits.append(resources.get("GPU", 0) / gpus)
    return max(1, int(min(fits) + 1e-9))
