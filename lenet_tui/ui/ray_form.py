"""The form's ray and cpus-per-run fields: whether a grid from the form trains on Ray, and where.

Blank ray: the grid trains here, one run after another. `local`: Ray starts on this machine;
`auto` or the head's `host:port`: the grid joins that cluster. The fields are checked as typed,
without importing Ray (only whether it is installed); Ray is joined when the grid starts.
"""

from __future__ import annotations

from lenet_tui.runs.ray_setup import INSTALL_HINT, RayOptions, address_problem, ray_installed

RAY_HINT = "local, auto or host:port"
RAY_SHORT_HINT = "e.g. local"
"""The ray field's placeholder, and the one it has where the longer does not fit (80 columns)."""
CPUS_HINT = "1"


def read_ray(address: str, cpus: str, vary: bool) -> tuple[RayOptions | None, dict[str, str]]:
    """The Ray options the ray and cpus fields ask for (None when ray is blank), and what is
    wrong with either field (one line each, keyed ray or ray_cpus). vary: whether the vary
    field is filled (Ray trains the runs of a grid only)."""
    address, cpus = address.strip(), cpus.strip()
    problems: dict[str, str] = {}
    cpus_per_run = RayOptions().cpus_per_run
    if cpus:
        try:
            cpus_per_run = float(cpus)
        except ValueError:
            problems["ray_cpus"] = f"must be a number like 1 or 0.5, got {cpus!r}"
    if not address:
        if cpus:
            problems["ray_cpus"] = "says what each run of a Ray grid asks for: fill in ray too"
        return None, problems
    options = RayOptions(address=address, cpus_per_run=cpus_per_run)
    if "cpus_per_run" in options.problems() and "ray_cpus" not in problems:
        problems["ray_cpus"] = options.problems()["cpus_per_run"]
    wrong = address_problem(address)
    if wrong:
        problems["ray"] = wrong
    elif not vary:
        problems["ray"] = 'trains the runs of a grid: fill in vary too ("pooling=avg,max", say)'
    elif not ray_installed():
        problems["ray"] = f"Ray is not installed: {INSTALL_HINT}"
    return (None if problems else options), problems


def ray_fields(options: RayOptions) -> tuple[str, str]:
    """The text of the ray and cpus-per-run fields for these options (blank cpus: the default)."""
    default = RayOptions().cpus_per_run
    cpus = "" if options.cpus_per_run == default else f"{options.cpus_per_run:g}"
    return options.address, cpus
