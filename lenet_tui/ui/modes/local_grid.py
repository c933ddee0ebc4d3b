"""A grid from the form (its vary and seeds fields: `read_grid`) trained here: `LocalGrid` trains
its runs in turn, each as a single run, in one grid folder that `lenet-tui --no-ui --resume
GRID_DIR` can finish.

`GridProgress` (no widgets; the Ray grid mode's too) says how the grid begun last stands: `begin`
makes its folder and gives the first run's driver; after each run, `next_driver` gives the next
one's, or None once the grid is done (grid.csv written) or stopped (ctrl+x, a run unfinished).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from lenet_tui.engine.config import TrainConfig
from lenet_tui.errors import LenetError
from lenet_tui.runs.driver import RunDriver
from lenet_tui.runs.folder import resume_command
from lenet_tui.runs.grid import CSV_NAME, Grid, GridRun
from lenet_tui.runs.grid_spec import (
    GRID_NAME,
    MAX_RUNS,
    check_combinations,
    parse_seeds,
    parse_spec,
)
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.ui.messages import RunEnded
from lenet_tui.ui.modes.single import SingleRun
from lenet_tui.ui.widgets.runs_view import RunsView

if TYPE_CHECKING:
    from lenet_tui.engine.data import Dataset
    from lenet_tui.ui.screens.dashboard import DashboardScreen

GridState = Literal["idle", "running", "done", "stopped"]


class GridRequest(NamedTuple):
    """A grid the form asks for: the vary field's spec (as --grid takes it), the seeds, and
    whether it trains on Ray."""

    spec: str
    seeds: tuple[int, ...]
    """Empty: every run has the form's seed."""
    ray: RayOptions | None = None
    """None: the runs train here, one after another; else at once on Ray."""


def read_grid(
    vary: str, seeds: str, config: TrainConfig | None
) -> tuple[GridRequest | None, dict[str, str]]:
    """The grid that the vary and seeds fields ask for (None when vary is blank), and what is
    wrong with either field (one line each, keyed vary or seeds). The combinations are checked
    against config, the form's other settings, when they are valid."""
    vary, seeds = vary.strip(), seeds.strip()
    problems: dict[str, str] = {}
    seed_list: tuple[int, ...] = ()
    if seeds:
        try:
            seed_list = parse_seeds(seeds)
        except ValueError as exc:
            problems["seeds"] = str(exc)
    if not vary:
        if seeds:
            problems["seeds"] = 'repeat the runs of a grid: fill in vary too ("lr=0.9", say)'
        return None, problems
    try:
        spec = parse_spec(vary)
        runs = spec.size * max(len(seed_list), 1)
        if "dataset" in spec.fields:
            raise LenetError(
                "the dashboard trains one dataset at a time; vary it with lenet-tui --no-ui --grid"
            )
        if runs > MAX_RUNS:
            raise LenetError(
                f"{runs:,} runs is more than {MAX_RUNS}; train them with lenet-tui --no-ui "
                "--grid ... --yes"
            )
        if config is not None:
            check_combinations(spec, config)
    except LenetError as exc:
        problems["vary"] = str(exc).removeprefix("--grid: ")
    return (None if problems else GridRequest(vary, seed_list)), problems


class GridProgress:
    """The grid begun last in the dashboard, if any: its runs trained one at a time, in the
    grid's order, or (`begin_ray`) all at once on Ray."""

    def __init__(self) -> None:
        self.grid: Grid | None = None
        """The grid, once made (its folder exists)."""
        self.current: GridRun | None = None
        """The run whose driver was given last."""
        self.state: GridState = "idle"
        self.ray: RayOptions | None = None
        """How the grid trains on Ray; None for a grid trained here."""
        self.unfinished: list[str] = []
        """A Ray grid's runs that failed or were lost (`run 3 lr=0.9 failed`), once it ended."""

    @property
    def active(self) -> bool:
        """Whether a grid is going on: after a run ends, `next_driver` gives its next one."""
        return self.state == "running"

    @property
    def folder(self) -> Path | None:
        return self.grid.folder if self.grid is not None else None

    def begin(
        self,
        config: TrainConfig,
        spec: str,
        seeds: tuple[int, ...],
        data: Dataset,
        run_dir: Path | None = None,
    ) -> RunDriver:
        """Plan the grid on top of config, make its folder (run_dir, new or empty, or a fresh
        one under the runs dir) and give its first run's driver; a LenetError in one line, with
        nothing left behind, if the grid or its first run is refused."""
        from lenet_tui.engine.devices import resolve_device  # imports torch

        grid = _plan(config, spec, seeds, data)
        for device, precision in sorted({(c.device, c.precision) for _, _, c in grid.configs()}):
            resolve_device(device, precision)
        grid = grid.create(run_dir)
        try:
            driver = grid.runs[0].driver(data)
        except LenetError:
            _remove_empty_grid(grid)
            raise
        self.grid, self.current, self.state, self.ray = grid, grid.runs[0], "running", None
        return driver

    def begin_ray(
        self, config: TrainConfig, request: GridRequest, data: Dataset, run_dir: Path | None = None
    ) -> Grid:
        """Plan the grid on top of config and make its folder, for its runs to train at once on
        Ray (`request.ray`); a LenetError in one line, nothing made, if it is refused. Each
        run's device is checked where it trains."""
        assert request.ray is not None
        grid = _plan(config, request.spec, request.seeds, data).create(run_dir)
        self.grid, self.current, self.state = grid, None, "running"
        self.ray, self.unfinished = request.ray, []
        return grid

    def ray_ended(self, unfinished: list[str]) -> None:
        """The Ray grid's runs have all ended (unfinished: those that failed or were lost): done,
        with grid.csv written (a RunFolderError in one line if it cannot be), unless stopped."""
        self.unfinished = unfinished
        if self.grid is not None and self.active:
            self.state = "done"
            self.grid.write_csv()

    def next_driver(self, data: Dataset) -> RunDriver | None:
        """After a run ended: the next run's driver; None, the grid over, if it was stopped or
        the run did not finish (it stopped or failed), or once every run is done (grid.csv is
        written then: a RunFolderError in one line if it cannot be)."""
        if self.grid is None or not self.active:
            return None
        if self.current is not None and self.current.action() != "done":
            self.state = "stopped"
            return None
        pending = self.grid.pending()
        if not pending:
            self.state = "done"
            self.grid.write_csv()
            return None
        try:
            driver = pending[0].driver(data)
        except LenetError:
            self.state = "stopped"
            raise
        self.current = pending[0]
        return driver

    def stop(self) -> None:
        """No further run starts (the mode stops the runs in flight)."""
        if self.active:
            self.state = "stopped"

    @property
    def progress(self) -> str:
        """`run 2/4 pooling=max,activation=relu`: the run given last; "" before the first."""
        if self.grid is None or self.current is None:
            return ""
        return f"run {self.current.number}/{len(self.grid.runs)} {self.current.name}"

    @property
    def done_folders(self) -> list[Path]:
        """The folders of the runs that are done (finished or diverged), in the grid's order:
        the Runs tab overlays them."""
        if self.grid is None:
            return []
        return [run.folder for run in self.grid.runs if run.action() == "done"]

    @property
    def resume(self) -> str:
        """The command that finishes the grid (with the Ray options it trains with)."""
        flags = f" {self.ray.flags}" if self.ray is not None else ""
        return f"{resume_command(self.folder)}{flags}" if self.folder is not None else ""

    @property
    def outcome(self) -> str:
        """One line on how the grid stands: done (where its table is), stopped (how to go on)."""
        if self.grid is None or self.grid.folder is None:
            return ""
        total, done, resume = len(self.grid.runs), len(self.done_folders), self.resume
        if self.state == "done":
            table = f"its table is {self.grid.folder / CSV_NAME}"
            if self.unfinished:
                return (
                    f"grid done: {done} of {total} runs finished ({', '.join(self.unfinished)}); "
                    f"{table}; train those again with {resume}"
                )
            return f"grid done: {total} runs; {table}"
        if self.state == "stopped":
            return f"grid stopped: {done} of {total} runs done; finish it with {resume}"
        if self.ray is not None:
            return f"grid on Ray: {done} of {total} runs done"
        return f"grid {self.progress}: {done} of {total} runs done"


def _plan(config: TrainConfig, spec: str, seeds: tuple[int, ...], data: Dataset) -> Grid:
    """The grid of spec and seeds on top of config; a LenetError if it needs other data."""
    grid = Grid.plan(spec, tuple(seeds), config, data.origin)
    if any(run_config.dataset != data.name for _, _, run_config in grid.configs()):
        raise LenetError(f"the grid trains on {config.dataset}, but {data.name} is loaded")
    return grid


def _remove_empty_grid(grid: Grid) -> None:
    """Take back a grid folder that holds nothing but its grid.toml."""
    if grid.folder is None:
        return
    with contextlib.suppress(OSError):
        (grid.folder / GRID_NAME).unlink()
        grid.folder.rmdir()


class LocalGrid(SingleRun):
    """Begin a grid, and train its next run each time one ends."""

    def __init__(self, board: DashboardScreen, grid: GridProgress) -> None:
        super().__init__(board)
        self.grid = grid

    @property
    def active(self) -> bool:  # type: ignore[override]
        return self.grid.active

    def begin_grid(self, config: TrainConfig, request: GridRequest, data: Dataset) -> None:
        """Make the grid's folder (--run-dir, or a new one) and train its first run."""
        grid, folders = self.grid, self.board.folders

        def first_run() -> RunDriver:
            return grid.begin(config, request.spec, request.seeds, data, folders.run_dir)

        if self.board.begin_run(self, first_run, "Cannot start the grid"):
            folders.run_dir = None  # the grid's folder now; later runs get new default folders
            self.board.query_one(RunsView).show_grid([])
            self._show_progress()

    def stop(self) -> None:
        if self.grid.active:  # no further run of the grid starts
            self.grid.stop()
            self.notify(self.grid.outcome, title="Grid stopped", severity="warning", timeout=30)
        super().stop()

    def end_runs(self) -> None:
        self.grid.stop()

    def run_ended(self, message: RunEnded) -> None:
        if self.grid.active:
            self._next_run()
        else:
            super().run_ended(message)

    def _next_run(self) -> None:
        """A run of the grid ended: overlay the runs done, and train the next one if any."""
        grid, data = self.grid, self.board.data
        self.board.query_one(RunsView).show_grid(grid.done_folders)
        try:
            driver = grid.next_driver(data) if data is not None else None
        except LenetError as exc:
            self.notify(str(exc), title="Grid stopped", severity="error", timeout=30)
            return
        if driver is None:
            severity = "information" if grid.state == "done" else "warning"
            self.notify(grid.outcome, title=f"Grid {grid.state}", severity=severity, timeout=30)
            self.say_stopped()
        elif self.board.begin_run(self, lambda: driver, "Grid stopped"):
            self._show_progress()

    def say_stopped(self) -> bool:
        """If the run that stopped is one of the stopped grid's, the status panel says how to
        finish the grid, as its notification did (not how to resume the one run); whether so."""
        status, folder, grid = self.board.train_view.status, self.board.folders.last, self.grid
        stopped = grid.state == status.latest.state == "stopped"
        if not stopped or folder is None or folder.parent != grid.folder:
            return False
        status.show(message=self.grid.outcome)
        return True

    def _show_progress(self) -> None:
        self.notify(f"grid {self.grid.progress}", timeout=5)
        self.board.train_view.status.show(message=f"grid {self.grid.progress}")
