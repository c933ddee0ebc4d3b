"""`lenet-tui --no-ui --grid SPEC --ray [ADDRESS]`: the grid's runs at once on Ray, headless.

stderr gets a line as Ray is joined and one as its runs begin; the progress lines, the stop and
the table are lenet_tui.headless_grid's (`follow_grid`), as for a grid trained here.

If Ray itself goes (the raylet of this machine killed, say), Ray's core worker ends this process
at once, from C++ (exit code 1, after its own dump on stderr): no exception, no `finally`, no
`atexit` runs. So a small watcher process, started before training, says what happened and how
to go on when this process ends without having told it that the grid ended. A Ray error that
does reach Python (the cluster lost in other ways) gets the same line.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import TextIO

from lenet_tui.engine.data import Dataset
from lenet_tui.errors import EXIT_FAILED, bounded
from lenet_tui.headless_grid import follow_grid
from lenet_tui.runs.folder import resume_command
from lenet_tui.runs.grid import Grid
from lenet_tui.runs.ray_grid import RayGrid
from lenet_tui.runs.ray_setup import RayOptions, connect, require_ray


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
    grid: Grid, datasets: dict[str, Dataset], options: RayOptions, out: TextIO, err: TextIO
) -> int:
    """Train the grid's pending runs on Ray and print its table (`follow_grid`); if Ray goes
    away meanwhile, one line that says so and how to go on (EXIT_FAILED). The exit code."""
    ray = require_ray()
    resume = f"{resume_command(grid.folder)} {options.flags}"
    lost = (
        "lenet-tui: Ray went away while the grid trained (its raylet died, or this process was "
        f"killed); the runs in flight keep their last checkpoints; resume the grid with: {resume}"
    )
    runner = RayGrid(grid, datasets, options)
    try:
        with said_if_ended_abruptly(lost):
            return follow_grid(
                runner, out, err, flags=options.flags, announce=lambda: _announce(runner)
            )
    except (ray.exceptions.RayError, ConnectionError) as exc:
        reason = " ".join(str(exc).split()) or "no reason given"
        print(bounded(f"{lost} ({type(exc).__name__}: {reason})"), file=err, flush=True)
        return EXIT_FAILED


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


def _announce(ray_grid: RayGrid) -> str:
    options = ray_grid.options
    return (
        f"ray: {ray_grid.parallel} runs at once on {options.where} "
        f"({options.cpus_per_run:g} CPU and {ray_grid.gpus:g} GPU per run, "
        f"{options.threads} torch thread{'s' if options.threads > 1 else ''} each)"
    )
