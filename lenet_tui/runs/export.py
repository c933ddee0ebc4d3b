"""Runs' per-epoch metrics as CSV: one row per run and epoch, each setting a column.

Used by the Runs tab's export and by `lenet-tui --export-csv RUN_DIR...`, which also takes a grid
folder (its runs) and a folder of runs (the runs dir: its runs and grids). Reads config.toml,
notes.toml and metrics.jsonl only; importable without torch. The CSV file is written
atomically, never over anything but a regular file, and never into a run's folder.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import EpochEnd
from lenet_tui.errors import LenetError, RunFolderError
from lenet_tui.files import long_name
from lenet_tui.runs.atomic import write_text_atomic
from lenet_tui.runs.catalog import flat_settings
from lenet_tui.runs.folder import CONFIG_NAME, METRICS_NAME, RunFolder, refuse_run_files
from lenet_tui.runs.grid import is_grid_folder, run_folders
from lenet_tui.runs.history import run_dirs as runs_under
from lenet_tui.runs.notes import read_note

METRIC_COLUMNS = (
    "epoch",
    "train_loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "seconds",
    "examples_per_sec",
)
SETTING_COLUMNS = tuple(flat_settings(TrainConfig()))
"""lr, optimizer, ..., model.activation, model.pooling, ...: TrainConfig's fields, flattened."""
COLUMNS = ("run_dir", "name", "note", *SETTING_COLUMNS, *METRIC_COLUMNS)


def write_runs_csv(run_dirs: Sequence[Path], out: TextIO) -> int:
    """Write a header and one row per run and finished epoch to out; return the rows written.

    Every folder is read before anything is written, so a folder that is not a run (or whose
    files cannot be read) raises RunFolderError (one line, naming it) and out stays empty.
    """
    rows = [row for run_dir in run_dirs for row in run_rows(Path(run_dir))]
    return write_rows(rows, out)


def write_rows(rows: list[list[object]], out: TextIO) -> int:
    """The header and rows as CSV to out; the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return len(rows)


def gather_rows(paths: Sequence[Path], notes: list[str]) -> tuple[list[Path], list[list[object]]]:
    """The run folders that paths stand for, and their rows: a run folder for itself, a grid
    folder for its started runs, a folder of runs (the runs dir, say) for the runs and grids in
    it. A run named (or a grid's) that cannot be read raises RunFolderError (one line); one
    found in a folder of runs is skipped, with a line in notes."""
    folders: list[Path] = []
    rows: list[list[object]] = []
    for path in map(Path, paths):
        for folder, named in _stands_for(path):
            try:
                rows += run_rows(folder)
            except RunFolderError as exc:
                if named:
                    raise
                notes.append(f"skipped {folder}: {exc}")
                continue
            folders.append(folder)
    return folders, rows


def _stands_for(path: Path) -> list[tuple[Path, bool]]:
    """The run folders path stands for, each with whether it was named (a damaged one is then
    an error, not skipped); RunFolderError for a folder that holds no run at all."""
    if is_grid_folder(path):
        return [(folder, True) for folder in run_folders([path])]
    if _is_run_folder(path) or not path.is_dir():  # a path that is no folder: named as such
        return [(path, True)]
    found = sorted(folder for folder, _ in runs_under(path))
    if not found:
        raise RunFolderError(
            f"{path}: holds no runs (not a run folder, a grid's or a folder of runs); pass "
            "a folder a run wrote"
        )
    return [(folder, False) for folder in found]


def _is_run_folder(path: Path) -> bool:
    return any(os.path.lexists(path / name) for name in (CONFIG_NAME, METRICS_NAME))


def run_rows(run_dir: Path) -> list[list[object]]:
    """The rows of one run, by epoch (a resumed run's last record of each epoch)."""
    folder = RunFolder.existing(run_dir)
    try:
        config = folder.read_config()
    except LenetError as exc:
        raise RunFolderError(f"cannot export the run, its settings are damaged: {exc}") from None
    epochs = {e.epoch: e for e in folder.read_events() if isinstance(e, EpochEnd)}
    note = read_note(run_dir)
    head = [str(run_dir), note.name, note.note, *flat_settings(config).values()]
    return [
        [*head, *(getattr(epochs[n], column) for column in METRIC_COLUMNS)] for n in sorted(epochs)
    ]


def export_runs_csv(run_dirs: Sequence[Path], path: Path) -> int:
    """Write the runs' CSV (see write_runs_csv) to path atomically, making its folder if need
    be; return the rows written. RunFolderError (one line) if a folder is not a run or path
    cannot be written."""
    text = io.StringIO()
    rows = write_runs_csv(run_dirs, text)
    write_csv_file(path, text.getvalue(), run_dirs)
    return rows


def write_csv_file(path: Path, text: str, run_dirs: Sequence[Path] = ()) -> None:
    """Write the CSV text to path atomically, making its folder if need be: never over anything
    but a regular file (a link, FIFO or device there is refused) nor into a run's or grid's
    folder (those of run_dirs included). RunFolderError (one line) if it cannot be."""
    refuse_run_files(Path(path), "pick a path outside it", run_dirs)
    too_long = long_name(Path(path))
    if too_long:
        raise RunFolderError(f"cannot write {path}: it {too_long}; pick another path")
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(Path(path), text)
    except OSError as exc:
        reason = exc.strerror or exc
        raise RunFolderError(f"cannot write {path}: {reason}; pick another path") from None
