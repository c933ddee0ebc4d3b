"""`lenet-tui` opens the dashboard on a real terminal, and leaves that terminal clean."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from test_cli import REPO, lenet_tui

LEAVE_ALT_SCREEN = b"\x1b[?1049l"


class Terminal:
    """A pseudo-terminal of a given size running `python -m lenet_tui <args>`."""

    def __init__(self, *args: str | Path, size: tuple[int, int] = (80, 24)) -> None:
        self.fd, child = pty.openpty()
        cols, rows = size
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lenet_tui", *map(str, args)],
            stdin=child, stdout=child, stderr=child, cwd=REPO, start_new_session=True,
            env={**os.environ, "TERM": "xterm-256color"},
        )  # fmt: skip
        os.close(child)
        self.output = b""

    def read_until(self, needle: bytes, timeout: float = 120) -> None:
        """Collect output until `needle` has appeared; the timeout only guards against a hang."""
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            left = deadline - time.monotonic()
            assert left > 0 and select.select([self.fd], [], [], left)[0], f"no {needle!r} seen"
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # EIO: the program exited
                chunk = b""
            assert chunk, f"exited before showing {needle!r}"
            self.output += chunk

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def finish(self) -> int:
        while select.select([self.fd], [], [], 60)[0]:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.output += chunk
        os.close(self.fd)
        return self.proc.wait(timeout=60)


def training_dashboard(data_dir: Path) -> Terminal:
    """The dashboard on a pty, started with ctrl+r and training (a run far longer than a test)."""
    term = Terminal("--data-dir", data_dir, "--epochs", "1000", "--batch-size", "8")
    try:
        term.read_until(b"Start")
        term.type(b"\x12")  # ctrl+r
        term.read_until(b"running")
        term.read_until(b"examples/sec")  # progress arrived from the worker
    except BaseException:
        term.proc.kill()  # never leave a dashboard behind
        raise
    return term


def last_event(folder: Path) -> str:
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    return json.loads(lines[-1])["event"]


def test_dashboard_opens_trains_and_quits_mid_run_with_the_terminal_restored(tiny_data_dir):
    term = training_dashboard(tiny_data_dir)
    try:
        term.type(b"\x11")  # ctrl+q during the run
        assert term.finish() == 0
    finally:
        term.proc.kill()  # only matters when an assertion above failed
    assert term.output.rstrip().endswith(LEAVE_ALT_SCREEN) or LEAVE_ALT_SCREEN in term.output[-200:]


def test_dashboard_refuses_an_absent_device_in_one_line_before_drawing():
    result = lenet_tui("--device", "cuda:7")
    assert result.returncode == 2
    assert result.stderr == (
        "lenet-tui: --device: cuda:7 is not available on this machine; available: cpu\n"
    )
    assert result.stdout == ""


def test_dashboard_refuses_a_data_dir_without_the_files(tmp_path):
    result = lenet_tui("--data-dir", tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"lenet-tui: {tmp_path}: no Fashion-MNIST IDX files found")
    assert result.stderr.count("\n") == 1


def test_metrics_out_is_refused_for_the_dashboard(tmp_path):
    result = lenet_tui("--metrics-out", tmp_path / "m.jsonl")
    assert result.returncode == 2
    assert result.stderr == (
        "lenet-tui: --metrics-out is for --no-ui runs (the dashboard keeps every run's "
        "metrics.jsonl in its run folder); add --no-ui\n"
    )
    assert not (tmp_path / "m.jsonl").exists()


def test_dashboard_refuses_a_resume_folder_that_is_not_a_run(tmp_path):
    result = lenet_tui("--resume", tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"lenet-tui: {tmp_path}: not a run folder (no config.toml); pass a folder a run wrote\n"
    )


def test_dashboard_refuses_a_run_dir_that_holds_a_run(tmp_path):
    (tmp_path / "config.toml").write_text("lr = 0.5\n")
    result = lenet_tui("--run-dir", tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"lenet-tui: {tmp_path}: already holds a run; continue it")
    assert result.stderr.count("\n") == 1


def test_a_config_file_fills_the_dashboards_form(tmp_path):
    from lenet_tui.cli import build_parser, config_from_args

    settings = tmp_path / "s.toml"
    settings.write_text('lr = 0.25\n[model]\nactivation = "relu"\n')
    config = config_from_args(
        build_parser().parse_args(["--config", str(settings), "--epochs", "4"])
    )
    assert (config.lr, config.epochs, config.model.activation) == (0.25, 4, "relu")


def test_sigterm_stops_the_run_restores_the_terminal_and_exits_143(tiny_data_dir, runs_dir):
    term = training_dashboard(tiny_data_dir)
    try:
        term.proc.send_signal(signal.SIGTERM)
        assert term.finish() == 143
    finally:
        term.proc.kill()  # only matters when an assertion above failed
    assert LEAVE_ALT_SCREEN in term.output[-200:]
    (folder,) = runs_dir.iterdir()
    assert last_event(folder) == "run_stopped"  # stopped after its batch, resumable
    assert (folder / "checkpoint.pt").is_file()


def test_a_hung_up_terminal_ends_the_dashboard_with_the_run_kept(tiny_data_dir, runs_dir):
    term = training_dashboard(tiny_data_dir)
    try:
        os.close(term.fd)  # the terminal window closes...
        term.proc.send_signal(signal.SIGHUP)  # ...and the system says so
        assert term.proc.wait(timeout=60) == 129
    finally:
        term.proc.kill()  # only matters when an assertion above failed
    (folder,) = runs_dir.iterdir()
    assert last_event(folder) == "run_stopped"
