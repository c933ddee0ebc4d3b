"""A grid: one run per combination of settings (and seed), each in its own run folder inside one
grid folder, trained in turn through the one RunDriver.

The grid folder holds `grid.toml` (the spec, the seeds, the data and the base settings: it marks
the folder as a grid's), one run folder per run, named by its combination
(`pooling=max,activation=relu,seed=1`), and `grid.csv` once the grid is done. What each run has
done is read from its folder, never remembered, so a grid goes on after a stop or a kill as a
single run does (`pending`), and its table is the same however often it was resumed. A front end
plans or opens a grid, trains `pending()` runs one at a time with `GridRun.driver`, and shows
`table()`. Importable without torch (a driver imports it); knows nothing about any user
interface.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data_source import BUNDLED, DataSource
from lenet_tui.errors import LenetError, RunFolderError, cut, shown
from lenet_tui.files import long_name, read_regular
from lenet_tui.runs.atomic import remove_temporaries, write_text_atomic
from lenet_tui.runs.config_file import config_from_table, dump_config
from lenet_tui.runs.event_log import DONE, read_state
from lenet_tui.runs.folder import RunFolder, default_runs_dir, fresh_name
from lenet_tui.runs.grid_spec import (
    GRID_NAME,
    MAX_SEED,
    Combination,
    GridSpec,
    check_combinations,
    check_size,
    combination_text,
    folder_name,
    parse_spec,
    with_values,
)
from lenet_tui.runs.grid_table import GridTable, read_table

if TYPE_CHECKING:
    from lenet_tui.engine.data import Dataset
    from lenet_tui.runs.driver import RunDriver, TrainerFactory

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CSV_NAME = "grid.csv"
RunAction = Literal["start", "resume", "restart", "done"]
"""What a grid does with a run: start it, resume it from its checkpoint, start it again (it
ended before its first checkpoint), or nothing (finished or diverged)."""


def is_grid_folder(path: Path) -> bool:
    """Whether path holds a grid.toml (of any kind: one that is not a file is named when read)."""
    try:
        os.lstat(Path(path) / GRID_NAME)
    except (OSError, ValueError):  # absent, or a path that cannot be (a name too long)
        return False
    return True


@dataclass(frozen=True)
class GridRun:
    """One run of a grid: a combination, a seed, its settings and its folder."""

    number: int
    """1-based, in the grid's order."""
    combination: Combination
    seed: int | None
    """The --seeds seed; None when the grid has no --seeds (every run has the base's seed)."""
    config: TrainConfig
    folder: Path

    @property
    def name(self) -> str:
        """`pooling=max,activation=relu` (`,seed=1`), as progress lines name the run."""
        seed = f",seed={self.seed}" if self.seed is not None else ""
        return combination_text(self.combination) + seed

    def action(self) -> RunAction:
        """What the grid does with this run now, from what its folder holds."""
        folder = RunFolder(self.folder)
        if not folder.config_path.is_file():
            return "start"
        if read_state(folder.metrics_path, self.config.epochs)[1] in DONE:
            return "done"
        # A checkpoint that is not a file is resumed, so that the resume names what it is.
        return "resume" if os.path.lexists(folder.checkpoint_path) else "restart"

    def driver(self, data: Dataset, trainer: TrainerFactory | None = None) -> RunDriver:
        """The driver that starts, resumes or restarts this run (not for a done one), trained
        by trainer (the engine's Trainer, in this process, by default).

        The driver checks the settings, the device and the data; it writes nothing until opened.
        """
        from lenet_tui.engine.training import Trainer  # imports torch
        from lenet_tui.runs.driver import KeptRun, RunDriver

        make = trainer or Trainer
        action = self.action()
        if action == "done":
            raise RuntimeError(f"{self.name} is done")
        if action == "resume":
            return RunDriver.resume(KeptRun.open(self.folder), data, trainer=make)
        if action == "restart":  # it ended before its first checkpoint: nothing to keep
            folder = RunFolder(self.folder)
            for path in (folder.metrics_path, folder.config_path):
                path.unlink(missing_ok=True)
        return RunDriver.new(self.config, data, self.folder, trainer=make)


@dataclass(frozen=True)
class Grid:
    """The runs of a grid spec on top of base settings, per seed; kept in `folder` once made."""

    spec: GridSpec
    seeds: tuple[int, ...]
    base: TrainConfig
    data: DataSource
    folder: Path | None = None

    @classmethod
    def plan(
        cls,
        spec_text: str,
        seeds: tuple[int, ...],
        base: TrainConfig,
        data: DataSource | None = None,
        *,
        yes: bool = False,
    ) -> Grid:
        """Check a grid before anything runs; LenetError (one line) for an unknown setting, a
        value or combination the settings refuse, or more than MAX_RUNS runs without yes.

        A random base seed is drawn here once, so that every combination shares it.
        """
        spec = parse_spec(spec_text)
        check_size(spec, len(seeds), yes)
        check_combinations(spec, base)
        if base.seed is None and not seeds:
            base = dataclasses.replace(base, seed=secrets.randbelow(2**31))
        return cls(spec, tuple(seeds), base, (data or BUNDLED).resolved())

    def configs(self) -> list[tuple[Combination, int | None, TrainConfig]]:
        """Each run's combination, --seeds seed and settings, in order (no folder needed)."""
        planned = []
        for combination in self.spec.combinations():
            for seed in self.seeds or (None,):
                config = with_values(self.base, dict(combination))
                if seed is not None:
                    config = dataclasses.replace(config, seed=seed)
                planned.append((combination, seed, config))
        return planned

    @property
    def runs(self) -> list[GridRun]:
        """Every run, in order: each combination, then each seed."""
        if self.folder is None:
            raise RuntimeError("the grid has no folder before create()")
        folder = self.folder
        return [
            GridRun(number, combination, seed, config, folder / folder_name(combination, seed))
            for number, (combination, seed, config) in enumerate(self.configs(), 1)
        ]

    def pending(self) -> list[GridRun]:
        """The runs still to train (start, resume or restart), in order."""
        return [run for run in self.runs if run.action() != "done"]

    def create(self, folder: Path | None = None) -> Grid:
        """Make the grid folder (a fresh one under the runs dir by default, or `folder`, which
        must be new or empty) and write grid.toml; RunFolderError in one line if it cannot."""
        path = Path(folder) if folder is not None else fresh_name(default_runs_dir())
        refuse_used_folder(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
            write_text_atomic(path / GRID_NAME, self._toml())
        except OSError as exc:
            raise RunFolderError(
                f"{path}: cannot create the grid folder ({exc.strerror or exc}); "
                "pick another --run-dir"
            ) from None
        return dataclasses.replace(self, folder=path)

    @classmethod
    def open(cls, folder: Path, *, yes: bool = False) -> Grid:
        """The grid kept in folder, its grid.toml checked as strictly as the command line (a
        grid of more than MAX_RUNS runs needs yes, as --grid does); a LenetError in one line if
        it is damaged or refused."""
        path = Path(folder) / GRID_NAME
        table = _read_grid_toml(path)
        spec, seeds, data, download = (table.get(key) for key in _GRID_KEYS[:4])
        unknown = sorted(set(table) - set(_GRID_KEYS))
        ok = isinstance(spec, str) and isinstance(seeds, list) and isinstance(data, str)
        if not ok or not isinstance(table.get("base"), dict) or unknown:
            extra = f"; unknown keys: {', '.join(map(shown, unknown[:5]))}" if unknown else ""
            raise RunFolderError(f"{path}: damaged (needs spec, seeds, data_dir and [base]{extra})")
        if not isinstance(download, bool | None):
            raise RunFolderError(f"{path}: download: must be true or false, got {shown(download)}")
        bad = [s for s in seeds if isinstance(s, bool) or not isinstance(s, int) or
               not 0 <= s <= MAX_SEED]  # fmt: skip
        if bad or len(set(seeds)) < len(seeds):
            problem = f"got {_value(bad[0])}" if bad else "each seed once"
            raise RunFolderError(f"{path}: seeds: integers in 0..2**63-1, {problem}")
        config = config_from_table(table["base"], f"{path} [base]")
        data_source = DataSource(Path(data) if data else None, download is True)
        try:
            grid = cls.plan(spec, tuple(seeds), config, data_source, yes=yes)
        except LenetError as exc:
            raise RunFolderError(f"{path}: {exc}") from None
        return dataclasses.replace(grid, folder=Path(folder))

    def remove_temporaries(self) -> None:
        """Remove the temporary files of grid.toml and grid.csv that killed writes left."""
        assert self.folder is not None
        remove_temporaries(self.folder, (GRID_NAME, CSV_NAME))

    def table(self) -> GridTable:
        """The grid's figures, read from its runs' metrics.jsonl."""
        return read_table(self.spec, self.runs)

    def write_csv(self) -> Path:
        """Write grid.csv (one row per combination) into the grid folder; its path."""
        assert self.folder is not None
        path = self.folder / CSV_NAME
        try:
            write_text_atomic(path, self.table().csv_text())
        except OSError as exc:
            raise RunFolderError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path

    def _toml(self) -> str:
        seeds = ", ".join(map(str, self.seeds))
        data_dir = str(self.data.data_dir) if self.data.data_dir is not None else ""
        body = [line for line in dump_config(self.base).splitlines() if not line.startswith("#")]
        body = ["[base.model]" if line == "[model]" else line for line in body]
        return "\n".join(
            [
                "# a lenet-tui grid: go on with lenet-tui --no-ui --resume <this folder>",
                f"spec = {_toml_string(self.spec.text)}",
                f"seeds = [{seeds}]  # [] when every run has the base seed",
                f"data_dir = {_toml_string(data_dir)}  # empty: the bundled copy",
                f"download = {'true' if self.data.download else 'false'}",
                "",
                "[base]",
                *body,
                "",
            ]
        )


_GRID_KEYS = ("spec", "seeds", "data_dir", "download", "base")
MAX_GRID_TOML = 1_000_000
"""The largest grid.toml read, in bytes (a grid of 256 runs writes under 2 KB)."""


def _read_grid_toml(path: Path) -> dict:
    """grid.toml's table; RunFolderError (one line) if it cannot be read or is not TOML."""
    try:
        text = read_regular(path, MAX_GRID_TOML, "a grid.toml").decode("utf-8")
        return tomllib.loads(text)
    except OSError as exc:
        reason = exc.strerror or exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        reason = cut(" ".join(str(exc).split()) or "nested too deep")
    raise RunFolderError(f"{path}: cannot read the grid ({reason}); pass a folder a grid wrote")


def _value(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"an integer of {len(str(abs(value)))} digits"
    return shown(value)


def run_folders(paths: Sequence[Path]) -> list[Path]:
    """The run folders that paths stand for: a grid folder for its runs that were started (in
    the grid's order), any other path for itself."""
    folders = []
    for path in map(Path, paths):
        if is_grid_folder(path):
            grid = Grid.open(path, yes=True)  # read, not trained: any size
            folders += [run.folder for run in grid.runs if run.folder.is_dir()]
        else:
            folders.append(path)
    return folders


def refuse_used_folder(path: Path) -> None:
    """RunFolderError (one line) if path holds anything: a grid needs a new or empty folder."""
    too_long = long_name(path)
    if too_long:
        raise RunFolderError(f"{path}: {too_long}; pick another --run-dir")
    try:
        used = path.exists() and (not path.is_dir() or any(path.iterdir()))
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot read the folder ({exc.strerror or exc})") from None
    if used:
        raise RunFolderError(f"{path}: is not empty; pick a new or empty --run-dir for the grid")


def _toml_string(text: str) -> str:
    """A TOML basic string; JSON's escapes are valid TOML."""
    return json.dumps(text)
