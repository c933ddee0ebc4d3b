"""Command line: parse and validate settings, then open the dashboard or train headless.

Nothing here imports torch, so `lenet-tui --help` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

from lenet_tui import __version__
from lenet_tui.cli_grid import (
    add_grid_arguments,
    add_ray_arguments,
    export_csv,
    ray_options_from_args,
)
from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.presets import PRESETS
from lenet_tui.engine.settings import BY_NAME, SETTINGS, Setting, with_values
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
from lenet_tui.runs.config_file import load_config_file
from lenet_tui.runs.folder import CONFIG_NAME, RunFolder
from lenet_tui.runs.grid import Grid, is_grid_folder
from lenet_tui.runs.grid_spec import GRID_NAME
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.streams import tolerant_streams


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
    groups = {
        "training": parser.add_argument_group("training"),
        "model": parser.add_argument_group("model (d2l's LeNet-5 unless changed)"),
        "data": parser.add_argument_group("data (default: the bundled copy)"),
    }
    groups["model"].add_argument(
        "--preset",
        choices=tuple(PRESETS),
        help="d2l (the book's network and training) or modern (ReLU, max-pool, batch norm, "
        "Kaiming init, SGD with Nesterov momentum, one-cycle schedule, flips); flags given as "
        "well win over it",
    )
    for setting in SETTINGS:
        if setting.help is not None:
            _add_setting(groups[setting.group], setting)
    _add_data(groups["data"])
    parser.add_argument(
        "--metrics-out", type=Path, metavar="FILE", help="write every event as a JSON line to FILE"
    )
    _add_runs(parser.add_argument_group("run folders, resuming and settings files"))
    add_grid_arguments(parser.add_argument_group("grids and export (the README's Grids section)"))
    add_ray_arguments(parser.add_argument_group("grids on Ray (pip install 'lenet-tui[ray]')"))
    return parser


def _add_setting(group: argparse._ArgumentGroup, setting: Setting) -> None:
    """The setting's flag; absent from the parsed arguments unless given."""
    default = getattr(TrainConfig().model if setting.model else TrainConfig(), setting.name)
    kwargs: dict = {"help": f"{setting.help} (default {setting.show(default)})"}
    if setting.kind == "bool":
        kwargs["action"] = argparse.BooleanOptionalAction
    elif setting.kind == "choice":
        kwargs["choices"] = setting.choices
    else:
        kwargs.update(type=_flag_type(setting), metavar=setting.metavar)
    group.add_argument(setting.flag, default=argparse.SUPPRESS, **kwargs)


def _flag_type(setting: Setting) -> Callable[[str], object]:
    def convert(text: str) -> object:
        try:
            return setting.parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{exc}, got {shown(text)}") from None

    return convert


def _add_data(data: argparse._ArgumentGroup) -> None:
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


FLAGGED = tuple(setting.name for setting in SETTINGS if setting.help is not None)
RESUME_CONFLICTS = (*FLAGGED, "preset", "config", "run_dir")
"""Arguments --resume refuses: the run folder's config.toml decides the settings."""
HEADLESS_ONLY = ("metrics_out",)
"""Arguments for scripts only: the dashboard keeps its runs' metrics in their run folders."""


def config_from_args(args: argparse.Namespace, validate: bool = True) -> TrainConfig:
    """The validated run settings: the run folder's with --resume, else the defaults, overridden
    by the --config file's values, overridden by the flags given.

    Without validate, the settings are not checked (a grid checks them with each combination's
    values, `--nesterov` with `--grid "momentum=0.5,0.9"`, say)."""
    if args.resume is not None:
        given = [_flag(name) for name in _given(args, RESUME_CONFLICTS)]
        if given:
            raise LenetError(
                f"--resume takes its settings from {args.resume / CONFIG_NAME}; "
                f"drop {', '.join(given)}"
            )
        return RunFolder.existing(args.resume).read_config()
    base = load_config_file(args.config) if args.config is not None else TrainConfig()
    if args.preset is not None:  # the data decides whether flips suit it
        base = PRESETS[args.preset].apply(dataclasses.replace(base, **_given(args, ("dataset",))))
    flags = _given(args, FLAGGED)
    if flags.get("optimizer", "sgd") != "sgd":  # an adam flag wins over a preset's SGD momentum
        flags = {"momentum": 0.0, "nesterov": False, **flags}
    config = with_values(base, flags)
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
        given = [_flag(n) for n in _given(args, (*RESUME_CONFLICTS, *HEADLESS_ONLY))]
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
    if args.seeds is not None and "seed" in vars(args):
        raise LenetError("--seed and --seeds: give one (--seeds sets each run's seed)")


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> dict:
    """The arguments among names that were given: a setting's flag is absent unless given (its
    value may be None: --seed random), any other argument is None unless given."""
    return {n: v for n, v in vars(args).items() if n in names and (v is not None or n in BY_NAME)}


def _flag(field: str) -> str:
    return f"--{field.replace('_', '-')}"
