"""A grid from the form (its vary and seeds fields: `read_grid`) trained here: `LocalGrid` trains
its runs in turn through the LocalGridRunner that `--no-ui --grid` uses, each shown as a single
run, in one grid folder that `lenet-tui --no-ui --resume GRID_DIR` can finish.

`GridProgress` (no widgets; the Ray grid mode's too) says how the grid begun last stands: `begin`
makes its folder; `ended` says it is done (grid.csv written) or stopped (ctrl+x, or a bug).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from lenet_tui.engine.config import TrainConfig
from lenet_tui.errors import LenetError
from lenet_tui.runs.folder import resume_command
from lenet_tui.runs.grid import CSV_NAME, Grid, GridRun
from lenet_tui.runs.grid_runner import GridRunner, LocalGridRunner
from lenet_tui.runs.grid_spec import MAX_RUNS, check_combinations, parse_seeds, parse_spec
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.ui.messages import RunEnded
from lenet_tui.ui.modes.single import SingleRun
from lenet_tui.ui.modes.state import Phase
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
    grid's order, or (with `ray`) all at once on Ray."""

    def __init__(self) -> None:
        self.grid: Grid | None = None
        """The grid, once made (its folder exists)."""
        self.current: GridRun | None = None
        """The run whose folder opened last (the first, as the grid begins)."""
        self.state: GridState = "idle"
        self.ray: RayOptions | None = None
        """How the grid trains on Ray; None for a grid trained here."""
        self.unfinished: list[str] = []
        """The runs that failed (or were lost on Ray): `run 3 lr=0.9 failed`, once it ended."""

    @property
    def folder(self) -> Path | None:
        return self.grid.folder if self.grid is not None else None

    def begin(self, config: TrainConfig, spec: str, seeds: tuple[int, ...], data: Dataset,
              run_dir: Path | None = None, ray: RayOptions | None = None) -> Grid:  # fmt: skip
        """Plan the grid on top of config and make its folder (run_dir, new or empty, or a fresh
        one under the runs dir), for its runs to train here, or on Ray with `ray`; a LenetError
        in one line, nothing made, if it is refused. The devices are checked now, on Ray where
        each run trains."""
        from lenet_tui.engine.devices import resolve_device  # imports torch

        grid = Grid.plan(spec, tuple(seeds), config, data.origin)
        configs = [run_config for _, _, run_config in grid.configs()]
        if any(run_config.dataset != data.name for run_config in configs):
            raise LenetError(f"the grid trains on {config.dataset}, but {data.name} is loaded")
        if ray is None:  # on Ray, the machines of its workers have the devices
            for device, precision in sorted({(c.device, c.precision) for c in configs}):
                resolve_device(device, precision)
        self.grid = grid = grid.create(run_dir)
        self.current, self.state, self.ray, self.unfinished = grid.runs[0], "running", ray, []
        return grid

    def ended(self, unfinished: list[str], stopped: bool) -> None:
        """The grid's runs have all ended (unfinished: those that failed or were lost) or it was
        stopped: done, with grid.csv written (a RunFolderError in one line if it cannot be),
        unless stopped."""
        self.unfinished, self.state = unfinished, "stopped" if stopped else "done"
        if self.grid is not None and not stopped:
            self.grid.write_csv()

    @property
    def progress(self) -> str:
        """`run 2/4 pooling=max,activation=relu`: the run opened last; "" before the first."""
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


class LocalGrid(SingleRun):
    """Begin a grid and train it through a LocalGridRunner, in the Train tab's worker: which run
    comes next, and when the grid is over, is the runner's to say (lenet_tui.runs.grid_runner),
    as for `lenet-tui --no-ui --grid`."""

    runner: GridRunner | None = None
    """The grid's runner while its runs train (ctrl+x and quitting stop it)."""

    def __init__(self, board: DashboardScreen, grid: GridProgress) -> None:
        super().__init__(board)
        self.grid = grid

    def begin_grid(self, config: TrainConfig, request: GridRequest, data: Dataset) -> None:
        """Make the grid's folder (--run-dir, or a new one) and train its runs in turn."""
        board, progress = self.board, self.grid
        try:
            grid = progress.begin(config, request.spec, request.seeds, data, board.folders.run_dir)
        except LenetError as exc:
            self.notify(str(exc), title="Cannot start the grid", severity="error", timeout=30)
            return
        board.folders.run_dir = None  # the grid's folder now; later runs get new default folders
        self.runner = runner = LocalGridRunner(grid, {data.name: data})
        board.mode, board.phase = self, Phase.RUNNING
        board.train_view.start_grid(runner, grid.runs[0].config)
        self._show_progress(toast=True)

    def stop(self) -> None:
        self.end_runs()
        super().stop()

    def end_runs(self) -> None:
        if self.runner is not None:  # the run in flight stops after its batch; no other starts
            self.runner.request_stop()

    def run_opened(self, folder: Path) -> None:
        """A run of the grid has its folder: the runs done so far are overlaid, and the status
        panel (with a notification, for the next run) says which one trains."""
        progress = self.grid
        runs = progress.grid.runs if progress.grid is not None else []
        run = next((run for run in runs if run.folder == folder), None)
        if run is None:
            return
        new, progress.current = progress.current is None or progress.current.folder != folder, run
        self.board.query_one(RunsView).show_grid(progress.done_folders)
        self._show_progress(toast=new)

    def run_ended(self, message: RunEnded) -> None:
        """The grid's runs have all ended, or it was stopped (ctrl+x, a bug): what is done."""
        runner, self.runner, progress = self.runner, None, self.grid
        stopped = runner is None or runner.stop_requested or message.crashed
        runs = progress.grid.runs if progress.grid is not None and not stopped else []
        self.finish([f"run {r.number} {r.name} failed" for r in runs if r.action() != "done"],
                    stopped)  # fmt: skip
        if progress.state == "stopped" and not message.crashed:  # not "stopping..." any more
            self.board.train_view.status.show(message=progress.outcome)

    def finish(self, unfinished: list[str], stopped: bool, error: str = "") -> None:
        """The grid is over (error: what ended it, in one line): grid.csv, unless stopped, the
        runs done overlaid in the Runs tab, and one line on how it stands."""
        progress = self.grid
        try:
            progress.ended(unfinished, stopped or bool(error))
        except LenetError as exc:
            self.notify(str(exc), title="Grid table not written", severity="error", timeout=30)
        self.board.query_one(RunsView).show_grid(progress.done_folders)
        if error:
            text = f"{error}; the grid is kept: {progress.outcome}"
            self.notify(text, title="Grid failed", severity="error", timeout=30)
            return
        severity = "information" if progress.state == "done" and not unfinished else "warning"
        self.notify(progress.outcome, title=f"Grid {progress.state}", severity=severity, timeout=30)

    def say_stopped(self) -> bool:
        """If the run that stopped is one of the stopped grid's, the status panel says how to
        finish the grid, as its notification did (not how to resume the one run); whether so."""
        status, folder, grid = self.board.train_view.status, self.board.folders.last, self.grid
        stopped = grid.state == status.latest.state == "stopped"
        if not stopped or folder is None or folder.parent != grid.folder:
            return False
        status.show(message=self.grid.outcome)
        return True

    def _show_progress(self, toast: bool) -> None:
        if toast:
            self.notify(f"grid {self.grid.progress}", timeout=5)
        self.board.train_view.status.show(message=f"grid {self.grid.progress}")
