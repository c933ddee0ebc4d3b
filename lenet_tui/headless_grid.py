"""`lenet-tui --no-ui --grid SPEC`: train a grid's runs in turn (or at once on Ray, with the
setup of lenet_tui.headless_ray), headless, and print its table.

One loop (`follow_grid`) follows either grid runner (lenet_tui.runs.grid_runner). stdout gets
the grid folder and, at the end, the table (one row per combination); stderr gets one line as
each run starts, one per finished epoch, and one for a run that failed, diverged or lost its
worker: such a run ends alone and the grid goes on. Ctrl-C (SIGINT) or SIGTERM stops the runs
in flight after their batch, as for a single run: each keeps its last epoch's checkpoint, no
further run starts, and `lenet-tui --no-ui --resume GRID_DIR` goes on (a stopped run from its
checkpoint, which on the CPU ends with the metrics of an uninterrupted run) and ends with the
same table.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from lenet_tui.engine.data import load_dataset
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.devices import resolve_device
from lenet_tui.engine.events import EpochEnd, RunDiverged, RunFailed, RunStarted
from lenet_tui.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED
from lenet_tui.runs.folder import resume_command
from lenet_tui.runs.grid import Grid, refuse_used_folder
from lenet_tui.runs.grid_runner import UNFINISHED, GridRunner, GridUpdate, LocalGridRunner
from lenet_tui.runs.interrupts import StopOnSignals
from lenet_tui.runs.ray_setup import RayOptions, check_answers, require_ray


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
        grid = _opened(grid, run_dir, out)
        return follow_grid(LocalGridRunner(grid, datasets), out, err)
    from lenet_tui.headless_ray import joined, train_on_ray  # imports ray

    with joined(ray, err):  # before the grid's folder: a Ray that cannot start leaves none
        return train_on_ray(_opened(grid, run_dir, out), datasets, ray, out, err)


def _opened(grid: Grid, run_dir: Path | None, out: TextIO) -> Grid:
    """The grid with its folder (made now for a planned grid), announced on out."""
    resumed = grid.folder is not None
    if grid.folder is None:
        grid = grid.create(run_dir)
    print(f"grid folder: {grid.folder}{' (resumed)' if resumed else ''}", file=out, flush=True)
    print(f"{len(grid.runs)} runs: {grid.spec.text}{_seeds(grid)}", file=out, flush=True)
    return grid


def follow_grid(
    runner: GridRunner,
    out: TextIO,
    err: TextIO,
    *,
    flags: str = "",
    announce: Callable[[], str] | None = None,
) -> int:
    """Train the grid's pending runs with runner, a line on err per event that matters; then
    how to go on after a signal (Ctrl-C or SIGTERM stops the runs in flight after their batch,
    each keeping its last checkpoint), else the table; return the exit code. flags: added to
    the resume command (Ray's); announce: the line said once training begins."""
    grid, ended = runner.grid, {}
    resume = f"{resume_command(grid.folder)}{' ' + flags if flags else ''}"
    total = len(grid.runs)
    for run in grid.runs:
        if run.action() == "done":
            print(f"run {run.number}/{total} {run.name}: done before, in {run.folder}", file=err)
    try:
        with StopOnSignals(runner) as interrupts:
            for update in runner.run():
                if announce is not None:
                    print(announce(), file=err, flush=True)
                    announce = None
                ended[update.run.number] = update.state
                _say(update, total, err)
    except KeyboardInterrupt:  # a second Ctrl-C: every file was written atomically
        print(f"interrupted; resume the grid with: {resume}", file=err, flush=True)
        return EXIT_INTERRUPTED
    if runner.stop_requested:
        return _stopped(runner, interrupts.received or signal.SIGINT, resume, err)
    bad = sorted(n for n, state in ended.items() if state in UNFINISHED)
    if bad:
        print(
            f"{len(bad)} of {total} runs did not finish (run {', '.join(map(str, bad))}); the "
            f"table marks them; train them again with: {resume}",
            file=err,
            flush=True,
        )
    print_table(grid, out)
    return EXIT_FAILED if bad else EXIT_OK


def _stopped(runner: GridRunner, signum: int, resume: str, err: TextIO) -> int:
    """Say how far the stopped grid got and how to go on; the exit code of the signal."""
    kept = (
        "the runs in flight keep their last checkpoints"
        if runner.parallel > 1
        else "the run in flight keeps its last checkpoint"
    )
    runs = runner.grid.runs
    done = sum(run.action() == "done" for run in runs)
    print(
        f"{signal.Signals(signum).name}: stopped the grid ({done} of {len(runs)} runs done; "
        f"{kept}); resume it with: {resume}",
        file=err,
        flush=True,
    )
    return EXIT_TERMINATED if signum == signal.SIGTERM else EXIT_INTERRUPTED


def print_table(grid: Grid, out: TextIO) -> None:
    """Write grid.csv and print the table, both read from the runs' folders."""
    csv_path = grid.write_csv()
    header, rows = grid.table().cells()
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for cells in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip(), file=out)
    print(f"grid.csv: {csv_path}", file=out, flush=True)


def _say(update: GridUpdate, total: int, err: TextIO) -> None:
    """The stderr line for an update (none for one that says nothing new); a failure's
    traceback after its line."""
    run, event = update.run, update.event
    prefix = f"run {run.number}/{total} {run.name}"
    line = None
    if isinstance(event, RunStarted):
        worker = update.worker
        where = f" on {worker.node} (pid {worker.pid})" if worker else ""
        again = f", resumed after epoch {event.start_epoch}" if event.start_epoch else ""
        line = f"{prefix}: started{where} in {run.folder}{again}"
    elif isinstance(event, EpochEnd):
        line = (
            f"{prefix}: epoch {event.epoch}/{run.config.epochs} loss {event.train_loss:.3f}, "
            f"test acc {event.test_acc:.3f}, {event.examples_per_sec:,.0f} examples/sec"
        )
    elif isinstance(event, RunDiverged):
        line = f"{prefix}: {event.message} (not retried; the grid goes on)"
    elif update.state == "failed":
        line = f"{prefix}: training failed: {update.note} (not retried; the grid goes on)"
    elif update.state in ("retrying", "lost"):
        line = f"{prefix}: {update.note}"
    if line is not None:
        print(line, file=err, flush=True)
    if isinstance(event, RunFailed) and event.traceback:
        print(event.traceback.rstrip("\n"), file=err, flush=True)


def _seeds(grid: Grid) -> str:
    if grid.seeds:
        return f", seeds {','.join(map(str, grid.seeds))}"
    return f", seed {grid.base.seed}"
