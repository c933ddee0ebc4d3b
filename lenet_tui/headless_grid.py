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
) -> int:
    """Train the grid's unfinished runs and print its table; return the exit code.

    A planned grid (no folder yet) gets run_dir (new or empty) or a fresh folder under the runs
    dir; an opened grid goes on in its own. data (None: the grid's own) is loaded once per
    dataset before anything is written; bad data, devices or folders raise LenetError first.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    configs = [config for _, _, config in grid.configs()]
    for device in sorted({config.device for config in configs}):
        resolve_device(device)
    if grid.folder is None and run_dir is not None:
        refuse_used_folder(Path(run_dir))
    source = data or grid.data
    names = sorted({config.dataset for config in configs})
    datasets = {name: load_dataset(source, name) for name in names}
    resumed = grid.folder is not None
    if grid.folder is None:
        grid = grid.create(run_dir)
    runs = grid.runs
    print(f"grid folder: {grid.folder}{' (resumed)' if resumed else ''}", file=out, flush=True)
    print(f"{len(runs)} runs: {grid.spec.text}{_seeds(grid)}", file=out, flush=True)
    stop = GridStop()
    try:
        with StopOnSignals(stop) as interrupts:
            code = _train_all(runs, datasets, stop, err)
    except KeyboardInterrupt:  # a second Ctrl-C: every file was written atomically
        print(f"interrupted; resume the grid with: {_resume(grid)}", file=err, flush=True)
        return EXIT_INTERRUPTED
    if stop.requested:
        name = signal.Signals(interrupts.received or signal.SIGINT).name
        done = sum(run.action() == "done" for run in runs)
        print(
            f"{name}: stopped the grid ({done} of {len(runs)} runs done; the run in flight "
            f"keeps its last checkpoint); resume it with: {_resume(grid)}",
            file=err,
            flush=True,
        )
        return EXIT_TERMINATED if interrupts.received == signal.SIGTERM else EXIT_INTERRUPTED
    if code != EXIT_OK:
        return code
    print_table(grid, out)
    return EXIT_OK


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


def _resume(grid: Grid) -> str:
    assert grid.folder is not None
    return resume_command(grid.folder)
