"""Command line: parse and validate settings, then open the dashboard or train headless.

Nothing here imports torch, so `lenet-tui --help` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from lenet_tui import __version__
from lenet_tui.cli_grid import (
    add_grid_arguments,
    add_ray_arguments,
    argument_type,
    export_csv,
    ray_options_from_args,
)
from lenet_tui.engine.config import (
    ACTIVATIONS,
    AUGMENTS,
    DATASETS,
    INITS,
    OPTIMIZERS,
    POOLINGS,
    PRECISIONS,
    SCHEDULES,
    TrainConfig,
)
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.presets import PRESETS
from lenet_tui.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    ConfigError,
    LenetError,
    bounded,
    cut,
    shown,
)
from lenet_tui.runs.config_file import RANDOM_SEED, load_config_file
from lenet_tui.runs.folder import CONFIG_NAME, RunFolder
from lenet_tui.runs.grid import Grid, is_grid_folder
from lenet_tui.runs.grid_spec import GRID_NAME, parse_hidden, parse_ints
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.streams import tolerant_streams

FLAGS = {"batch_size": "--batch-size", "kernel_size": "--kernel-size"}
"""Config fields whose command-line flag is not simply --<field> (kept for callers)."""


class _OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line, not the full usage block."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {bounded(message)} (see {self.prog} --help)\n")


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
    _add_training(parser.add_argument_group("training"))
    _add_model(parser.add_argument_group("model (d2l's LeNet-5 unless changed)"))
    _add_data(parser.add_argument_group("data (default: the bundled copy)"))
    parser.add_argument(
        "--metrics-out", type=Path, metavar="FILE", help="write every event as a JSON line to FILE"
    )
    _add_runs(parser.add_argument_group("run folders, resuming and settings files"))
    add_grid_arguments(parser.add_argument_group("grids and export (the README's Grids section)"))
    add_ray_arguments(parser.add_argument_group("grids on Ray (pip install 'lenet-tui[ray]')"))
    return parser


def _add_training(run: argparse._ArgumentGroup) -> None:
    run.add_argument("--epochs", type=int, help="passes over the data (default 10)")
    run.add_argument("--lr", type=float, help="learning rate (default 0.9)")
    run.add_argument(
        "--optimizer", choices=OPTIMIZERS, help="sgd as the book, adam or adamw (default sgd)"
    )
    run.add_argument("--momentum", type=float, help="SGD momentum, 0 to <1 (default 0)")
    run.add_argument(
        "--nesterov", action=argparse.BooleanOptionalAction, help="Nesterov momentum (SGD)"
    )
    run.add_argument("--weight-decay", type=float, help="L2 penalty, 0..1 (default 0)")
    run.add_argument(
        "--augment",
        choices=AUGMENTS,
        help="random flips and/or shifts of training images (default none)",
    )
    run.add_argument(
        "--patience",
        type=int,
        metavar="N",
        help="stop once test acc has not improved for N epochs (default 0: never)",
    )
    run.add_argument(
        "--schedule",
        choices=SCHEDULES,
        help="learning-rate schedule: constant as the book, step (/10 at 1/2 and 3/4 of the "
        "run), cosine, onecycle (default constant)",
    )
    run.add_argument("--batch-size", type=int, help="examples per step (default 256)")
    run.add_argument(
        "--device",
        help="auto, cpu, cuda, cuda:N or mps (default auto: cuda, then mps, then cpu)",
    )
    run.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="fp32 (the book's numbers) or bf16: autocast, faster on a CPU with AVX512_BF16 "
        "or AMX and on GPUs with bf16 (default fp32)",
    )
    run.add_argument(
        "--seed",
        type=_seed,
        metavar="N|random",
        help="seed for init and shuffling; the same seed on CPU gives the same metrics "
        "(default 0; 'random' picks one and prints it)",
    )


def _add_model(model: argparse._ArgumentGroup) -> None:
    model.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        help="d2l (the book's network and training) or modern (ReLU, max-pool, batch norm, "
        "Kaiming init, SGD with Nesterov momentum, one-cycle schedule, flips); flags given as "
        "well win over it",
    )
    model.add_argument("--activation", choices=ACTIVATIONS, help="(default sigmoid)")
    model.add_argument("--pooling", choices=POOLINGS, help="(default avg)")
    model.add_argument(
        "--batch-norm",
        action=argparse.BooleanOptionalAction,
        help="batch norm before activations",
    )
    model.add_argument(
        "--channels",
        type=argument_type(lambda text: parse_ints(text, 1, 3, "6,16")),
        metavar="C1[,C2[,C3]]",
        help="output channels of each conv block, 1 to 3 blocks (default 6,16)",
    )
    model.add_argument(
        "--hidden",
        type=argument_type(parse_hidden),
        metavar="W1,...|none",
        help="widths of the hidden dense layers, 0 to 3 of them (default 120,84)",
    )
    model.add_argument("--init", choices=INITS, help="initial weights (default xavier)")
    model.add_argument("--kernel-size", type=int, help="conv kernel size (default 5)")


def _add_data(data: argparse._ArgumentGroup) -> None:
    data.add_argument(
        "--dataset",
        choices=DATASETS,
        help="fashion-mnist (the book's) or mnist; the bundled mnist is a 10,000-digit sample",
    )
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


def _add_runs(runs: argparse._ArgumentGroup) -> None:
    runs.add_argument(
        "--config",
        type=Path,
        metavar="FILE.toml",
        help="read settings from a TOML file (the keys of a run folder's config.toml); "
        "flags given as well override it",
    )
    runs.add_argument(
        "--run-dir",
        type=Path,
        metavar="DIR",
        help="keep this run's settings, metrics and checkpoints in DIR "
        "(default: a new folder under the user data dir)",
    )
    runs.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="continue the run in RUN_DIR from its last checkpoint, with its settings; "
        "with --no-ui, RUN_DIR may be a grid folder (its unfinished runs go on)",
    )


SETTINGS = (
    "lr", "optimizer", "momentum", "nesterov", "weight_decay", "schedule",
    "epochs", "batch_size", "device", "seed", "augment", "patience", "dataset", "precision",
)  # fmt: skip
MODEL_SETTINGS = (
    "activation",
    "pooling",
    "batch_norm",
    "channels",
    "kernel_size",
    "hidden",
    "init",
)
RESUME_CONFLICTS = (*SETTINGS, *MODEL_SETTINGS, "preset", "config", "run_dir")
"""Arguments --resume refuses: the run folder's config.toml decides the settings."""
HEADLESS_ONLY = ("metrics_out",)
"""Arguments for scripts only: the dashboard keeps its runs' metrics in their run folders."""


def config_from_args(args: argparse.Namespace, validate: bool = True) -> TrainConfig:
    """The validated run settings: the run folder's with --resume, else the defaults, overridden
    by the --config file's values, overridden by the flags given.

    Without validate, the settings are not checked (a grid checks them with each combination's
    values, `--nesterov` with `--grid "momentum=0.5,0.9"`, say)."""
    if args.resume is not None:
        given = [_flag(name) for name in RESUME_CONFLICTS if getattr(args, name) is not None]
        if given:
            raise LenetError(
                f"--resume takes its settings from {args.resume / CONFIG_NAME}; "
                f"drop {', '.join(given)}"
            )
        return RunFolder.existing(args.resume).read_config()
    base = load_config_file(args.config) if args.config is not None else TrainConfig()
    if args.preset is not None:  # the data decides whether flips suit it
        base = PRESETS[args.preset].apply(dataclasses.replace(base, **_given(args, ("dataset",))))
    flags = _given(args, SETTINGS)
    if flags.get("optimizer", "sgd") != "sgd":  # an adam flag wins over a preset's SGD momentum
        flags = {"momentum": 0.0, "nesterov": False, **flags}
    model = _given(args, MODEL_SETTINGS)
    if flags.get("seed") == RANDOM_SEED:
        flags["seed"] = None
    config = dataclasses.replace(base, **flags, model=dataclasses.replace(base.model, **model))
    if validate:
        config.validate()
    return config


def data_source_from_args(args: argparse.Namespace) -> DataSource | None:
    """The data the user chose with --data-dir or --download; None if neither was given."""
    if args.data_dir is None and not args.download:
        return None
    return DataSource(args.data_dir, args.download)


def main(argv: list[str] | None = None) -> int:
    """The `lenet-tui` command; returns its exit code (argparse's --help, --version and usage
    errors raise SystemExit, as argparse does). A user's error is one line on stderr, never a
    traceback; a stdout or stderr that fails (closed, full) stops no run: what stdout loses is
    said on stderr at the end, and the code is then 1."""
    exiting = False  # argparse's --help, --version and usage errors exit: they still do
    with tolerant_streams() as (out, _):
        try:
            code = _main(build_parser(), argv)
        except SystemExit as exc:
            exiting = True
            code = exc.code if isinstance(exc.code, int) else EXIT_USAGE if exc.code else 0
        if out.failure is not None:
            print(
                f"lenet-tui: could not write to stdout ({out.failure}); what it would have "
                "shown is lost (a run's files are kept in its run folder)",
                file=sys.stderr,
            )
            code = code or EXIT_FAILED
    if exiting:
        raise SystemExit(code)
    return code


def _main(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        message = f"{_flag(exc.field)}: {cut(exc.problem, 200)}"
    except LenetError as exc:
        message = str(exc)
    except OSError as exc:  # a path the checks did not foresee (a name too long, say)
        where = f"{exc.filename}: " if exc.filename is not None else ""
        message = f"{where}{exc.strerror or exc}"
    except KeyboardInterrupt:  # Ctrl-C while torch imports or the data loads
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"{parser.prog}: {bounded(message)}", file=sys.stderr)
    return EXIT_USAGE


def _dispatch(args: argparse.Namespace) -> int:
    """Export, a grid, or one run (the dashboard or headless); LenetError for a bad request."""
    if args.export_csv is not None:
        return export_csv(args.export_csv, args.out)
    if args.out is not None:
        raise LenetError("-o/--out names the file of --export-csv; add --export-csv RUN_DIR...")
    grid_folder = args.resume is not None and is_grid_folder(args.resume)
    ray = ray_options_from_args(args)
    if args.grid is not None or args.seeds is not None or grid_folder:
        return _run_grid(args, ray)
    if ray is not None and (args.no_ui or args.resume is not None):
        raise LenetError('--ray trains the runs of a grid; add --grid SPEC ("lr=0.1,0.9", say)')
    headless_only = [_flag(n) for n in HEADLESS_ONLY if getattr(args, n) is not None]
    if headless_only and not args.no_ui:
        raise LenetError(
            f"{', '.join(headless_only)} is for --no-ui runs (the dashboard keeps every "
            "run's metrics.jsonl in its run folder); add --no-ui"
        )
    config = config_from_args(args)
    data = data_source_from_args(args)
    if not args.no_ui:
        from lenet_tui.ui.launch import run_dashboard  # imports torch and textual

        return run_dashboard(config, data, run_dir=args.run_dir, resume=args.resume, ray=ray)
    from lenet_tui.headless import run_headless  # imports torch: not on the --help path

    return run_headless(
        config, data, metrics_out=args.metrics_out, run_dir=args.run_dir, resume=args.resume
    )


def _run_grid(args: argparse.Namespace, ray: RayOptions | None) -> int:
    """`--no-ui --grid SPEC` (a new grid) or `--no-ui --resume GRID_DIR` (one going on), in
    turn here or, with ray, at once on Ray."""
    if not args.no_ui:
        what = "--grid" if args.resume is None else f"--resume {args.resume} (a grid folder)"
        raise LenetError(f"{what} trains headless for now; add --no-ui")
    data = data_source_from_args(args)
    if args.grid is None and args.seeds is None:
        given = [_flag(n) for n in (*RESUME_CONFLICTS, *HEADLESS_ONLY) if getattr(args, n)]
        if given:
            raise LenetError(
                f"--resume takes the grid's settings from {args.resume / GRID_NAME}; "
                f"drop {', '.join(given)}"
            )
        grid = Grid.open(args.resume, yes=args.yes)
        grid.remove_temporaries()
    else:
        _refuse_with_grid(args)
        base = config_from_args(args, validate=False)
        grid = Grid.plan(args.grid, args.seeds or (), base, data, yes=args.yes)
    from lenet_tui.headless_grid import run_headless_grid  # imports torch

    run_dir = args.run_dir if args.resume is None else None
    return run_headless_grid(grid, data, run_dir=run_dir, ray=ray)


def _refuse_with_grid(args: argparse.Namespace) -> None:
    if args.grid is None:
        raise LenetError('--seeds repeats the runs of a grid; add --grid SPEC ("lr=0.9", say)')
    if args.resume is not None:
        raise LenetError("--grid starts a new grid; drop --resume (or --grid, to go on with one)")
    if args.metrics_out is not None:
        raise LenetError(
            "--metrics-out: each run of a grid keeps its metrics.jsonl in its run folder; drop it"
        )
    if args.seeds is not None and args.seed is not None:
        raise LenetError("--seed and --seeds: give one (--seeds sets each run's seed)")


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> dict:
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _flag(field: str) -> str:
    return FLAGS.get(field, f"--{field.replace('_', '-')}")


def _seed(text: str) -> int | str:
    if text == RANDOM_SEED:
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer or 'random', got {shown(text)}"
        ) from None
