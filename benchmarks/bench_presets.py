"""The modern preset's speed beside the batch-norm LeNet it replaced, and both presets' accuracy.

    python benchmarks/bench_presets.py [--epochs 3] [--rounds 3]

Alternates `lenet-tui --no-ui --preset modern` and the network the modern preset used to be
(`--activation relu --pooling max --batch-norm --lr 0.1`) on the bundled Fashion-MNIST, CPU,
and compares the book's examples/sec figure of each run: the modern preset must keep >= 0.9x.
The machine's own speed drifts for minutes at a time, hence the alternation and the median.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile

import torch

SUMMARY = re.compile(r"test acc (\d\.\d+)\n(\d+\.\d) examples/sec on ")
RUNS = {
    "batch-norm LeNet": ["--activation", "relu", "--pooling", "max", "--batch-norm", "--lr", "0.1"],
    "modern preset": ["--preset", "modern"],
}


def speed(args: list[str], epochs: int) -> tuple[float, float]:
    """examples/sec and test acc of one headless run."""
    with tempfile.TemporaryDirectory() as runs:
        out = subprocess.run(
            [sys.executable, "-m", "lenet_tui", "--no-ui", "--device", "cpu", "--epochs",
             str(epochs), *args],
            capture_output=True, text=True, check=True, env={"LENET_TUI_RUNS_DIR": runs},
        ).stdout  # fmt: skip
    match = SUMMARY.search(out)
    assert match, out
    return float(match.group(2)), float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.epochs} epochs")
    ratios = []
    for round_ in range(1, args.rounds + 1):
        line, speeds = [], []
        for name, flags in RUNS.items():
            examples_per_sec, acc = speed(flags, args.epochs)
            speeds.append(examples_per_sec)
            line.append(f"{name} {examples_per_sec:8.1f} examples/sec (test acc {acc:.3f})")
        ratios.append(speeds[1] / speeds[0])
        print(f"round {round_}: " + "   ".join(line) + f"  ratio {ratios[-1]:.3f}", flush=True)
    print(
        f"modern / batch-norm LeNet: median {statistics.median(ratios):.3f}, min {min(ratios):.3f}"
    )


if __name__ == "__main__":
    main()
