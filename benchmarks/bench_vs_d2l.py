"""d2l's train_ch6 loop versus lenet-tui's engine, same data and settings, one invocation.

The d2l side is the book's PyTorch code (chapter "LeNet"): torchvision's FashionMNIST with
ToTensor, DataLoader(num_workers=4), and the book's timer, which runs around each training step
only (data loading and evaluation are not timed). lenet-tui's figure is the engine's own
examples/sec: every training batch's wall time, batch gathering included, evaluation excluded.
`--precision bf16` trains lenet-tui's side under bf16 autocast; the d2l loop stays the book's
fp32, in torch's own layers (lenet-tui's pooling is its own, lenet_tui/engine/pooling.py). The
d2l loop runs first, before lenet-tui's engine raises the process's malloc thresholds
(lenet_tui/engine/allocator.py): its figure is the book's code as it runs on its own.

The machine's speed drifts (by a quarter from one minute to the next on a shared 2-core VM), so
`--rounds N` runs each side N times, each in a fresh process, the order flipped every round,
and gives the median of the rounds' speed-ups:

    python benchmarks/bench_vs_d2l.py --epochs 10
    python benchmarks/bench_vs_d2l.py --epochs 10 --precision bf16
    python benchmarks/bench_vs_d2l.py --epochs 10 --precision bf16 --rounds 5
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch
import torchvision
from torch import nn
from torch.utils import data
from torchvision import transforms

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import bundled_data_dir, load_dataset
from lenet_tui.engine.events import RunFinished
from lenet_tui.engine.model import build_lenet
from lenet_tui.engine.settings import PRECISIONS
from lenet_tui.engine.training import Trainer

DATA_ROOT = Path(__file__).parent / ".data"


def torchvision_root() -> Path:
    """Unzip the bundled files where torchvision's FashionMNIST(download=False) looks for them."""
    raw = DATA_ROOT / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for gz in bundled_data_dir().glob("*.gz"):
        target = raw / gz.stem
        if not target.exists():
            with gzip.open(gz) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
    return DATA_ROOT


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:  # d2l.accuracy
    y_hat = y_hat.argmax(axis=1)
    return float((y_hat.type(y.dtype) == y).type(y.dtype).sum())


def evaluate_accuracy_gpu(net: nn.Module, data_iter, device) -> float:  # d2l, unchanged
    net.eval()
    right = total = 0.0
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            right += accuracy(net(X), y)
            total += y.numel()
    return right / total


def d2l_lenet() -> nn.Sequential:
    """The book's net in torch's own layers, with the Xavier weights lenet-tui draws for it."""
    weights = build_lenet().state_dict()
    with torch.random.fork_rng(devices=[]):  # torch's init draws leave the shuffles as they were
        net = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
            nn.Linear(120, 84), nn.Sigmoid(),
            nn.Linear(84, 10),
        )  # fmt: skip
    net.load_state_dict(weights)
    return net


def d2l_train_ch6(epochs: int, lr: float, batch_size: int, device: torch.device) -> dict:
    """The book's train_ch6 with load_data_fashion_mnist(batch_size), timed as the book times it."""
    trans = transforms.ToTensor()
    root = torchvision_root()
    mnist_train = torchvision.datasets.FashionMNIST(root, train=True, transform=trans)
    mnist_test = torchvision.datasets.FashionMNIST(root, train=False, transform=trans)
    train_iter = data.DataLoader(mnist_train, batch_size, shuffle=True, num_workers=4)
    test_iter = data.DataLoader(mnist_test, batch_size, shuffle=False, num_workers=4)
    net = d2l_lenet().to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    timed, wall_start = 0.0, time.perf_counter()
    for _ in range(epochs):
        metric = [0.0, 0.0, 0.0]
        net.train()
        for X, y in train_iter:
            start = time.perf_counter()
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)  # noqa: E741 (the book's name)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                for j, value in enumerate((l * X.shape[0], accuracy(y_hat, y), X.shape[0])):
                    metric[j] += float(value)
            timed += time.perf_counter() - start
        test_acc = evaluate_accuracy_gpu(net, test_iter, device)
    return {
        "examples_per_sec": metric[2] * epochs / timed,
        "train_loss": metric[0] / metric[2],
        "train_acc": metric[1] / metric[2],
        "test_acc": test_acc,
        "wall_seconds": time.perf_counter() - wall_start,
    }


def lenet_tui_engine(epochs: int, lr: float, batch_size: int, device: str, precision: str) -> dict:
    wall_start = time.perf_counter()
    config = TrainConfig(
        lr=lr, epochs=epochs, batch_size=batch_size, device=device, precision=precision, seed=0
    )
    events = list(Trainer(config, load_dataset()).run())
    finished = events[-1]
    assert isinstance(finished, RunFinished), finished
    return {
        "examples_per_sec": finished.examples_per_sec,
        "train_loss": finished.train_loss,
        "train_acc": finished.train_acc,
        "test_acc": finished.test_acc,
        "wall_seconds": time.perf_counter() - wall_start,
    }


SIDES = ("d2l train_ch6", "lenet-tui")


def run_side(side: str, args: argparse.Namespace) -> dict:
    if side == "d2l train_ch6":
        return d2l_train_ch6(args.epochs, args.lr, args.batch_size, torch.device(args.device))
    return lenet_tui_engine(args.epochs, args.lr, args.batch_size, args.device, args.precision)


def run_side_alone(side: str, argv: list[str]) -> dict:
    """One side in a fresh process: nothing the other side did (malloc settings, caches) stays."""
    done = subprocess.run(
        [sys.executable, __file__, *argv, "--side", side], capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"{side} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def show(name: str, r: dict) -> None:
    print(
        f"{name:14s} {r['examples_per_sec']:9.1f} examples/sec  loss {r['train_loss']:.3f}, "
        f"train acc {r['train_acc']:.3f}, test acc {r['test_acc']:.3f}  "
        f"(wall {r['wall_seconds']:.1f} s)",
        flush=True,
    )


def speed_up(results: dict[str, dict]) -> float:
    return results["lenet-tui"]["examples_per_sec"] / results["d2l train_ch6"]["examples_per_sec"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.9)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", choices=PRECISIONS, default="fp32", help="lenet-tui's")
    parser.add_argument(
        "--rounds", type=int, default=1,
        help="more than 1: each side in its own process, the order flipped every round",
    )  # fmt: skip
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.manual_seed(0)
    # d2l asks for 4 workers whatever the core count: the header says so once, not every epoch.
    warnings.filterwarnings("ignore", message="This DataLoader will create")
    if args.side is not None:
        print(json.dumps(run_side(args.side, args)))
        return
    print(
        f"torch {torch.__version__}, {os.cpu_count()} cores, {torch.get_num_threads()} threads, "
        f"d2l DataLoader with 4 workers, device {args.device}, "
        f"{args.epochs} epochs, lr {args.lr}, batch {args.batch_size}, "
        f"lenet-tui in {args.precision} (d2l in fp32)",
        flush=True,
    )
    if args.rounds == 1:
        results = {side: run_side(side, args) for side in SIDES}
        for name, r in results.items():
            show(name, r)
        print(f"speed-up: {speed_up(results):.2f}x examples/sec")
        return
    argv = [f"--epochs={args.epochs}", f"--lr={args.lr}", f"--batch-size={args.batch_size}",
            f"--device={args.device}", f"--precision={args.precision}"]  # fmt: skip
    ratios = []
    for round_ in range(args.rounds):
        order = SIDES if round_ % 2 == 0 else SIDES[::-1]
        results = {side: run_side_alone(side, argv) for side in order}
        print(f"round {round_ + 1}:")
        for name in SIDES:
            show(name, results[name])
        ratios.append(speed_up(results))
        print(f"speed-up: {ratios[-1]:.2f}x examples/sec", flush=True)
    print(
        f"median speed-up over {args.rounds} rounds: {statistics.median(ratios):.2f}x "
        f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x)"
    )


if __name__ == "__main__":
    main()
