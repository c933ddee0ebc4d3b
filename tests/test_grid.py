"""Grids without training: the spec, its refusals, the runs it plans, its folder and its table."""

from __future__ import annotations

import csv
import io
import statistics

import pytest
from event_fixtures import ENDINGS, epoch_end, started

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.events import EpochEnd
from lenet_tui.errors import LenetError, RunFolderError
from lenet_tui.runs.event_log import EventLog
from lenet_tui.runs.folder import RunFolder
from lenet_tui.runs.grid import GRID_NAME, Grid, run_folders
from lenet_tui.runs.history import summarise

BASE = TrainConfig(epochs=2, device="cpu")


def names(grid: Grid) -> list[str]:
    return [run.folder.name for run in grid.runs]


def test_several_settings_make_the_product_first_setting_outermost(tmp_path):
    grid = Grid.plan("pooling=avg,max activation=sigmoid,relu", (), BASE).create(tmp_path / "g")
    assert names(grid) == [
        "pooling=avg,activation=sigmoid",
        "pooling=avg,activation=relu",
        "pooling=max,activation=sigmoid",
        "pooling=max,activation=relu",
    ]
    last = grid.runs[-1].config
    assert (last.model.pooling, last.model.activation, last.epochs) == ("max", "relu", 2)
    assert {run.config.seed for run in grid.runs} == {0}  # the base's seed for every run


def test_values_are_converted_as_the_flags_convert_them_field_or_flag_spelling(tmp_path):
    spec = "batch_size=64,128 --kernel-size=3 channels=6/16,16/32 hidden=120/84,none batch-norm=on"
    grid = Grid.plan(spec, (), BASE).create(tmp_path / "g")
    configs = [run.config for run in grid.runs]
    assert len(configs) == 8
    assert {c.batch_size for c in configs} == {64, 128}
    assert {c.model.channels for c in configs} == {(6, 16), (16, 32)}
    assert {c.model.hidden for c in configs} == {(120, 84), ()}
    assert all(c.model.batch_norm and c.model.kernel_size == 3 for c in configs)
    assert grid.spec.text == (
        "batch-size=64,128 kernel-size=3 channels=6/16,16/32 hidden=120/84,none batch-norm=true"
    )
    assert names(grid)[1] == "batch-size=64,kernel-size=3,channels=6-16,hidden=none,batch-norm=true"


def test_seeds_repeat_each_combination_per_seed(tmp_path):
    grid = Grid.plan("lr=0.1,0.9", (0, 1, 2), BASE).create(tmp_path / "g")
    assert names(grid) == [f"lr={lr},seed={s}" for lr in ("0.1", "0.9") for s in (0, 1, 2)]
    assert [run.config.seed for run in grid.runs] == [0, 1, 2, 0, 1, 2]


@pytest.mark.parametrize(
    ("spec", "base", "message"),
    [
        ("foo=1,2", BASE, "--grid: unknown setting 'foo'; a grid varies dataset, lr,"),
        ("reports-per-epoch=1", BASE, "--grid: unknown setting 'reports-per-epoch'"),
        ("pooling", BASE, "--grid: 'pooling' is not SETTING=V1,V2,..."),
        ("", BASE, "--grid: empty"),
        ("pooling=avg,mean", BASE, "--grid: pooling=mean: must be one of avg, max"),
        ("lr=0.1,fast", BASE, "--grid: lr=fast: must be a number"),
        ("epochs=1,2.5", BASE, "--grid: epochs=2.5: must be an integer"),
        ("nesterov=maybe", BASE, "--grid: nesterov=maybe: must be true or false"),
        ("channels=6/16/32/64", BASE, "--grid: channels=6/16/32/64: expected 1 to 3 integers"),
        ("lr=,0.1", BASE, "--grid: lr: an empty value"),
        ("lr=0.1,0.10", BASE, "--grid: lr=0.1 is given twice"),
        ("lr=0.1 lr=0.2", BASE, "--grid: lr is given twice"),
        ("seed=1,2", BASE, "--grid: seed: use --seeds 0,1,2"),
        ("preset=d2l,modern", BASE, "--grid: preset: a grid varies single settings"),
        ("lr=0,0.1", BASE, "--grid: lr=0.0: must be a number > 0 and at most 1e+38, got 0.0"),
        ("kernel-size=5,40", BASE, "--grid: kernel-size=40: must be an integer in 1..13"),
        (
            "batch-size=1,32",
            TrainConfig(model=ModelConfig(batch_norm=True)),
            "--grid: batch-size=1: must be at least 2 with batch norm, got 1",
        ),
        (
            "channels=6/16/32 kernel-size=3,5",
            BASE,
            "--grid: the combination channels=6/16/32,kernel-size=5 is refused: --channels: "
            "pool3 would get a 1x1 map",
        ),
        (
            "optimizer=sgd,adam",
            TrainConfig(momentum=0.9),
            "--grid: the combination optimizer=adam is refused: --momentum: applies to sgd only",
        ),
        ("lr=0.1,0.2", TrainConfig(epochs=0), "--epochs: must be an integer in 1..1000, got 0"),
        (
            f"epochs={','.join(map(str, range(1, 18)))} pooling=avg,max init=xavier,kaiming "
            "activation=sigmoid,relu batch-size=32,64",
            BASE,
            "--grid: 272 runs (17 x 2 x 2 x 2 x 2 combinations) is more than 256; add --yes",
        ),
    ],
)
def test_a_bad_grid_is_refused_in_one_line_before_anything_is_written(
    spec, base, message, tmp_path, runs_dir
):
    with pytest.raises(LenetError) as refused:
        Grid.plan(spec, (), base)
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)
    assert not runs_dir.exists()


def test_a_valid_base_setting_that_only_some_values_need_is_checked_per_combination():
    nesterov = TrainConfig(nesterov=True)  # invalid alone (momentum 0), valid in every run
    grid = Grid.plan("momentum=0.5,0.9", (), nesterov)
    assert [config.momentum for _, _, config in grid.configs()] == [0.5, 0.9]


def test_more_than_256_runs_need_yes_and_seeds_count():
    with pytest.raises(LenetError, match=r"--grid: 300 runs \(3 combinations x 100 seeds\)"):
        Grid.plan("lr=0.1,0.2,0.3", tuple(range(100)), BASE)
    assert len(Grid.plan("lr=0.1,0.2,0.3", tuple(range(100)), BASE, yes=True).configs()) == 300


def test_a_random_base_seed_is_drawn_once_for_every_combination(tmp_path):
    grid = Grid.plan("pooling=avg,max", (), TrainConfig(seed=None)).create(tmp_path / "g")
    seeds = {run.config.seed for run in grid.runs}
    assert len(seeds) == 1 and None not in seeds
    assert Grid.open(grid.folder).base.seed == seeds.pop()  # kept in grid.toml


def test_grid_toml_keeps_the_spec_seeds_and_base_so_open_plans_the_same_runs(tmp_path):
    base = TrainConfig(lr=0.05, batch_size=32, model=ModelConfig(channels=(4, 8), hidden=()))
    made = Grid.plan("pooling=avg,max hidden=none,10", (3, 4), base).create(tmp_path / "g")
    opened = Grid.open(tmp_path / "g")
    assert opened.runs == made.runs
    assert (opened.spec, opened.seeds, opened.base) == (made.spec, made.seeds, made.base)
    assert 'spec = "pooling=avg,max hidden=none,10"' in (tmp_path / "g" / GRID_NAME).read_text()


def test_a_grid_needs_a_new_or_empty_folder_and_a_damaged_grid_toml_is_refused(tmp_path):
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match="is not empty; pick a new or empty --run-dir"):
        Grid.plan("lr=0.1", (), BASE).create(used)
    assert (used / "notes.txt").read_text() == "mine"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / GRID_NAME).write_text('spec = "lr=0.1"\n')
    with pytest.raises(RunFolderError, match=r"grid.toml: damaged \(needs spec, seeds"):
        Grid.open(broken)


def write_run(folder, accs, speeds=None, ending="finished"):
    """A run folder with these test accuracies (and examples/sec) per epoch, then an ending."""
    run_folder = RunFolder.create(TrainConfig(epochs=len(accs)), folder)
    log = EventLog(run_folder.metrics_path)
    log.write(started())
    for epoch, acc in enumerate(accs, 1):
        speed = speeds[epoch - 1] if speeds else 1000.0
        log.write(EpochEnd(epoch, 1.0, 0.6, 1.1, acc, 2.0, speed))
    if ending:
        log.write(ENDINGS[ending])
    log.close()


def test_the_table_gives_mean_and_std_over_seeds_read_from_each_runs_metrics(tmp_path):
    grid = Grid.plan("pooling=avg,max", (0, 1), BASE).create(tmp_path / "g")
    accs = {  # per run: its epochs' test accuracies
        "pooling=avg,seed=0": [0.5, 0.7],
        "pooling=avg,seed=1": [0.6, 0.55],
        "pooling=max,seed=0": [0.8, 0.9],
        "pooling=max,seed=1": [0.82, 0.86],
    }
    for run in grid.runs:
        write_run(run.folder, accs[run.folder.name], speeds=[1000.0, 3000.0])
    header, rows = grid.table().cells()
    assert header == ["pooling", "seeds", "best test acc", "final test acc", "examples/sec"]
    avg_best = (statistics.mean([0.7, 0.6]), statistics.stdev([0.7, 0.6]))
    assert rows[0] == ["avg", "2", f"{avg_best[0]:.3f} ± {avg_best[1]:.3f}", "0.625 ± 0.106",
                       "1,500"]  # fmt: skip
    assert rows[1][:2] == ["max", "2"] and rows[1][3] == "0.880 ± 0.028"
    grid.write_csv()
    with (grid.folder / "grid.csv").open() as f:
        saved = list(csv.DictReader(f))
    assert [row["pooling"] for row in saved] == ["avg", "max"]
    assert float(saved[1]["best_test_acc"]) == statistics.mean([0.9, 0.86])
    assert float(saved[1]["final_test_acc_std"]) == statistics.stdev([0.9, 0.86])
    assert (saved[0]["seeds"], saved[0]["runs"], saved[0]["state"]) == ("0 1", "2", "finished")
    assert float(saved[0]["examples_per_sec"]) == pytest.approx(1500.0)  # 2 epochs over 4/3 ms


def test_an_unfinished_or_diverged_run_shows_in_a_state_column(tmp_path):
    grid = Grid.plan("lr=0.1,50,0.9", (), BASE).create(tmp_path / "g")
    write_run(grid.runs[0].folder, [0.5, 0.6])
    write_run(grid.runs[1].folder, [0.1], ending="diverged")
    header, rows = grid.table().cells()
    assert header[-1] == "state"
    assert [row[-1] for row in rows] == ["finished", "diverged", "unfinished"]
    assert rows[2][1:4] == ["-", "-", "-"]  # not started: no figures
    assert [run.action() for run in grid.runs] == ["done", "done", "start"]
    assert [run.number for run in grid.pending()] == [3]


def test_a_run_that_ended_before_its_first_checkpoint_is_started_again(tmp_path, tiny_dataset):
    grid = Grid.plan("lr=0.1", (), BASE).create(tmp_path / "g")
    run = grid.runs[0]
    make_folder = RunFolder.create(run.config, run.folder)
    make_folder.metrics_path.write_text('{"event": "run_failed"}\n')
    assert run.action() == "restart"
    with run.driver(tiny_dataset):  # takes the folder anew: no old line, no refusal
        assert make_folder.metrics_path.read_text() == ""
    assert make_folder.read_config() == run.config
    (run.folder / "checkpoint.pt").write_bytes(b"")
    assert run.action() == "resume"
    EventLog(make_folder.metrics_path).write(epoch_end(1))
    EventLog(make_folder.metrics_path, append=True).write(epoch_end(2))
    assert run.action() == "done"  # killed after its last epoch, before run_finished
    # ... and the table and the Runs list say the same of it
    assert (grid.table().rows[0].state, summarise(make_folder).state) == ("finished", "finished")


def test_a_grid_folder_stands_for_its_started_runs_in_an_export(tmp_path):
    grid = Grid.plan("pooling=avg,max", (), BASE).create(tmp_path / "g")
    write_run(grid.runs[1].folder, [0.5])
    other = tmp_path / "single"
    assert run_folders([grid.folder, other]) == [grid.runs[1].folder, other]


def test_the_table_text_and_csv_name_each_setting_by_its_flag(tmp_path):
    grid = Grid.plan("batch-size=32 weight-decay=0,0.001", (), BASE).create(tmp_path / "g")
    header, _ = grid.table().cells()
    assert header[:2] == ["batch-size", "weight-decay"]
    first = next(csv.reader(io.StringIO(grid.table().csv_text())))
    assert first[:4] == ["batch-size", "weight-decay", "seeds", "runs"]
