"""Helpers for the Ray grid tests: the command line in this process, a run's metrics, the grid's
table, a stderr that acts on the lines it is given, and a trial that holds after its first epoch.

The held trial is what makes "a worker killed mid-trial" and "Ctrl-C while runs are in flight"
exact on a tiny dataset: a run of two short epochs is over before a test could act on its
"epoch 1/2" line, so the chosen runs wait after their first EpochEnd (a first attempt only)
until their worker is killed or cancelled.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from lenet_tui.cli import main

HOLD_SECONDS = 120.0
"""How long a held trial waits to be killed or cancelled before it trains on (a test that
forgot to act then fails on its metrics, instead of hanging)."""
HOLD_SLICE = 0.05
"""A held trial waits in slices this long, like the batches of a long epoch (see held_trial)."""
SPEED = ("seconds", "examples_per_sec")
"""What measures the machine, not the run: left out when runs are compared."""


def cli(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch trains with n threads inside (a run's metrics depend on it on the CPU)."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def events(run_dir: Path) -> list[dict]:
    """A run's events as plain JSON, read without lenet-tui's reader."""
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def epoch_ends(run_dir: Path) -> list[dict]:
    """Each epoch's metrics (losses, accuracies, confusion), its timings left out."""
    ends = [e for e in events(run_dir) if e["event"] == "epoch_end"]
    return [{k: v for k, v in e.items() if k not in SPEED} for e in ends]


def table(stdout: str) -> list[list[str]]:
    """The table's rows as cells, examples/sec left out: from its header to the grid.csv line."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "best test acc" in line)
    header = re.split(r"\s{2,}", lines[start])
    speed = header.index("examples/sec")
    rows = [header] + [line.split() for line in lines[start + 1 : -1]]
    return [row[:speed] + row[speed + 1 :] for row in rows]


def run_folders(grid_dir: Path) -> list[Path]:
    return sorted(p for p in grid_dir.iterdir() if p.is_dir())


class OnLines(io.StringIO):
    """stderr that hands each whole line written to `act` (after it is kept)."""

    def __init__(self, act: Callable[[str], None]) -> None:
        super().__init__()
        self.act, self._partial = act, ""

    def write(self, text: str) -> int:
        written = super().write(text)
        self._partial += text
        *lines, self._partial = self._partial.split("\n")
        for line in lines:
            self.act(line)
        return written


class KillWorkerAfterEpoch1(OnLines):
    """stderr that SIGKILLs the worker of the run named `run_prefix` (`run 2/4`) once its
    first epoch ends, taking the pid from its `started on NODE (pid N)` line."""

    def __init__(self, run_prefix: str) -> None:
        super().__init__(self._act)
        self.prefix, self.pid, self.killed = run_prefix + " ", None, False

    def _act(self, line: str) -> None:
        if not line.startswith(self.prefix):
            return
        started = re.search(r": started on .* \(pid (\d+)\)", line)
        if started and self.pid is None:
            self.pid = int(started.group(1))
        elif ": epoch 1/" in line and not self.killed and self.pid is not None:
            self.killed = True
            os.kill(self.pid, signal.SIGKILL)


def sigint_once_seen(*parts: str) -> OnLines:
    """stderr that sends this process a SIGINT once each part has been in a line."""
    missing = set(parts)

    def act(line: str) -> None:
        if missing:
            missing.difference_update({part for part in missing if part in line})
            if not missing:
                os.kill(os.getpid(), signal.SIGINT)  # handled before the next line runs

    return OnLines(act)


def held_trial(hold: set[tuple[str, str]]) -> Callable:
    """train_trial, except that the runs whose (pooling, activation) is in `hold` wait after
    their first epoch, on a first attempt, until their worker is killed or cancelled.

    A closure, so that Ray ships it by value: the workers cannot import this tests folder.
    """

    def trial(config, data, resume, threads):  # train_trial's arguments
        import threading

        from lenet_tui.engine.events import EpochEnd
        from lenet_tui.runs.ray_trial import train_trial

        held = resume is None and (config.model.pooling, config.model.activation) in hold
        for item in train_trial(config, data, resume, threads):
            yield item
            event = item[0] if isinstance(item, tuple) else None
            if held and isinstance(event, EpochEnd) and event.epoch == 1:
                # In slices: Ray cancels a task by raising KeyboardInterrupt in it, which only
                # lands between Python steps (as between a real epoch's batches).
                never = threading.Event()
                for _ in range(int(HOLD_SECONDS / HOLD_SLICE)):
                    never.wait(HOLD_SLICE)

    return trial


def trial_dying_at_once(marker: Path) -> Callable:
    """train_trial, except that its first attempt's worker exits before training (before even
    saying where it runs): the first to create `marker` dies."""

    def trial(config, data, resume, threads):  # train_trial's arguments
        import os

        from lenet_tui.runs.ray_trial import train_trial

        try:
            marker.touch(exist_ok=False)
        except FileExistsError:
            yield from train_trial(config, data, resume, threads)
        else:
            os._exit(1)

    return trial
