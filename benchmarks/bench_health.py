"""What layer health, the confusion matrix and the pause check cost `--no-ui`: this checkout's
examples/sec beside an engine without them.

    git worktree add /tmp/base f1be143   # the commit before issue 12's engine work
    python benchmarks/bench_health.py --base /tmp/base [--epochs 1] [--rounds 5]
    python benchmarks/bench_health.py --steps 200

Alternates `lenet-tui --no-ui` (the book's net, bundled Fashion-MNIST, CPU, seed 0) from this
checkout and from --base (each its own PYTHONPATH), and compares the book's examples/sec figure
of each run; with health on, this checkout must keep >= 0.9x. --reports-per-epoch raises the
number of watched steps (the default is the settings' 10). The machine's own speed drifts for
minutes at a time, hence the alternation and the medians.

--steps N instead times N pairs of training steps in this process, one step as an unreported
step runs and one as a reporting step runs (weights kept, activations hooked, every figure read
back with the means in one sync), alternately, so that both see the same load; the difference,
times the reports of an epoch, over an epoch of steps is what health costs an epoch.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SUMMARY = re.compile(r"test acc (\d\.\d+)\n(\d+\.\d) examples/sec on ")
HERE = Path(__file__).resolve().parent.parent


def speed(tree: Path, epochs: int, reports: int | None) -> tuple[float, str]:
    """examples/sec and the book's first summary line of one headless run from `tree`."""
    with tempfile.TemporaryDirectory() as runs:
        extra = []
        if reports:  # a setting of the config file, not a flag
            (Path(runs) / "reports.toml").write_text(f"reports_per_epoch = {reports}\n")
            extra = ["--config", str(Path(runs) / "reports.toml")]
        out = subprocess.run(
            [sys.executable, "-m", "lenet_tui", "--no-ui", "--device", "cpu", "--seed", "0",
             "--epochs", str(epochs), *extra],
            capture_output=True, text=True, check=True, cwd=runs,
            env={**os.environ, "LENET_TUI_RUNS_DIR": runs, "PYTHONPATH": str(tree)},
        ).stdout  # fmt: skip
    match = SUMMARY.search(out)
    assert match, out
    book_line = out[: match.end(1)].splitlines()[-1]
    return float(match.group(2)), book_line


def step_pairs(pairs: int, reports: int) -> None:
    """Time plain and watched steps of the book's net, alternately, in this process."""
    import time

    import torch

    from lenet_tui.engine.data import load_dataset
    from lenet_tui.engine.health import HealthProbe
    from lenet_tui.engine.model import build_lenet
    from lenet_tui.engine.training import _train_step

    data = load_dataset()
    layout = torch.channels_last
    x = data.train_images[:256].unsqueeze(1).float().div(255).contiguous(memory_format=layout)
    y = data.train_labels[:256].long()
    model = build_lenet(seed=0).to(memory_format=layout)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.9)
    sums = (torch.zeros(()), torch.zeros((), dtype=torch.long))
    probe = HealthProbe(model)

    def plain() -> None:
        _train_step(model, optimizer, x, y, *sums)
        torch.stack([sums[0], sums[1].float()]).tolist()  # a report's sync, without health

    def watched() -> None:
        probe.arm()
        _train_step(model, optimizer, x, y, *sums)
        probe.disarm()
        torch.cat([sums[0].view(1), sums[1].float().view(1), probe.figures()]).tolist()

    times: dict[str, list[float]] = {"plain": [], "watched": []}
    for _ in range(pairs):
        for name, step in (("plain", plain), ("watched", watched)):
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values[1:]) for name, values in times.items()}
    batches = math.ceil(len(data.train_labels) / 256)
    every = max(1, batches // reports)
    watched_steps = len(range(every - 1, batches, every)) + (batches % every != 0)
    extra = (medians["watched"] - medians["plain"]) * watched_steps
    print(f"{torch.get_num_threads()} threads, {pairs} pairs of steps, batch 256")
    for name, median in medians.items():
        print(f"median {name:8s} step {median * 1000:8.2f} ms")
    print(f"an epoch of {batches} steps, {watched_steps} of them watched: health costs "
          f"{extra / (medians['plain'] * batches):.2%} of its training time")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="checkout without the health")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reports-per-epoch", type=int, default=None)
    parser.add_argument("--steps", type=int, default=0, help="time N pairs of steps instead")
    args = parser.parse_args()
    if args.steps:
        step_pairs(args.steps, args.reports_per_epoch or 10)
        return
    if args.base is None:
        parser.error("--base is needed (or --steps)")
    trees = {"without (base)": args.base.resolve(), "with health": HERE}
    print(f"{os.cpu_count()} cores, {args.epochs} epoch(s) a run, {args.rounds} rounds, "
          f"reports per epoch: {args.reports_per_epoch or 'default'}")  # fmt: skip
    figures: dict[str, list[float]] = {name: [] for name in trees}
    for round_ in range(args.rounds):
        order = list(trees.items()) if round_ % 2 == 0 else list(reversed(trees.items()))
        for name, tree in order:
            examples_per_sec, book_line = speed(tree, args.epochs, args.reports_per_epoch)
            figures[name].append(examples_per_sec)
            print(f"round {round_ + 1} {name:15s} {examples_per_sec:9.1f} examples/sec  "
                  f"{book_line}", flush=True)  # fmt: skip
    medians = {name: statistics.median(values) for name, values in figures.items()}
    for name, median in medians.items():
        print(f"median {name:15s} {median:9.1f} examples/sec")
    ratio = medians["with health"] / medians["without (base)"]
    print(f"ratio with/without: {ratio:.3f} (must be >= 0.9)")


if __name__ == "__main__":
    main()
