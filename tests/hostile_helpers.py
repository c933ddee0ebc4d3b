"""Helpers for the tests of what a hostile user or file can do: the command line in this process
and in a subprocess, a run stopped after its first epoch, things that are not files where files
are expected, and a guard that turns a hang into a failure."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lenet_tui.cli import main
from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import Dataset
from lenet_tui.engine.events import EpochEnd
from lenet_tui.runs.driver import RunDriver

REPO = Path(__file__).resolve().parents[1]
QUICK = ("--epochs", "1", "--batch-size", "128", "--device", "cpu", "--seed", "0")
"""A --no-ui run of one short epoch on the tiny dataset."""
HANG = float(os.environ.get("LENET_TUI_TEST_HANG", "60"))
"""Seconds after which a call that should answer at once counts as hung."""


def cli(*args: str | Path) -> tuple[int, str, str]:
    """`lenet-tui ARGS` in this process: the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def lenet_tui(*args: str | Path, timeout: float = 300, **popen: Any) -> subprocess.CompletedProcess:
    """`lenet-tui ARGS` in a subprocess (stdout and stderr captured unless given)."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(
        [sys.executable, "-m", "lenet_tui", *map(str, args)],
        text=True, cwd=REPO, timeout=timeout, **popen,
    )  # fmt: skip


def finishes(call: Callable[[], Any], seconds: float = HANG) -> Any:
    """call()'s result, or its exception; an AssertionError if it has not returned in time (it
    is left blocked in a daemon thread: a FIFO opened for reading waits for a writer forever)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"hung: no answer in {seconds:g} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def stopped_run(folder: Path, data: Dataset, epochs: int = 3) -> Path:
    """A run folder as Ctrl-C leaves it after its first epoch: a checkpoint of epoch 1 and the
    metrics of that epoch (and of its stop)."""
    config = TrainConfig(epochs=epochs, batch_size=128, device="cpu", seed=0)
    with RunDriver.new(config, data, folder) as driver:
        for event in driver.run():
            if isinstance(event, EpochEnd):
                driver.request_stop()
    return folder


def not_a_file(path: Path, kind: str) -> None:
    """Put something that is not a regular file at path: a FIFO, a folder, a link to a FIFO or
    to a device, a broken link, or a sparse file of 5 GB (more than any file read can be).

    The device is /dev/null: refused by its kind as /dev/zero is, and a reader that forgot to
    check would get nothing instead of filling the memory (/dev/zero in a thread that hangs
    cannot be stopped, and the system's OOM killer would choose what to end)."""
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "link to a fifo":
        os.mkfifo(path.with_name(path.name + ".fifo"))
        path.symlink_to(path.name + ".fifo")
    elif kind == "device":
        path.symlink_to(os.devnull)
    elif kind == "broken link":
        path.symlink_to("nowhere")
    elif kind == "5 GB":
        with path.open("wb") as f:
            f.truncate(5 * 10**9)
    else:
        raise ValueError(kind)


NOT_FILES = ("fifo", "folder", "link to a fifo", "device", "broken link", "5 GB")
WHAT_IT_IS = {
    "fifo": "is a FIFO, not a file",
    "folder": "is a folder, not a file",
    "link to a fifo": "is a FIFO, not a file",
    "device": "is a device, not a file",
    "broken link": "is a broken symbolic link",
    "5 GB": "is 5.0 GB, more than the",
}
"""What the one-line refusal says each of NOT_FILES is."""
