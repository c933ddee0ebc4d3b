"""fp32 against bf16 autocast: the engine's training examples/sec on the bundled Fashion-MNIST.

The machine's speed drifts from run to run, so the two precisions alternate, one epoch each per
round (the order flips every round), and the medians and the median of the rounds' ratios are
printed:

    python benchmarks/bench_precision.py --rounds 8 --threads 2
    python benchmarks/bench_precision.py --rounds 8 --threads 2 --preset modern
"""

from __future__ import annotations

import argparse
import statistics

import torch

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import load_dataset
from lenet_tui.engine.events import RunFinished
from lenet_tui.engine.presets import PRESETS
from lenet_tui.engine.training import Trainer

PRECISIONS = ("fp32", "bf16")


def one_epoch(precision: str, device: str, preset: str, data) -> RunFinished:
    config = TrainConfig(epochs=1, device=device, precision=precision, seed=0)
    config = PRESETS[preset].apply(config)
    finished = list(Trainer(config, data).run())[-1]
    assert isinstance(finished, RunFinished), finished
    return finished


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--preset", choices=tuple(PRESETS), default="d2l")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_dataset()
    print(
        f"torch {torch.__version__}, {args.threads} threads, device {args.device}, "
        f"preset {args.preset}, 1 epoch each"
    )
    speeds: dict[str, list[float]] = {p: [] for p in PRECISIONS}
    for round_ in range(args.rounds):
        order = PRECISIONS if round_ % 2 == 0 else PRECISIONS[::-1]
        for precision in order:
            speeds[precision].append(
                one_epoch(precision, args.device, args.preset, data).examples_per_sec
            )
        fp32, bf16 = speeds["fp32"][-1], speeds["bf16"][-1]
        print(f"round {round_ + 1}: fp32 {fp32:8.1f}  bf16 {bf16:8.1f} examples/sec  "
              f"ratio {bf16 / fp32:.2f}")  # fmt: skip
    ratios = [b / f for f, b in zip(speeds["fp32"], speeds["bf16"], strict=True)]
    print(
        f"median: fp32 {statistics.median(speeds['fp32']):.1f}, "
        f"bf16 {statistics.median(speeds['bf16']):.1f} examples/sec; "
        f"bf16 / fp32 median {statistics.median(ratios):.2f}, min {min(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
