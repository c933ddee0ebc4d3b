"""A 4-run grid trained in turn here against the same grid on Ray, on this machine.

    python benchmarks/bench_ray_grid.py [--epochs 2] [--rounds 3] [--ray-cpus-per-run 1]

Alternates `lenet-tui --no-ui --grid "pooling=avg,max activation=sigmoid,relu"` with and without
`--ray` (Ray started by the command itself, so its start-up is counted) on the bundled
Fashion-MNIST, CPU, and prints each grid's wall time, the speed-up (local / Ray) and whether the
two tables agree. Each Ray run trains with --ray-cpus-per-run torch threads; the local runs with
torch's default (all cores), one after another.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = "pooling=avg,max activation=sigmoid,relu"


def grid(epochs: int, ray: list[str]) -> tuple[float, list[str]]:
    """Wall seconds of one grid command, and its table's rows without examples/sec."""
    with tempfile.TemporaryDirectory() as runs:
        folder = Path(runs) / "grid"
        command = [
            sys.executable, "-m", "lenet_tui", "--no-ui", "--device", "cpu", "--seed", "0",
            "--epochs", str(epochs), "--grid", SPEC, "--run-dir", str(folder), *ray,
        ]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(
            command, capture_output=True, text=True, env={**os.environ, "LENET_TUI_RUNS_DIR": runs}
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
        rows = (folder / "grid.csv").read_text().splitlines()
    keep = [",".join(row.split(",")[:8]) for row in rows]  # settings, seeds, runs, acc figures
    return seconds, keep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ray-cpus-per-run", default="1")
    args = parser.parse_args()
    ray = ["--ray", "--ray-cpus-per-run", args.ray_cpus_per_run]
    print(f"{os.cpu_count()} CPUs, grid {SPEC!r}, {args.epochs} epochs, {args.rounds} rounds")
    ratios = []
    for round_ in range(1, args.rounds + 1):
        local_s, local_rows = grid(args.epochs, [])
        ray_s, ray_rows = grid(args.epochs, ray)
        ratios.append(local_s / ray_s)
        same = "same table" if local_rows == ray_rows else "tables differ"
        print(
            f"round {round_}: in turn {local_s:.1f} s, on Ray {ray_s:.1f} s, "
            f"speed-up {local_s / ray_s:.2f} ({same})",
            flush=True,
        )
    print(f"speed-up: median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, "
          f"max {max(ratios):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
