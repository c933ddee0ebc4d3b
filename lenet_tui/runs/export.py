"""Runs' per-epoch metrics as CSV: one row per run and epoch, each setting a column.

Used by the Runs tab's export and by `lenet-tui --export-csv RUN_DIR...`. Reads config.toml,
notes.toml and metrics.jsonl only; importable without torch.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import EpochEnd
from lenet_tui.errors import LenetError, RunFolderError
from lenet_tui.runs.atomic import write_text_atomic
from lenet_tui.runs.catalog import flat_settings
from lenet_tui.runs.folder import RunFolder
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
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return len(rows)


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
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(Path(path), text.getvalue())
    except OSError as exc:
        reason = exc.strerror or exc
        raise RunFolderError(f"cannot write {path}: {reason}; pick another path") from None
    return rows
