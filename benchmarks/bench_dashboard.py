"""What the dashboard costs: training speed beside `--no-ui`, and key latency while training.

    python benchmarks/bench_dashboard.py [--epochs 3] [--rounds 2] [--presses 40]

1. Speed: alternates `lenet-tui --no-ui` and the dashboard on a real pseudo-terminal (120x40,
   started with ctrl+r, read back from the screen), same settings and bundled data, and compares
   the book's examples/sec figure of each run. The dashboard must keep >= 0.9x.
2. Latency: drives the dashboard with Textual's Pilot while it trains on CPU and times, for each
   key press, the gap from the key being sent to its action running. It must stay < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import pty
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(rb"(\d+\.\d) examples/sec on ")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def headless_speed(epochs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        metrics = Path(tmp) / "m.jsonl"
        subprocess.run(
            [sys.executable, "-m", "lenet_tui", "--no-ui", "--epochs", str(epochs),
             "--device", "cpu", "--metrics-out", str(metrics)],
            check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        last = json.loads(metrics.read_text().splitlines()[-1])
    assert last["event"] == "run_finished", last
    return last["examples_per_sec"]


def dashboard_speed(epochs: int, size: tuple[int, int] = (120, 40)) -> float:
    """Run the dashboard on a pty, press ctrl+r, read the summary line off the screen."""
    parent, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "lenet_tui", "--epochs", str(epochs), "--device", "cpu"],
        stdin=child, stdout=child, stderr=child, cwd=REPO, start_new_session=True,
        env={**os.environ, "TERM": "xterm-256color"},
    )  # fmt: skip
    os.close(child)
    try:
        return _read_summary(parent, proc)
    finally:
        proc.kill()  # a run left behind would skew every later measurement
        proc.wait(timeout=60)


def _read_summary(parent: int, proc: subprocess.Popen) -> float:
    screen, started = b"", False
    while True:
        assert select.select([parent], [], [], 600)[0], "the dashboard stopped drawing"
        screen += os.read(parent, 1 << 16)
        plain = ANSI.sub(b"", screen)
        if not started and b"Start" in plain:
            os.write(parent, b"\x12")  # ctrl+r
            started = True
        found = SUMMARY.search(plain)
        if found:
            os.write(parent, b"\x11")  # ctrl+q
            break
    while select.select([parent], [], [], 30)[0]:
        try:
            if not os.read(parent, 1 << 16):
                break
        except OSError:
            break
    os.close(parent)
    proc.wait(timeout=60)
    return float(found.group(1))


async def key_latencies(presses: int) -> tuple[list[float], list[float]]:
    """During a CPU training run, per key press: seconds until its action starts, and until
    the screen has been refreshed after it (the other tab is drawn)."""
    from textual import events

    from lenet_tui.engine.config import TrainConfig
    from lenet_tui.ui.app import create_app
    from lenet_tui.ui.modes.state import Phase

    app = create_app(TrainConfig(epochs=50, device="cpu"))
    board = app.dashboard
    handled: list[float] = []
    redrawn: list[float] = []
    original = board.action_show_tab

    def timed_show_tab(tab: str) -> None:
        handled.append(time.perf_counter())
        original(tab)
        app.call_after_refresh(lambda: redrawn.append(time.perf_counter()))

    board.action_show_tab = timed_show_tab  # type: ignore[method-assign]
    gaps, round_trips = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        while board.data is None:
            await pilot.pause(0.1)
        await pilot.press("ctrl+r")
        while board.train_view.status.latest.train_loss is None:  # training is under way
            await pilot.pause(0.1)
        for i in range(presses):
            sent = time.perf_counter()
            # F3 first: the shown tab's own key does nothing (it is not in the footer either)
            app.post_message(events.Key("f2" if i % 2 else "f3", None))
            while len(redrawn) <= i:
                await asyncio.sleep(0.001)
            gaps.append(handled[-1] - sent)
            round_trips.append(redrawn[-1] - sent)
            await asyncio.sleep(0.1)  # a person's pace, not a test's synchronisation
        assert board.phase is Phase.RUNNING, (
            "the run ended before the measurement did; raise its epochs"
        )
        await pilot.press("ctrl+q")
    return gaps, round_trips


def main() -> None:
    # Both sides keep their runs (checkpoints each epoch), in a folder that goes afterwards.
    runs = tempfile.TemporaryDirectory()
    os.environ["LENET_TUI_RUNS_DIR"] = runs.name
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--presses", type=int, default=40)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, device cpu, {args.epochs} epochs")
    ratios = []
    for r in range(args.rounds):
        plain = headless_speed(args.epochs)
        dash = dashboard_speed(args.epochs)
        ratios.append(dash / plain)
        print(f"round {r + 1}: --no-ui {plain:9.1f}  dashboard {dash:9.1f} examples/sec  "
              f"ratio {dash / plain:.3f}")  # fmt: skip
    if ratios:
        print(f"dashboard / --no-ui: median {statistics.median(ratios):.3f}, min {min(ratios):.3f}")
    gaps, round_trips = asyncio.run(key_latencies(args.presses))
    for name, values in (("key -> action", gaps), ("key -> screen redrawn", round_trips)):
        ms = sorted(v * 1000 for v in values)
        print(
            f"{name} while training ({len(ms)} presses): median {statistics.median(ms):.1f} ms, "
            f"p95 {ms[int(0.95 * (len(ms) - 1))]:.1f} ms, max {ms[-1]:.1f} ms"
        )


if __name__ == "__main__":
    main()
