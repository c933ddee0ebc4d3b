"""`lenet-tui --no-ui --grid SPEC`: train a grid's runs in turn, headless, and print its table.

stdout gets the grid folder and, at the end, the table (one row per combination); stderr gets
one line as each run starts and one per finished epoch. Ctrl-C (SIGINT) or SIGTERM stops the
run in flight after its batch, as for a single run: it keeps its last epoch's checkpoint, no
further run starts, and `lenet-tui --no-ui --resume GRID_DIR` goes on (the stopped run from its
checkpoint, which on the CPU ends with the metrics of an uninterrupted run) and ends with the
same table.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import TextIO

from lenet_tui.engine.data import Dataset, load_dataset
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.devices import resolve_device
from lenet_tui.engine.events import EpochEnd, Event, RunDiverged, RunFailed, RunStarted
from lenet_tui.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    RunFolderError,
)
from lenet_tui.runs.driver import RunDriver
from lenet_tui.runs.folder import resume_command
from lenet_tui.runs.grid import Grid, GridRun, refuse_used_folder
from lenet_tui.runs.interrupts import StopOnSignals
from lenet_tui.runs.ray_setup import RayOptions, check_answers, require_ray

EXIT_FAILED_WITH_TABLE = -1
"""Some runs failed but the others ended: print the table, then exit with EXIT_FAILED."""


class GridStop:
    """The stop a signal asks for: the run in flight stops after its batch, no other starts."""

    def __init__(self) -> None:
        self.requested = False
        self.driver: RunDriver | None = None

    def request_stop(self) -> None:
        self.requested = True
        if self.driver is not None:
            self.driver.request_stop()


def run_headless_grid(
    grid: Grid,
    data: DataSource | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    *,
    run_dir: Path | None = None,
    ray: RayOptions | None = None,
) -> int:
    """Train the grid's unfinished runs and print its table; return the exit code.

    A planned grid (no folder yet) gets run_dir (new or empty) or a fresh folder under the runs
    dir; an opened grid goes on in its own. data (None: the grid's own) is loaded once per
    dataset before anything is written; bad data, devices or folders raise LenetError first.
    With ray, the runs train at once on Ray (lenet_tui.headless_ray), else in turn here.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    configs = [config for _, _, config in grid.configs()]
    if ray is None:  # on Ray, the cluster's machines have the devices
        for device, precision in sorted({(c.device, c.precision) for c in configs}):
            resolve_device(device, precision)
    else:  # Ray missing or its head not answering: said before anything is written
        require_ray()
        check_answers(ray)
    if grid.folder is None and run_dir is not None:
        refuse_used_folder(Path(run_dir))
    source = data or grid.data
    names = sorted({config.dataset for config in configs})
    datasets = {name: load_dataset(source, name) for name in names}
    if ray is None:
        return _train_here(_opened(grid, run_dir, out), datasets, out, err)
    from lenet_tui.headless_ray import joined, train_on_ray  # imports ray

    with joined(ray, err):  # before the grid's folder: a Ray that cannot start leaves none
        grid = _opened(grid, run_dir, out)
        ended = train_on_ray(grid, datasets, ray, err)
    return _report(grid, ended.code, ended.signal, out, err, ray=ray)


def _opened(grid: Grid, run_dir: Path | None, out: TextIO) -> Grid:
    """The grid with its folder (made now for a planned grid), announced on out."""
    resumed = grid.folder is not None
    if grid.folder is None:
        grid = grid.create(run_dir)
    print(f"grid folder: {grid.folder}{' (resumed)' if resumed else ''}", file=out, flush=True)
    print(f"{len(grid.runs)} runs: {grid.spec.text}{_seeds(grid)}", file=out, flush=True)
    return grid


def _train_here(grid: Grid, datasets: dict[str, Dataset], out: TextIO, err: TextIO) -> int:
    """The grid's runs in turn in this process; Ctrl-C stops the run in flight."""
    stop = GridStop()
    try:
        with StopOnSignals(stop) as interrupts:
            code = _train_all(grid.runs, datasets, stop, err)
    except KeyboardInterrupt:  # a second Ctrl-C: every file was written atomically
        print(f"interrupted; resume the grid with: {_resume(grid)}", file=err, flush=True)
        return EXIT_INTERRUPTED
    signum = (interrupts.received or signal.SIGINT) if stop.requested else None
    return _report(grid, code, signum, out, err)


def _report(
    grid: Grid,
    code: int,
    signum: int | None,
    out: TextIO,
    err: TextIO,
    *,
    ray: RayOptions | None = None,
) -> int:
    """After training: how to go on after a signal, else the table (unless training failed).
    ray: the grid trained on Ray with these options (several runs were in flight)."""
    if signum is not None:
        kept = (
            "the runs in flight keep their last checkpoints"
            if ray
            else "the run in flight keeps its last checkpoint"
        )
        name = signal.Signals(signum).name
        runs = grid.runs
        done = sum(run.action() == "done" for run in runs)
        print(
            f"{name}: stopped the grid ({done} of {len(runs)} runs done; {kept}); "
            f"resume it with: {_resume(grid, ray)}",
            file=err,
            flush=True,
        )
        return EXIT_TERMINATED if signum == signal.SIGTERM else EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:
        print(f"interrupted; resume the grid with: {_resume(grid, ray)}", file=err, flush=True)
        return code
    if code != EXIT_OK and code != EXIT_FAILED_WITH_TABLE:
        return code
    print_table(grid, out)
    return EXIT_FAILED if code == EXIT_FAILED_WITH_TABLE else EXIT_OK


def print_table(grid: Grid, out: TextIO) -> None:
    """Write grid.csv and print the table, both read from the runs' folders."""
    csv_path = grid.write_csv()
    header, rows = grid.table().cells()
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for cells in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip(), file=out)
    print(f"grid.csv: {csv_path}", file=out, flush=True)


def _train_all(
    runs: list[GridRun], datasets: dict[str, Dataset], stop: GridStop, err: TextIO
) -> int:
    for run in runs:
        if stop.requested:
            break
        prefix = f"run {run.number}/{len(runs)} {run.name}"
        if run.action() == "done":
            print(f"{prefix}: done before, in {run.folder}", file=err, flush=True)
            continue
        driver = run.driver(datasets[run.config.dataset])
        with driver:
            stop.driver = driver
            if stop.requested:  # asked between runs, before this driver could hear it
                driver.request_stop()
            try:
                outcome = _follow(driver, prefix, err)
            except RunFolderError as exc:  # disk full or gone while training
                print(f"{prefix}: training stopped: {exc}", file=err, flush=True)
                return EXIT_FAILED
            finally:
                stop.driver = None
        if isinstance(outcome, RunFailed):
            print(f"{prefix}: training failed: {outcome.error}\n{outcome.traceback}", file=err)
            return EXIT_FAILED
        if isinstance(outcome, RunDiverged):
            print(f"{prefix}: {outcome.message} (the grid goes on)", file=err, flush=True)
    return EXIT_OK


def _follow(driver: RunDriver, prefix: str, err: TextIO) -> Event | None:
    """Train one run, a line per epoch on err; the last event."""
    outcome, epochs = None, driver.config.epochs
    for event in driver.run():
        if isinstance(event, RunStarted):
            again = f", resumed after epoch {event.start_epoch}" if event.start_epoch else ""
            folder = driver.kept.folder
            print(f"{prefix}: started in {folder}{again}", file=err, flush=True)
        elif isinstance(event, EpochEnd):
            print(
                f"{prefix}: epoch {event.epoch}/{epochs} loss {event.train_loss:.3f}, "
                f"test acc {event.test_acc:.3f}, {event.examples_per_sec:,.0f} examples/sec",
                file=err,
                flush=True,
            )
        outcome = event
    return outcome


def _seeds(grid: Grid) -> str:
    if grid.seeds:
        return f", seeds {','.join(map(str, grid.seeds))}"
    return f", seed {grid.base.seed}"


def _resume(grid: Grid, ray: RayOptions | None = None) -> str:
    """The command that goes on with the grid (on Ray again, with ray's flags, if it was)."""
    assert grid.folder is not None
    return resume_command(grid.folder) + (f" {ray.flags}" if ray is not None else "")
