"""The command line's grid, Ray and export flags, and `--export-csv`.

Nothing here imports torch or Ray: `lenet-tui --help` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from pathlib import Path

from lenet_tui.errors import EXIT_FAILED, EXIT_OK, LenetError, bounded
from lenet_tui.runs.grid_spec import MAX_RUNS, parse_seeds
from lenet_tui.runs.ray_setup import LOCAL, RayOptions

RAY_FLAGS = {
    "ray_cpus_per_run": "--ray-cpus-per-run",
    "ray_gpus_per_run": "--ray-gpus-per-run",
    "ray_retries": "--ray-retries",
}


def argument_type(parse: Callable[[str], object]) -> Callable[[str], object]:
    """An argparse type from a parser that raises ValueError saying what it expects."""

    def convert(text: str) -> object:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def add_grid_arguments(grids: argparse._ArgumentGroup) -> None:
    grids.add_argument(
        "--grid",
        metavar="SPEC",
        help='with --no-ui, train one run per combination, e.g. "pooling=avg,max '
        'activation=sigmoid,relu" (any setting with a flag; a list value as 6/16), the other '
        "flags as the base, in one grid folder (--run-dir, or a new one), then print a table",
    )
    grids.add_argument(
        "--seeds",
        type=argument_type(parse_seeds),
        metavar="S1,S2,...",
        help="with --grid, repeat each combination per seed; the table gives mean ± std",
    )
    grids.add_argument("--yes", action="store_true", help=f"train a grid of over {MAX_RUNS} runs")
    grids.add_argument(
        "--export-csv",
        type=Path,
        nargs="+",
        metavar="RUN_DIR",
        help="write the runs' per-epoch metrics as CSV (one row per run and epoch, settings as "
        "columns) and exit; a grid folder stands for its runs",
    )
    grids.add_argument(
        "-o", "--out", type=Path, metavar="FILE", help="--export-csv's file (default: stdout)"
    )


def add_ray_arguments(ray: argparse._ArgumentGroup) -> None:
    ray.add_argument(
        "--ray",
        nargs="?",
        const=LOCAL,
        metavar="ADDRESS",
        help="with --grid (or --resume GRID_DIR), train the runs at once on Ray: alone, Ray "
        "starts on this machine; with the head's host:port (or auto), it joins that cluster",
    )
    ray.add_argument(
        "--ray-cpus-per-run",
        type=float,
        metavar="N",
        help="CPUs each run asks Ray for, and its torch threads (default 1)",
    )
    ray.add_argument(
        "--ray-gpus-per-run",
        type=float,
        metavar="N",
        help="GPUs each run asks Ray for (default: 1 when the cluster has GPUs, else 0)",
    )
    ray.add_argument(
        "--ray-retries",
        type=int,
        metavar="N",
        help="start a run whose worker died again from its last checkpoint, up to N times "
        "(default 2)",
    )


def ray_options_from_args(args: argparse.Namespace) -> RayOptions | None:
    """The Ray options asked for (None without --ray); a LenetError in one line for a bad one.
    Ray itself is checked (installed? reachable?) only when the grid starts."""
    given = [flag for name, flag in RAY_FLAGS.items() if getattr(args, name) is not None]
    if args.ray is None:
        if given:
            raise LenetError(f"{', '.join(given)} set how a grid runs on Ray; add --ray")
        return None
    defaults = RayOptions()
    options = RayOptions(
        address=args.ray,
        cpus_per_run=_or(args.ray_cpus_per_run, defaults.cpus_per_run),
        gpus_per_run=args.ray_gpus_per_run,
        retries=_or(args.ray_retries, defaults.retries),
    )
    for field, problem in options.problems().items():
        flag = RAY_FLAGS.get(f"ray_{field}", "--ray")
        raise LenetError(f"{flag}: {problem}")
    return options


def export_csv(paths: list[Path], out: Path | None) -> int:
    """`--export-csv RUN_DIR... [-o FILE]`: the runs' per-epoch metrics as CSV (a grid folder
    stands for its runs, a folder of runs for the runs and grids in it; a damaged one found
    there is skipped with a line on stderr); stdout without a file. Nothing is written if a
    folder named is refused, or if the file is no regular file or in a run's folder."""
    from lenet_tui.runs.export import gather_rows, write_csv_file, write_rows

    notes: list[str] = []
    folders, rows = gather_rows(paths, notes)
    for note in notes:
        print(f"lenet-tui: {bounded(note)}", file=sys.stderr)
    text = io.StringIO()
    write_rows(rows, text)
    if out is None:
        sys.stdout.write(text.getvalue())
        if getattr(sys.stdout, "failure", None):  # closed or full: the command says so
            return EXIT_FAILED
    else:
        write_csv_file(out, text.getvalue(), folders)
    print(f"{len(rows)} rows ({len(folders)} runs) written to {out or 'stdout'}", file=sys.stderr)
    return EXIT_OK


def _or(value: float | int | None, default: float | int) -> float | int:
    return default if value is None else value
