"""Runs that survive, as a user meets them: kills, Ctrl-C, SIGTERM, divergence, bad resumes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cli import QUICK, REPO, lenet_tui

from lenet_tui.engine.precision import cpu_has_native_bf16
from lenet_tui.runs.checkpoint import load_checkpoint
from lenet_tui.runs.config_file import load_config_file

# 64 steps of 8 per epoch on the tiny data: long enough to interrupt mid-epoch, quick to finish.
SLOW = ["--lr", "0.05", "--batch-size", "8", "--activation", "relu", "--pooling", "max"]
SLOW += ["--seed", "3", "--device", "cpu"]
TIMINGS = {"examples_per_sec", "seconds"}


def start(tmp_path: Path, *args: str | Path) -> subprocess.Popen:
    """lenet-tui in the background, its output going to files (a full pipe cannot block it)."""
    out, err = (tmp_path / "stdout").open("w"), (tmp_path / "stderr").open("w")
    with out, err:
        return subprocess.Popen(
            [sys.executable, "-m", "lenet_tui", *map(str, args)],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO,
        )  # fmt: skip


def events_of(run_dir: Path) -> list[dict]:
    """Every line of the run's metrics file, each of which must be whole JSON."""
    path = run_dir / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(proc: subprocess.Popen, run_dir: Path, seen) -> list[dict]:
    """Poll the metrics file until seen(events) holds; fail if the run ends first."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            events = events_of(run_dir)
        except json.JSONDecodeError:  # caught the writer between write() and the newline
            events = []
        if seen(events):
            return events
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.005)
    raise AssertionError("timed out waiting for the run")


def epoch_ended(epoch: int):
    return lambda events: any(e["event"] == "epoch_end" and e["epoch"] == epoch for e in events)


def mid_epoch(epoch: int):
    return lambda events: any(
        e["event"] == "train_progress" and epoch - 1 < e["epoch"] < epoch for e in events
    )


def without_timings(events: list[dict], kinds: tuple[str, ...]) -> list[dict]:
    return [{k: v for k, v in e.items() if k not in TIMINGS} for e in events if e["event"] in kinds]


@pytest.mark.parametrize(
    "training",
    [
        [],
        ["--momentum", "0.9", "--schedule", "onecycle", "--augment", "flip+shift"],
        pytest.param(
            ["--precision", "bf16"],
            marks=pytest.mark.skipif(not cpu_has_native_bf16(), reason="no native bf16 here"),
        ),
    ],
    ids=["book", "momentum-onecycle-augment", "bf16"],
)
def test_a_run_killed_mid_epoch_resumes_to_the_metrics_of_an_uninterrupted_run(
    training, tiny_data_dir, tmp_path
):
    args = ["--no-ui", *SLOW, *training, "--epochs", "3", "--data-dir", tiny_data_dir]
    whole = lenet_tui(*args, "--run-dir", tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr

    run_dir = tmp_path / "killed"
    proc = start(tmp_path, *args, "--run-dir", run_dir)
    wait_for(proc, run_dir, mid_epoch(2))
    proc.kill()  # SIGKILL: no handler runs, no file is closed
    proc.wait(timeout=60)
    config = load_config_file(run_dir / "config.toml")
    checkpoint = load_checkpoint(run_dir / "checkpoint.pt", config)  # intact and ours
    assert checkpoint.state.epoch >= 1
    assert events_of(run_dir)[-1]["event"] != "run_finished"  # every line is whole JSON

    resumed = lenet_tui("--no-ui", "--resume", run_dir)  # finds the data by itself
    assert resumed.returncode == 0, resumed.stderr
    assert f"run folder: {run_dir} (resumed after epoch {checkpoint.state.epoch})" in resumed.stdout
    assert resumed.stdout.splitlines()[-2] == whole.stdout.splitlines()[-2]  # the book's line
    kinds = ("epoch_end", "run_finished")
    expected = without_timings(events_of(tmp_path / "whole"), kinds)
    assert without_timings(events_of(run_dir), kinds) == expected  # epochs 1, 2, 3 once each


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_after_the_batch_keeps_the_files_and_says_how_to_resume(
    signum, code, tiny_data_dir, tmp_path
):
    run_dir = tmp_path / "run"
    args = ["--no-ui", *SLOW, "--epochs", "3", "--data-dir", tiny_data_dir, "--run-dir", run_dir]
    proc = start(tmp_path, *args)
    wait_for(proc, run_dir, mid_epoch(2))
    proc.send_signal(signum)
    assert proc.wait(timeout=120) == code
    name = signal.Signals(signum).name
    kept = load_checkpoint(run_dir / "checkpoint.pt").state.epoch  # 1 unless the test lagged
    last = (tmp_path / "stderr").read_text().splitlines()[-1]
    assert last == (
        f"{name}: stopped after the batch in flight; the last good checkpoint (end of epoch "
        f"{kept}) and the metrics are in {run_dir}; resume with: lenet-tui --no-ui --resume "
        f"{run_dir} (epoch {kept + 1} restarts)"
    )
    stopped = events_of(run_dir)[-1]
    assert stopped["event"] == "run_stopped" and stopped["epoch"] == kept + 1

    resumed = lenet_tui("--no-ui", "--resume", run_dir)
    assert resumed.returncode == 0, resumed.stderr
    ends = [e["epoch"] for e in events_of(run_dir) if e["event"] == "epoch_end"]
    assert ends == [1, 2, 3] and events_of(run_dir)[-1]["event"] == "run_finished"


def test_a_second_ctrl_c_exits_at_once_and_leaves_the_files_whole(tiny_data_dir, tmp_path):
    run_dir = tmp_path / "run"
    args = ["--no-ui", *SLOW, "--epochs", "3", "--data-dir", tiny_data_dir, "--run-dir", run_dir]
    proc = start(tmp_path, *args)
    wait_for(proc, run_dir, epoch_ended(1))
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 130
    last = (tmp_path / "stderr").read_text().splitlines()[-1]
    assert re.match(r"(interrupted|SIGINT: stopped after the batch in flight); the last good", last)
    assert f"resume with: lenet-tui --no-ui --resume {run_dir}" in last
    assert load_checkpoint(run_dir / "checkpoint.pt").state.epoch >= 1
    assert events_of(run_dir)[0]["event"] == "run_started"  # and every line parses
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "checkpoint.pt",
        "config.toml",
        "confusion.csv",
        "metrics.jsonl",
        "per_class.csv",
    ]  # no temporary file left behind


@pytest.mark.parametrize("lr", ["1e4", "1e30"])
def test_a_learning_rate_far_too_high_stops_the_run_as_diverged_with_exit_1(
    lr, tiny_data_dir, runs_dir
):
    args = ["--no-ui", "--lr", lr, "--epochs", "2", "--batch-size", "32", "--device", "cpu"]
    result = lenet_tui(*args, "--data-dir", tiny_data_dir)
    assert result.returncode == 1
    (run_dir,) = runs_dir.iterdir()  # the default place, under the test's own folder
    line = result.stderr.splitlines()[-1]
    assert re.fullmatch(
        rf"diverged at epoch 1, step \d+ — learning rate too high\? The last good checkpoint "
        rf"\(start of training\) and the metrics are in {re.escape(str(run_dir))}",
        line,
    )
    diverged = events_of(run_dir)[-1]
    assert diverged["event"] == "run_diverged" and diverged["message"] in line
    assert diverged["train_loss"] > 1000
    assert load_checkpoint(run_dir / "checkpoint.pt").state.epoch == 0
    assert "loss " not in result.stdout.splitlines()[-1]  # no summary for a diverged run


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--lr", "0.1"],
            "lenet-tui: --resume takes its settings from {run}/config.toml; drop --lr",
        ),
        ([], "lenet-tui: {run}: the run already finished its 1 epoch; its metrics are in "),
    ],
)
def test_resume_refuses_conflicting_flags_and_a_finished_run(
    extra, message, tiny_data_dir, tmp_path
):
    run_dir = tmp_path / "run"
    args = ["--no-ui", *QUICK, "--epochs", "1", "--data-dir", tiny_data_dir, "--run-dir", run_dir]
    assert lenet_tui(*args).returncode == 0
    before = (run_dir / "metrics.jsonl").read_bytes()
    result = lenet_tui("--no-ui", "--resume", run_dir, *extra)
    assert result.returncode == 2
    assert result.stderr.startswith(message.format(run=run_dir))
    assert len(result.stderr.splitlines()) == 1
    assert (run_dir / "metrics.jsonl").read_bytes() == before


def test_resume_refuses_an_edited_config_and_a_folder_that_is_no_run(tiny_data_dir, tmp_path):
    run_dir = tmp_path / "run"
    args = ["--no-ui", *QUICK, "--epochs", "1", "--data-dir", tiny_data_dir, "--run-dir", run_dir]
    assert lenet_tui(*args).returncode == 0
    config = run_dir / "config.toml"
    config.write_text(config.read_text().replace("epochs = 1", "epochs = 2").replace("0.05", "0.1"))
    result = lenet_tui("--no-ui", "--resume", run_dir)
    assert result.returncode == 2
    assert result.stderr == (
        f"lenet-tui: {config}: differs from the checkpoint's settings (epochs: 1 -> 2, "
        "lr: 0.05 -> 0.1); undo the edit, or start a new run with --config\n"
    )
    result = lenet_tui("--no-ui", "--resume", tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"lenet-tui: {tmp_path}: not a run folder (no config.toml); pass a folder a run wrote\n"
    )
    metrics = tmp_path / "elsewhere.jsonl"
    metrics.write_text("kept\n")
    again = lenet_tui(*args, "--metrics-out", metrics)
    assert again.returncode == 2 and "already holds a run; continue it with" in again.stderr
    assert metrics.read_text() == "kept\n"  # refused before anything was opened


def test_runs_go_to_the_user_data_dir_unless_told(tmp_path):
    code = "from lenet_tui.runs.folder import default_runs_dir; print(default_runs_dir())"
    env = {k: v for k, v in os.environ.items() if k != "LENET_TUI_RUNS_DIR"}
    env |= {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == str(tmp_path / "data" / "lenet-tui" / "runs")
