"""A grid's figures, read from its runs' metrics.jsonl: one row per combination.

Each run gives its best and final test accuracy and its examples/sec (all its epochs' training
examples over their training time, so a resumed run counts the epochs before the resume too);
a combination trained with several seeds gives their mean and standard deviation. Nothing is
remembered from training, so a grid that was stopped and resumed gives the same figures.
Importable without torch; knows nothing about any user interface.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lenet_tui.runs.event_log import RunState, read_state
from lenet_tui.runs.folder import METRICS_NAME
from lenet_tui.runs.grid_spec import Combination, GridSpec, label, value_text

if TYPE_CHECKING:
    from lenet_tui.runs.grid import GridRun

SHOWN = ("finished", "diverged", "failed")
"""The states the table names; any other (stopped, killed, still to train) is `unfinished`."""
CSV_FIGURES = (
    "seeds",
    "runs",
    "best_test_acc",
    "best_test_acc_std",
    "final_test_acc",
    "final_test_acc_std",
    "examples_per_sec",
    "state",
    "run_dirs",
)
"""grid.csv's columns after one per setting the grid varies."""


@dataclass(frozen=True)
class RunFigures:
    """One run's figures, from its metrics.jsonl (None before its first epoch)."""

    folder: Path
    seed: int | None
    state: RunState
    epochs: int
    best_test_acc: float | None
    final_test_acc: float | None
    examples_per_sec: float | None


def run_figures(folder: Path, seed: int | None, epochs: int | None = None) -> RunFigures:
    """What the run in folder (of `epochs` epochs) has done so far; a folder not yet made has
    done nothing."""
    ordered, state = read_state(Path(folder) / METRICS_NAME, epochs)  # a resume's last records
    speeds = [e.examples_per_sec for e in ordered]
    speed = None
    if speeds and all(math.isfinite(s) and s > 0 for s in speeds):
        speed = len(speeds) / sum(1 / s for s in speeds)  # examples over training time
    return RunFigures(
        folder=Path(folder),
        seed=seed,
        state=state,
        epochs=len(ordered),
        best_test_acc=max(e.test_acc for e in ordered) if ordered else None,
        final_test_acc=ordered[-1].test_acc if ordered else None,
        examples_per_sec=speed,
    )


@dataclass(frozen=True)
class Stat:
    """The mean and standard deviation of one figure over a combination's runs."""

    mean: float | None
    std: float | None
    """None with fewer than two runs."""

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Stat:
        known = [v for v in values if v is not None and math.isfinite(v)]
        mean = statistics.mean(known) if known else None
        return cls(mean, statistics.stdev(known) if len(known) > 1 else None)

    def text(self, spec: str) -> str:
        """`0.812`, or `0.812 ± 0.004` over several runs; `-` with no figure."""
        if self.mean is None:
            return "-"
        std = f" ± {self.std:{spec}}" if self.std is not None else ""
        return f"{self.mean:{spec}}{std}"


@dataclass(frozen=True)
class GridRow:
    """One combination and the figures of its runs (one per seed)."""

    combination: Combination
    runs: tuple[RunFigures, ...]

    @property
    def best(self) -> Stat:
        return Stat.of([run.best_test_acc for run in self.runs])

    @property
    def final(self) -> Stat:
        return Stat.of([run.final_test_acc for run in self.runs])

    @property
    def speed(self) -> Stat:
        """The mean examples/sec, without a deviation (it measures the machine, not the net)."""
        return Stat(Stat.of([run.examples_per_sec for run in self.runs]).mean, None)

    @property
    def state(self) -> str:
        """finished, diverged or failed when all its runs are, else how many finished
        (unfinished when all its runs are stopped, killed or still to train)."""
        states = {run.state if run.state in SHOWN else "unfinished" for run in self.runs}
        if len(states) == 1:
            return states.pop()
        done = sum(run.state == "finished" for run in self.runs)
        return f"{done}/{len(self.runs)} finished"


@dataclass(frozen=True)
class GridTable:
    """The grid's rows, in its order, and the settings it varies."""

    spec: GridSpec
    rows: tuple[GridRow, ...]
    per_seed: bool
    """Whether the grid repeats each combination per seed (--seeds): figures are mean ± std."""

    def cells(self) -> tuple[list[str], list[list[str]]]:
        """The table as text: a header and one row of cells per combination."""
        header = [label(field) for field in self.spec.fields]
        header += ["seeds"] if self.per_seed else []
        header += ["best test acc", "final test acc", "examples/sec"]
        show_state = any(row.state != "finished" for row in self.rows)
        header += ["state"] if show_state else []
        body = []
        for row in self.rows:
            cells = [value_text(value) for _, value in row.combination]
            cells += [str(len(row.runs))] if self.per_seed else []
            cells += [row.best.text(".3f"), row.final.text(".3f"), row.speed.text(",.0f")]
            cells += [row.state] if show_state else []
            body.append(cells)
        return header, body

    def csv_text(self) -> str:
        """grid.csv: one row per combination, figures at full precision (std empty for one run)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*(label(field) for field in self.spec.fields), *CSV_FIGURES])
        for row in self.rows:
            seeds = " ".join(str(run.seed) for run in row.runs)
            writer.writerow(
                [
                    *(value_text(value) for _, value in row.combination),
                    seeds,
                    len(row.runs),
                    *_csv_stat(row.best),
                    *_csv_stat(row.final),
                    _csv_number(row.speed.mean),
                    row.state,
                    " ".join(run.folder.name for run in row.runs),
                ]
            )
        return out.getvalue()


def read_table(spec: GridSpec, runs: Sequence[GridRun]) -> GridTable:
    """The table of a grid's runs, from their folders."""
    rows: dict[Combination, list[RunFigures]] = {}
    for run in runs:
        rows.setdefault(run.combination, []).append(
            run_figures(run.folder, run.config.seed, run.config.epochs)
        )
    per_seed = any(run.seed is not None for run in runs)
    return GridTable(spec, tuple(GridRow(c, tuple(f)) for c, f in rows.items()), per_seed)


def _csv_stat(stat: Stat) -> tuple[str, str]:
    return _csv_number(stat.mean), _csv_number(stat.std)


def _csv_number(value: float | None) -> str:
    return "" if value is None else repr(value)
