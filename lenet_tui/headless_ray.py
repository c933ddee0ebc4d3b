"""`lenet-tui --no-ui --grid SPEC --ray [ADDRESS]`: the grid's runs at once on Ray, headless.

stderr gets a line as Ray is joined, one as each run starts (where it trains), one per finished
epoch, and one for each worker that died (and the retry) or run that failed; the grid's table is
printed by lenet_tui.headless_grid, as for a grid trained here. Ctrl-C (SIGINT) or SIGTERM
cancels the runs in flight (each keeps its last epoch's checkpoint) and starts no more.

If Ray itself goes (the raylet of this machine killed, say), Ray's core worker ends this process
at once, from C++ (exit code 1, after its own dump on stderr): no exception, no `finally`, no
`atexit` runs. So a small watcher process, started before training, says what happened and how
to go on when this process ends without having told it that the grid ended. A Ray error that
does reach Python (the cluster lost in other ways) gets the same line.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import NamedTuple, TextIO

from lenet_tui.engine.data import Dataset
from lenet_tui.engine.events import EpochEnd, RunDiverged, RunStarted
from lenet_tui.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, bounded
from lenet_tui.runs.folder import resume_command
from lenet_tui.runs.grid import Grid
from lenet_tui.runs.interrupts import StopOnSignals
from lenet_tui.runs.ray_grid import RayGrid, TrialUpdate
from lenet_tui.runs.ray_setup import RayOptions, connect, require_ray


class RayEnded(NamedTuple):
    code: int
    """EXIT_OK, EXIT_FAILED_WITH_TABLE (some runs failed or were lost) or EXIT_INTERRUPTED."""
    signal: int | None
    """The signal that stopped the grid, if one did."""


@contextlib.contextmanager
def joined(options: RayOptions, err: TextIO) -> Iterator[None]:
    """Ray started here or joined, before the grid's folder is made; shut down at the end if
    it was started (or joined) here. A LenetError in one line if it cannot be."""
    print(f"ray: joining {options.where} ...", file=err, flush=True)
    started = connect(options)
    try:
        yield
    finally:
        if started:
            require_ray().shutdown()


def train_on_ray(
    grid: Grid, datasets: dict[str, Dataset], options: RayOptions, err: TextIO
) -> RayEnded:
    """Train the grid's pending runs on Ray, a line of progress per event that matters; if Ray
    goes away meanwhile, one line that says so and how to go on (EXIT_FAILED)."""
    ray = require_ray()
    resume = f"{resume_command(grid.folder)} {options.flags}"
    lost = (
        "lenet-tui: Ray went away while the grid trained (its raylet died, or this process was "
        f"killed); the runs in flight keep their last checkpoints; resume the grid with: {resume}"
    )
    try:
        with said_if_ended_abruptly(lost):
            return _follow(grid, datasets, options, err)
    except (ray.exceptions.RayError, ConnectionError) as exc:
        reason = " ".join(str(exc).split()) or "no reason given"
        print(bounded(f"{lost} ({type(exc).__name__}: {reason})"), file=err, flush=True)
        return RayEnded(EXIT_FAILED, None)


def _follow(grid: Grid, datasets: dict[str, Dataset], options: RayOptions, err: TextIO) -> RayEnded:
    from lenet_tui.headless_grid import EXIT_FAILED_WITH_TABLE

    ray_grid = RayGrid(grid, datasets, options)
    total, ended, announced = len(grid.runs), {}, False
    for run in grid.runs:
        if run.action() == "done":
            print(f"run {run.number}/{total} {run.name}: done before, in {run.folder}", file=err)
    try:
        with StopOnSignals(ray_grid) as interrupts:
            for update in ray_grid.run():
                if not announced:
                    announced = True
                    print(_announce(ray_grid), file=err, flush=True)
                if update.state in ("failed", "lost", "finished", "diverged"):
                    ended[update.run.number] = update.state
                line = progress_line(update, total, ray_grid)
                if line:
                    print(line, file=err, flush=True)
    except KeyboardInterrupt:  # a second Ctrl-C: every file was written atomically
        return RayEnded(EXIT_INTERRUPTED, None)
    if ray_grid.stop_requested:
        return RayEnded(EXIT_INTERRUPTED, interrupts.received or signal.SIGINT)
    bad = sorted(n for n, state in ended.items() if state in ("failed", "lost"))
    if bad:
        print(
            f"{len(bad)} of {total} runs did not finish (run {', '.join(map(str, bad))}); "
            f"the table marks them; train them again with: {resume_command(grid.folder)} "
            f"{options.flags}",
            file=err,
            flush=True,
        )
        return RayEnded(EXIT_FAILED_WITH_TABLE, None)
    return RayEnded(EXIT_OK, None)


_WATCHER = """
import sys
told = sys.stdin.buffer.read()
if not told.startswith(b"ended"):
    sys.stderr.write(sys.argv[1] + "\\n")
"""


@contextlib.contextmanager
def said_if_ended_abruptly(message: str) -> Iterator[None]:
    """Write message on this process's stderr (descriptor 2) if the process ends inside this
    block without leaving it, however it ends (Ray's `_exit`, SIGKILL).

    A watcher process holds the read end of a pipe whose only write end is this process's: it
    reads until that closes, and says message unless it was told first that the block ended.
    It runs in a session of its own, so that a Ctrl-C at the terminal does not reach it.
    """
    read_end, write_end = os.pipe()  # not inherited by Ray's processes (close-on-exec)
    try:
        watcher = subprocess.Popen(
            [sys.executable, "-c", _WATCHER, message],
            stdin=read_end, stdout=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    except OSError:  # no watcher: Ray's own dump alone, as before
        os.close(read_end)
        os.close(write_end)
        yield
        return
    os.close(read_end)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.write(write_end, b"ended")
        os.close(write_end)
        watcher.wait()


def progress_line(update: TrialUpdate, total: int, ray_grid: RayGrid) -> str | None:
    """The stderr line for an update, or None for one that says nothing new."""
    run, event = update.run, update.event
    prefix = f"run {run.number}/{total} {run.name}"
    if isinstance(event, RunStarted):
        worker = update.worker
        where = f" on {worker.node} (pid {worker.pid})" if worker else ""
        again = f", resumed after epoch {event.start_epoch}" if event.start_epoch else ""
        return f"{prefix}: started{where} in {run.folder}{again}"
    if isinstance(event, EpochEnd):
        return (
            f"{prefix}: epoch {event.epoch}/{run.config.epochs} loss {event.train_loss:.3f}, "
            f"test acc {event.test_acc:.3f}, {event.examples_per_sec:,.0f} examples/sec"
        )
    if isinstance(event, RunDiverged):
        return f"{prefix}: {event.message} (not retried; the grid goes on)"
    if update.state == "failed":
        return f"{prefix}: training failed: {update.note} (not retried; the grid goes on)"
    if update.state == "retrying":
        return f"{prefix}: {update.note}"
    if update.state == "lost":
        return f"{prefix}: {update.note}; gave up after {ray_grid.options.retries} retries"
    return None


def _announce(ray_grid: RayGrid) -> str:
    options = ray_grid.options
    return (
        f"ray: {ray_grid.parallel} runs at once on {options.where} "
        f"({options.cpus_per_run:g} CPU and {ray_grid.gpus:g} GPU per run, "
        f"{options.threads} torch thread{'s' if options.threads > 1 else ''} each)"
    )
