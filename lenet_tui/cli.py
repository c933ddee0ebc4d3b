"""Command line: parse and validate settings, then open the dashboard or train headless.

Nothing here imports torch, so `lenet-tui --help` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lenet_tui import __version__
from lenet_tui.config import ACTIVATIONS, POOLINGS, ModelConfig, TrainConfig
from lenet_tui.errors import EXIT_INTERRUPTED, EXIT_USAGE, ConfigError, LenetError

FLAGS = {"batch_size": "--batch-size", "kernel_size": "--kernel-size"}
"""Config fields whose command-line flag is not simply --<field>."""


class _OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line, not the full usage block."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="lenet-tui",
        description="Train LeNet-5 on Fashion-MNIST and watch it learn (d2l.ai, chapter 'LeNet').",
        epilog="Defaults reproduce d2l's train_ch6. The bundled data is Fashion-MNIST re-split "
        "60,000/10,000: its test accuracy is comparable to, not identical with, the official "
        "test set's.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--no-ui",
        action="store_true",
        help="train headless (for CI): progress on stderr, the book's summary lines on stdout",
    )
    run = parser.add_argument_group("training")
    run.add_argument("--epochs", type=int, default=10, help="passes over the data (default 10)")
    run.add_argument("--lr", type=float, default=0.9, help="SGD learning rate (default 0.9)")
    run.add_argument("--batch-size", type=int, default=256, help="examples per step (default 256)")
    run.add_argument(
        "--device",
        default="auto",
        help="auto, cpu, cuda, cuda:N or mps (default auto: cuda, then mps, then cpu)",
    )
    run.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="N|random",
        help="seed for init and shuffling; the same seed on CPU gives the same metrics "
        "(default 0; 'random' picks one and prints it)",
    )
    model = parser.add_argument_group("model (d2l's LeNet-5 unless changed)")
    model.add_argument("--activation", choices=ACTIVATIONS, default="sigmoid")
    model.add_argument("--pooling", choices=POOLINGS, default="avg")
    model.add_argument("--batch-norm", action="store_true", help="batch norm before activations")
    model.add_argument(
        "--channels",
        type=_channels,
        default=(6, 16),
        metavar="C1,C2",
        help="conv1 and conv2 output channels (default 6,16)",
    )
    model.add_argument("--kernel-size", type=int, default=5, help="conv kernel size (default 5)")
    data = parser.add_argument_group("data (default: the bundled copy)")
    source = data.add_mutually_exclusive_group()
    source.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="folder with the four IDX files, .gz or not, directly or in FashionMNIST/raw/",
    )
    source.add_argument(
        "--download",
        action="store_true",
        help="fetch the official files with torchvision into the user cache",
    )
    parser.add_argument(
        "--metrics-out", type=Path, metavar="FILE", help="write every event as a JSON line to FILE"
    )
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The validated run settings the arguments describe."""
    config = TrainConfig(
        lr=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        device=args.device,
        seed=args.seed,
        model=ModelConfig(
            activation=args.activation,
            pooling=args.pooling,
            batch_norm=args.batch_norm,
            channels=args.channels,
            kernel_size=args.kernel_size,
        ),
    )
    config.validate()
    return config


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        if not args.no_ui:
            from lenet_tui.dashboard import run_dashboard  # imports torch and textual

            return run_dashboard(config, data_dir=args.data_dir, download=args.download)
        from lenet_tui.headless import run_headless  # imports torch: not on the --help path

        return run_headless(
            config, data_dir=args.data_dir, download=args.download, metrics_out=args.metrics_out
        )
    except ConfigError as exc:
        flag = FLAGS.get(exc.field, f"--{exc.field}")
        print(f"{parser.prog}: {flag}: {exc.problem}", file=sys.stderr)
    except LenetError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
    except KeyboardInterrupt:  # Ctrl-C while torch imports or the data loads
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_USAGE


def _seed(text: str) -> int | None:
    if text == "random":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'random', got {text!r}") from None


def _channels(text: str) -> tuple[int, int]:
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"expected two integers like 6,16, got {text!r}")
    return int(parts[0]), int(parts[1])
