"""`lenet-tui` as a user runs it: a subprocess, its output, exit codes and the JSONL file."""

from __future__ import annotations

import gzip
import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
QUICK = [
    "--epochs",
    "2",
    "--lr",
    "0.05",
    "--batch-size",
    "32",
    "--activation",
    "relu",
    "--pooling",
    "max",
    "--seed",
    "3",
    "--device",
    "cpu",
]


def lenet_tui(*args: str | Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lenet_tui", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **env},
        timeout=300,
    )


def test_help_answers_without_importing_torch():
    code = (
        "import sys\nfrom lenet_tui.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    code = e.code\n"
        "print('EXIT', code, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert "--no-ui" in out.stdout and "--metrics-out" in out.stdout
    assert out.stdout.strip().endswith("EXIT 0 False")


def test_headless_run_prints_table_progress_summary_and_writes_jsonl(tiny_data_dir, tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    args = ["--no-ui", *QUICK, "--data-dir", tiny_data_dir, "--metrics-out", metrics]
    result = lenet_tui(*args, FORCE_COLOR="1")  # as CI services set it; stderr is still a pipe
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"loss \d\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}", lines[-2])
    assert lines[-1].endswith(" examples/sec on cpu") and float(lines[-1].split()[0]) > 0
    assert "(1, 16, 10, 10)" in result.stdout and "61,706" in result.stdout  # the layer table
    assert "seed: 3" in result.stdout
    progress = result.stderr.splitlines()  # not a terminal: one plain line per event
    assert sum(line.startswith("epoch 1.") or line.startswith("epoch 0.") for line in progress) >= 5
    assert any(line.startswith("epoch 2/2: loss") and "test acc" in line for line in progress)

    events = [json.loads(line) for line in metrics.read_text().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("epoch_end") == 2 and kinds.count("train_progress") >= 10
    assert events[0]["layers"][3]["output_shape"] == [1, 16, 10, 10]
    finished = events[-1]
    assert lines[-2] == (
        f"loss {finished['train_loss']:.3f}, train acc {finished['train_acc']:.3f}, "
        f"test acc {finished['test_acc']:.3f}"
    )


def _bad_magic_dir(tmp_path: Path, tiny_data_dir: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    for f in tiny_data_dir.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(b"\x00\x00\x08\x04" + bytes(12))
    )
    return folder


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "0"], r"--lr: must be a number > 0 and at most 1e\+38, got 0.0"),
        (["--lr", "-1"], r"--lr: must be a number > 0"),
        (["--lr", "1e308"], r"--lr: must be a number > 0 and at most 1e\+38, got 1e\+308"),
        (["--lr", "abc"], r"argument --lr: must be a number > 0 and at most 1e\+38, got 'abc'"),
        (["--epochs", "0"], r"--epochs: must be an integer in 1..1000, got 0"),
        (["--batch-size", "0"], r"--batch-size: must be an integer in 1..65536, got 0"),
        (["--device", "tpu"], r"--device: unknown device 'tpu'"),
        (["--device", "cuda:99"], r"--device: cuda:99 is not available on this machine"),
        (["--kernel-size", "20"], r"--kernel-size: must be an integer in 1..13"),
        (["--channels", "6,16,32,64"], r"argument --channels: expected 1 to 3 integers"),
        (["--channels", "6,16,32"], r"--channels: pool3 would get a 1x1 map, too small for 2x2"),
        (["--kernel-size", "11", "--channels", "6,16,32"], r"--channels: conv3 would get a 2x2"),
        (["--hidden", "1,2,3,4"], r"argument --hidden: expected up to 3 integers"),
        (["--momentum", "0.9", "--optimizer", "adam"], r"--momentum: applies to sgd only"),
        (["--nesterov"], r"--nesterov: needs sgd with momentum > 0"),
        (["--weight-decay", "2"], r"--weight-decay: must be a number in 0..1"),
        (["--patience", "-1"], r"--patience: must be an integer in 0..1000"),
        (["--schedule", "linear"], r"argument --schedule: invalid choice"),
        (["--precision", "fp16"], r"argument --precision: invalid choice: 'fp16'"),
        (["--dataset", "mnist", "--data-dir", "{fashion}"], r"not MNIST|no MNIST IDX files"),
        (["--seed", "abc"], r"argument --seed: must be an integer in .* or \"random\", got 'abc'"),
        (["--data-dir", "{missing}"], r"does not exist"),
        (["--data-dir", "a" * 300], r"a{300}: (folder does not exist|cannot read the folder)"),
        (["--data-dir", "{bad_magic}"], r"t10k-labels-idx1-ubyte.gz"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(args, message, tmp_path, tiny_data_dir):
    places = {
        "missing": tmp_path / "nowhere",
        "bad_magic": _bad_magic_dir(tmp_path, tiny_data_dir),
        "fashion": REPO / "assets",
    }
    args = [a.format(**places) for a in args]
    metrics = tmp_path / "metrics.jsonl"
    result = lenet_tui("--no-ui", *args, "--metrics-out", metrics)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert re.search(message, result.stderr)
    assert not metrics.exists()


def test_an_unwritable_metrics_path_is_refused_before_training(tiny_data_dir, tmp_path):
    target = tmp_path / "no-such-folder" / "m.jsonl"
    result = lenet_tui("--no-ui", *QUICK, "--data-dir", tiny_data_dir, "--metrics-out", target)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"lenet-tui: cannot write metrics to {target}: No such file or directory; "
        "pick another --metrics-out"
    )


def test_on_a_terminal_a_live_bar_runs_below_an_intact_header(tiny_data_dir):
    parent, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lenet_tui", "--no-ui", *QUICK, "--data-dir", str(tiny_data_dir)],
        stdin=subprocess.DEVNULL, stdout=child, stderr=child, cwd=REPO,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"},
    )  # fmt: skip
    os.close(child)
    screen = b""
    while select.select([parent], [], [], 120)[0]:  # the timeout only guards against a hang
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # EIO: the program exited and closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.close(parent)
    assert proc.wait(timeout=60) == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode())
    assert text.lstrip().startswith("data: ")  # nothing drawn over or before the header
    assert "━" in text and "eta" in text  # the live bar
    assert "epoch 2/2: loss" in text
    assert re.search(r"loss \d\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}", text)


def test_seed_random_picks_a_seed_and_prints_it_so_the_run_can_be_repeated(tiny_data_dir, tmp_path):
    metrics = tmp_path / "m.jsonl"
    args = [
        "--no-ui",
        *QUICK,
        "--epochs",
        "1",
        "--data-dir",
        tiny_data_dir,
        "--metrics-out",
        metrics,
    ]
    first = lenet_tui(*args, "--seed", "random")  # the last --seed wins over QUICK's
    assert first.returncode == 0, first.stderr
    seed = int(re.search(r"seed: (\d+)", first.stdout).group(1))
    assert json.loads(metrics.read_text().splitlines()[0])["config"]["seed"] == seed
    again = lenet_tui(*args, "--seed", str(seed))
    assert again.stdout.splitlines()[-2] == first.stdout.splitlines()[-2]  # same summary line


def test_flags_win_over_a_preset_adam_dropping_its_sgd_momentum():
    from lenet_tui.cli import build_parser, config_from_args

    def config(*args: str):
        return config_from_args(build_parser().parse_args(list(args)))

    modern = config("--preset", "modern")
    assert (modern.momentum, modern.nesterov, modern.model.batch_norm) == (0.9, True, True)
    adam = config("--preset", "modern", "--optimizer", "adam", "--lr", "0.001")
    assert (adam.optimizer, adam.momentum, adam.nesterov, adam.lr) == ("adam", 0.0, False, 0.001)
    plain = config("--preset", "modern", "--no-nesterov", "--no-batch-norm")
    assert (plain.nesterov, plain.model.batch_norm, plain.momentum) == (False, False, 0.9)


def test_a_bad_grid_is_refused_before_torch_is_imported_and_help_lists_the_grid_flags():
    code = (
        "import sys\nfrom lenet_tui.cli import main\n"
        "print('EXIT', main(['--no-ui', '--grid', 'pooling=avg,mean']), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "EXIT 2 False"
    assert out.stderr == "lenet-tui: --grid: pooling=mean: must be one of avg, max\n"
    help_text = lenet_tui("--help").stdout
    for flag in ("--grid SPEC", "--seeds S1,S2,...", "--yes", "--export-csv RUN_DIR", "-o FILE"):
        assert flag in help_text
