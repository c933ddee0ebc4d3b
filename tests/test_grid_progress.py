"""The dashboard's grid: the form's vary and seeds fields read, its folder made, its end said."""

from __future__ import annotations

import csv

import pytest

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import RunFinished
from lenet_tui.errors import LenetError
from lenet_tui.runs.grid import GRID_NAME
from lenet_tui.runs.grid_runner import LocalGridRunner
from lenet_tui.ui.modes.local_grid import GridProgress, GridRequest, read_grid

BASE = TrainConfig(epochs=1, batch_size=128, device="cpu", seed=0)
"""512 tiny training images: 4 steps a run."""


def test_a_grid_begun_trains_in_turn_through_the_runner_then_writes_its_table(
    tiny_dataset, tmp_path
):
    session = GridProgress()
    folder = tmp_path / "grid"
    grid = session.begin(BASE, "pooling=avg,max", (0, 1), tiny_dataset, folder)
    assert session.state == "running" and session.folder == folder
    assert (folder / GRID_NAME).is_file() and session.progress == "run 1/4 pooling=avg,seed=0"
    runner = LocalGridRunner(grid, {tiny_dataset.name: tiny_dataset})
    trained = [
        (update.run.folder.name, runner.driver.config.seed)
        for update in runner.run()
        if isinstance(update.event, RunFinished)
    ]
    names = ["pooling=avg,seed=0", "pooling=avg,seed=1", "pooling=max,seed=0", "pooling=max,seed=1"]
    assert trained == [(name, int(name[-1])) for name in names]
    session.ended([], stopped=runner.stop_requested)
    assert session.state == "done"
    assert session.done_folders == [folder / name for name in names]
    rows = list(csv.DictReader((folder / "grid.csv").open()))
    assert [(r["pooling"], r["runs"], r["state"]) for r in rows] == [
        ("avg", "2", "finished"),
        ("max", "2", "finished"),
    ]
    assert session.outcome == f"grid done: 4 runs; its table is {folder / 'grid.csv'}"


def test_a_stop_ends_the_grid_with_no_further_run(tiny_dataset, tmp_path):
    session = GridProgress()
    folder = tmp_path / "grid"
    runner = LocalGridRunner(
        session.begin(BASE, "lr=0.1,0.9", (), tiny_dataset, folder),
        {tiny_dataset.name: tiny_dataset},
    )
    states = []
    for update in runner.run():
        if update.state == "running" and update.event is None:
            runner.request_stop()  # ctrl+x, or quitting, while the first run trains
        states.append((update.run.name, update.state))
    assert states[-2:] == [("lr=0.1", "stopped"), ("lr=0.9", "cancelled")]
    session.ended([], stopped=runner.stop_requested)
    assert session.state == "stopped"
    assert not (folder / "lr=0.9").exists() and not (folder / "grid.csv").exists()
    assert session.outcome == (
        f"grid stopped: 0 of 2 runs done; finish it with lenet-tui --no-ui --resume {folder}"
    )


@pytest.mark.parametrize(
    ("spec", "config", "says"),
    [
        ("poolin=avg,max", BASE, "--grid: unknown setting 'poolin'; a grid varies dataset, lr, "),
        ("pooling=avg,maxx", BASE, "--grid: pooling=maxx: must be one of avg, max"),
        ("device=cpu,mps", BASE, "mps is not available on this machine"),
        ("lr=0.1", TrainConfig(dataset="mnist", device="cpu"), "the grid trains on mnist, but"),
    ],
)
def test_a_refused_grid_says_why_in_one_line_and_leaves_nothing(
    tiny_dataset, runs_dir, spec, config, says
):
    session = GridProgress()
    with pytest.raises(LenetError) as refused:
        session.begin(config, spec, (), tiny_dataset)
    assert says in str(refused.value) and "\n" not in str(refused.value)
    assert not runs_dir.exists() or not any(runs_dir.iterdir())
    assert session.state == "idle" and session.grid is None


def test_blank_vary_asks_for_no_grid():
    assert read_grid("  ", "", BASE) == (None, {})


def test_vary_and_seeds_ask_for_a_grid():
    request = read_grid(" pooling=avg,max  activation=relu ", "2,0", BASE)
    assert request == (GridRequest("pooling=avg,max  activation=relu", (2, 0)), {})


@pytest.mark.parametrize(
    ("vary", "seeds", "config", "problems"),
    [
        ("lr=0.1", "0,x", BASE, {"seeds": "expected 1 to 1000000 integers like 0,1,2, got '0,x'"}),
        ("", "0,1", BASE, {"seeds": 'repeat the runs of a grid: fill in vary too ("lr=0.9", say)'}),
        ("lr", "", BASE, {"vary": "'lr' is not SETTING=V1,V2,..."}),
        ("seed=1,2", "", BASE, {"vary": "seed: use --seeds 0,1,2 to repeat each combination"}),
        ("dataset=mnist", "", BASE, {"vary": "the dashboard trains one dataset at a time;"}),
        ("lr=1,2,3,4,5,6,7,8,9 epochs=1,2,3,4,5,6,7,8,9", "0,1,2,3", BASE, {"vary": "324 runs"}),
        (
            "momentum=0,0.9",
            "",
            TrainConfig(momentum=0.5, nesterov=True),
            {"vary": "the combination momentum=0.0 is refused: --nesterov: needs sgd"},
        ),
    ],
)
def test_a_bad_vary_or_seeds_is_named_in_one_line(vary, seeds, config, problems):
    request, found = read_grid(vary, seeds, config)
    assert request is None and found.keys() == problems.keys()
    for key, start in problems.items():
        assert found[key].startswith(start) and "\n" not in found[key]
