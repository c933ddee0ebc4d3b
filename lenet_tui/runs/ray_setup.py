"""Ray for grids: what a Ray grid asks for (`RayOptions`) and joining or starting Ray.

Ray is an optional extra (`pip install 'lenet-tui[ray]'`): nothing here imports it until a grid
runs on it, and without it `require_ray` says in one line how to install it. Without an address
Ray starts on this machine with its CPUs (or `num_cpus`); with one (`auto`, or the head's
`host:port` that `ray start --head` printed) it joins that cluster. Knows nothing about any user
interface.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib.util
import logging
import math
import shlex
import socket
import sys
from dataclasses import dataclass
from types import ModuleType

from lenet_tui.errors import LenetError, shown

INSTALL_HINT = "pip install 'lenet-tui[ray]' (or pip install ray)"
LOCAL = "local"
"""The address that means: start Ray on this machine (what a bare --ray gives)."""
AUTO = "auto"
"""The address that means: join the cluster this machine is part of (RAY_ADDRESS, or the one
`ray start` made here)."""
ANSWER_SECONDS = 5.0
"""How long the head's port may take to answer: ray.init itself would retry for minutes."""


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
        wrong = address_problem(self.address)
        if wrong:
            found["address"] = wrong
        return found

    @property
    def threads(self) -> int:
        """The torch threads of each run: its CPUs, at least 1."""
        return max(1, int(self.cpus_per_run))

    @property
    def flags(self) -> str:
        """These options as command-line flags (`--ray`, `--ray HOST:PORT --ray-cpus-per-run
        2`), the defaults left out: what a resume command adds to go on on Ray."""
        default = RayOptions()
        flags = ["--ray"] if self.address == LOCAL else ["--ray", shlex.quote(self.address)]
        if self.cpus_per_run != default.cpus_per_run:
            flags += ["--ray-cpus-per-run", f"{self.cpus_per_run:g}"]
        if self.gpus_per_run is not None:
            flags += ["--ray-gpus-per-run", f"{self.gpus_per_run:g}"]
        if self.retries != default.retries:
            flags += ["--ray-retries", str(self.retries)]
        return " ".join(flags)

    @property
    def where(self) -> str:
        """`this machine` or `the cluster at ADDRESS`, for the user."""
        return "this machine" if self.address == LOCAL else f"the cluster at {self.address}"


def address_problem(address: str) -> str:
    """What is wrong with a Ray address; "" when it is local, auto or a host:port (ray://
    host:port too, Ray Client's)."""
    if address in (LOCAL, AUTO):
        return ""
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if colon and host and " " not in host and port.isdigit() and 0 < int(port) < 65536:
        return ""
    return f"must be local, auto or the head's host:port (as 10.0.0.5:6379), got {shown(address)}"


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
    _errors_to_stderr(ray)
    if ray.is_initialized():
        return False
    check_answers(options)
    _faulthandler_on_process_stderr()
    local = options.address == LOCAL
    try:
        ray.init(  # "local": always a new Ray here, never one that RAY_ADDRESS names
            address=options.address,
            num_cpus=options.num_cpus if local else None,
            include_dashboard=False,
            logging_level=logging.ERROR,
            log_to_driver=False,
            configure_logging=True,
        )
    except (ConnectionError, TimeoutError, ValueError, RuntimeError) as exc:
        text = str(exc).strip()
        first = text.splitlines()[0].rstrip(".") if text else type(exc).__name__
        hint = "start one with: ray start --head" if not local else "see ray status"
        raise LenetError(f"cannot start Ray on {options.where}: {first}; {hint}") from None
    return True


def _faulthandler_on_process_stderr() -> None:
    """Turn Python's faulthandler on, on the process's own stderr, before ray.init does.

    Why: ray.init enables it on sys.stderr unless it is on already, and a front end that
    replaces sys.stderr (the dashboard: Textual captures it, with no file descriptor) makes
    ray.init fail ("file.fileno() is not a valid file descriptor").
    """
    if not faulthandler.is_enabled() and sys.__stderr__ is not None:
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            faulthandler.enable(file=sys.__stderr__)


def _errors_to_stderr(ray: ModuleType) -> None:
    """Send the errors Ray's raylet pushes to this process (`(raylet) A worker died or was
    killed ...`) to stderr: Ray prints them on stdout, in the middle of a grid's table.

    Why here: no setting of ray.init stops or moves them (log_to_driver=False does not); a
    background thread calls ray._private.worker.print_to_stdstream (Ray 2.x) for each one.
    Where that function is missing (another Ray), nothing is changed.
    """
    worker = getattr(getattr(ray, "_private", None), "worker", None)
    printer = getattr(worker, "print_to_stdstream", None)
    if printer is None or getattr(printer, "to_stderr", False):
        return

    def to_stderr(data: dict, ignore_prefix: bool) -> None:
        printer({**data, "is_err": True}, ignore_prefix)

    to_stderr.to_stderr = True  # type: ignore[attr-defined]
    worker.print_to_stdstream = to_stderr


def check_answers(options: RayOptions, timeout: float = ANSWER_SECONDS) -> None:
    """A LenetError in one line if the head's host:port does not answer within timeout.

    Why: ray.init on an address where nothing listens was still retrying after 5 minutes (Ray
    2.60: 20 tries of about 36 s), writing Ray's own warnings on stderr meanwhile. `local`,
    `auto` and what is not host:port are left to ray.init, which answers them at once.
    """
    host, _, port = options.address.removeprefix("ray://").rpartition(":")
    if options.address in (LOCAL, AUTO) or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except TimeoutError:
        reason = f"no answer within {timeout:g} s"
    except OSError as exc:  # refused, no route, an unknown host
        reason = exc.strerror or type(exc).__name__
    else:
        return
    raise LenetError(
        f"cannot start Ray on {options.where}: nothing answers there ({reason}); "
        "check the address, or start a head with: ray start --head"
    )


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
