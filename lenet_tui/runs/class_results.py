"""Where the run errs, kept as CSV beside its metrics: the test set's confusion matrix and each
class's accuracy after the latest epoch, rewritten (atomically) at every epoch end."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

from lenet_tui.engine.confusion import ClassResult, per_class
from lenet_tui.errors import RunFolderError
from lenet_tui.runs.atomic import write_text_atomic

CONFUSION_NAME = "confusion.csv"
PER_CLASS_NAME = "per_class.csv"
PER_CLASS_HEADER = (
    "class",
    "test_images",
    "correct",
    "accuracy",
    "most_confused_with",
    "confused_count",
)


def confusion_csv(confusion: Sequence[Sequence[int]], names: Sequence[str]) -> str:
    """The matrix with the class names as header row and first column: row = true class,
    column = predicted class."""
    rows = [("true \\ predicted", *names[: len(confusion)])]
    rows += [(names[r] if r < len(names) else str(r), *row) for r, row in enumerate(confusion)]
    return _csv(rows)


def per_class_csv(results: Sequence[ClassResult]) -> str:
    """One row per class (PER_CLASS_HEADER); accuracy to 4 places, empty where undefined."""
    rows: list[tuple[object, ...]] = [PER_CLASS_HEADER]
    for r in results:
        accuracy = "" if math.isnan(r.accuracy) else f"{r.accuracy:.4f}"
        rows.append(
            (r.name, r.images, r.correct, accuracy, r.confused_with or "", r.confused_count)
        )
    return _csv(rows)


def write_class_results(
    folder: Path, confusion: Sequence[Sequence[int]], names: Sequence[str]
) -> tuple[Path, Path]:
    """Write confusion.csv and per_class.csv into the run's folder; their paths.

    RunFolderError in one line if a file cannot be written (disk full).
    """
    written = []
    for name, text in (
        (CONFUSION_NAME, confusion_csv(confusion, names)),
        (PER_CLASS_NAME, per_class_csv(per_class(confusion, names))),
    ):
        path = Path(folder) / name
        try:
            write_text_atomic(path, text)
        except OSError as exc:
            raise RunFolderError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written[0], written[1]


def _csv(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
