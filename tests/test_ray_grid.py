"""`lenet-tui --no-ui --grid SPEC --ray` on a local Ray of 2 CPUs and a tiny dataset: the same
table and per-epoch metrics as the grid trained here at one torch thread, after a worker killed
mid-run (retried from its checkpoint, or lost and then resumed) and after Ctrl-C (resumed on Ray
and here); a run's own failure and a divergence end that run only; the data is shipped once."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
from pathlib import Path

import pytest
from idx_fixtures import make_tiny_dataset, write_dataset
from ray_helpers import (
    KillWorkerAfterEpoch1,
    cli,
    epoch_ends,
    events,
    held_trial,
    run_folders,
    sigint_once_seen,
    table,
    torch_threads,
    trial_dying_at_once,
)

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.data_source import DataSource
from lenet_tui.headless_grid import run_headless_grid
from lenet_tui.runs import ray_grid
from lenet_tui.runs.grid import Grid
from lenet_tui.runs.ray_setup import RayOptions

pytestmark = pytest.mark.ray

SPEC = "pooling=avg,max activation=sigmoid,relu"
FLAGS = ["--epochs", "2", "--lr", "0.1", "--batch-size", "128", "--device", "cpu", "--seed", "3"]
BASE = TrainConfig(epochs=2, lr=0.1, batch_size=128, device="cpu", seed=3)
RUN_2 = "run 2/4 pooling=avg,activation=relu"


@pytest.fixture(scope="module")
def here(tiny_data_dir, tmp_path_factory) -> tuple[Path, str]:
    """The grid trained in this process at one torch thread, as a Ray run trains."""
    folder = tmp_path_factory.mktemp("here") / "grid"
    with torch_threads(1):
        code, out, err = cli("--no-ui", "--grid", SPEC, *FLAGS, "--data-dir", tiny_data_dir,
                             "--run-dir", folder)  # fmt: skip
    assert code == 0, err
    return folder, out


@pytest.fixture(scope="module")
def on_ray(local_ray, tiny_data_dir, tmp_path_factory) -> tuple[Path, str, str, list[str]]:
    """The same grid with --ray; also what went into Ray's object store (its types' names)."""
    folder = tmp_path_factory.mktemp("on-ray") / "grid"
    put, shipped = local_ray.put, []

    def counting_put(value, *args, **kwargs):  # ray.put's arguments
        shipped.append(type(value).__name__)
        return put(value, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local_ray, "put", counting_put)
        code, out, err = cli("--no-ui", "--grid", SPEC, *FLAGS, "--data-dir", tiny_data_dir,
                             "--run-dir", folder, "--ray")  # fmt: skip
    assert code == 0, err
    return folder, out, err, shipped


def plan(data_dir: Path) -> Grid:
    return Grid.plan(SPEC, (), BASE, DataSource(data_dir))


def assert_same_grid(folder: Path, out: str, here: tuple[Path, str]) -> None:
    """The table (examples/sec aside) and each run's per-epoch metrics are those of `here`."""
    theirs, their_out = here
    assert table(out) == table(their_out)
    assert [p.name for p in run_folders(folder)] == [p.name for p in run_folders(theirs)]
    for ours, their_run in zip(run_folders(folder), run_folders(theirs), strict=True):
        assert epoch_ends(ours) == epoch_ends(their_run), ours.name
        assert len(epoch_ends(ours)) == 2


def test_a_ray_grid_gives_the_table_and_metrics_of_the_grid_trained_here(here, on_ray):
    folder, out, err, _ = on_ray
    assert out.startswith(f"grid folder: {folder}\n4 runs: {SPEC}, seed 3\n")
    assert err.splitlines()[:2] == [
        "ray: joining this machine ...",
        "ray: 2 runs at once on this machine (1 CPU and 0 GPU per run, 1 torch thread each)",
    ]
    assert len(re.findall(r"run \d/4 .*: started on .* \(pid \d+\) in ", err)) == 4
    assert_same_grid(folder, out, here)
    assert out.splitlines()[-1] == f"grid.csv: {folder / 'grid.csv'}"


def test_the_data_goes_into_rays_object_store_once_for_the_four_runs(on_ray):
    *_, shipped = on_ray
    assert shipped == ["Dataset"]


def test_a_worker_killed_after_epoch_1_is_retried_from_its_checkpoint_with_the_same_metrics(
    here, local_ray, tiny_data_dir, tmp_path, monkeypatch
):
    monkeypatch.setattr(ray_grid, "train_trial", held_trial({("avg", "relu")}))
    err, out, folder = KillWorkerAfterEpoch1("run 2/4"), io.StringIO(), tmp_path / "grid"
    code = run_headless_grid(plan(tiny_data_dir), stdout=out, stderr=err, run_dir=folder,
                             ray=RayOptions())  # fmt: skip
    assert code == 0, err.getvalue()
    assert err.killed
    lines = [line for line in err.getvalue().splitlines() if line.startswith(RUN_2)]
    died = next(i for i, line in enumerate(lines) if "worker died" in line)
    assert re.fullmatch(
        rf"{RUN_2}: worker died \(.+\); retry 1/2 from the checkpoint of epoch 1", lines[died]
    ), lines[died]
    again = lines[died + 1]
    assert re.fullmatch(rf"{RUN_2}: started on .* \(pid (\d+)\) in .*, resumed after epoch 1",
                        again), again  # fmt: skip
    assert f"(pid {err.pid})" not in again
    assert lines[died + 2].startswith(f"{RUN_2}: epoch 2/2 ")
    assert_same_grid(folder, out.getvalue(), here)


def test_a_run_lost_without_retries_leaves_the_others_and_resume_finishes_it(
    here, local_ray, tiny_data_dir, tmp_path, monkeypatch
):
    monkeypatch.setattr(ray_grid, "train_trial", held_trial({("avg", "relu")}))
    err, out, folder = KillWorkerAfterEpoch1("run 2/4"), io.StringIO(), tmp_path / "grid"
    code = run_headless_grid(plan(tiny_data_dir), stdout=out, stderr=err, run_dir=folder,
                             ray=RayOptions(retries=0))  # fmt: skip
    assert code == 1
    lines = err.getvalue().splitlines()
    assert re.search(rf"^{RUN_2}: worker died \(.+\); gave up after 0 retries$", err.getvalue(),
                     re.MULTILINE)  # fmt: skip
    assert lines[-1] == (
        "1 of 4 runs did not finish (run 2); the table marks them; train them again with: "
        f"lenet-tui --no-ui --resume {folder} --ray --ray-retries 0"
    )
    assert len(re.findall(r": epoch 2/2 ", err.getvalue())) == 3
    rows = table(out.getvalue())
    assert [row[-1] for row in rows] == ["state", "finished", "unfinished", "finished", "finished"]
    lost = events(folder / "pooling=avg,activation=relu")
    assert [e["epoch"] for e in lost if e["event"] == "epoch_end"] == [1]
    assert lost[-1]["event"] == "epoch_end"  # neither finished nor stopped: killed

    monkeypatch.undo()
    with torch_threads(1):
        code, resumed, err_text = cli("--no-ui", "--resume", folder)
    assert code == 0, err_text
    assert f"{RUN_2}: started in {folder / 'pooling=avg,activation=relu'}, resumed after epoch 1"\
        in err_text  # fmt: skip
    assert_same_grid(folder, resumed, here)


def test_ctrl_c_keeps_the_runs_done_and_in_flight_then_resume_on_ray_or_here_ends_the_same(
    here, local_ray, tiny_data_dir, tmp_path, monkeypatch
):
    # Run 1 trains through; 2 and 3 (started once 1 is done) wait after epoch 1; 4 never starts.
    monkeypatch.setattr(ray_grid, "train_trial", held_trial({("avg", "relu"), ("max", "sigmoid")}))
    in_flight = (f"{RUN_2}: epoch 1/2 ", "run 3/4 pooling=max,activation=sigmoid: epoch 1/2 ")
    err, folder = sigint_once_seen(*in_flight), tmp_path / "grid"
    code = run_headless_grid(plan(tiny_data_dir), stdout=io.StringIO(), stderr=err,
                             run_dir=folder, ray=RayOptions())  # fmt: skip
    assert code == 130
    assert err.getvalue().splitlines()[-1] == (
        "SIGINT: stopped the grid (1 of 4 runs done; the runs in flight keep their last "
        f"checkpoints); resume it with: lenet-tui --no-ui --resume {folder} --ray"
    )
    assert [run.action() for run in Grid.open(folder).runs] == ["done", "resume", "resume", "start"]
    assert not (folder / "grid.csv").exists()
    monkeypatch.undo()

    copy = shutil.copytree(folder, tmp_path / "copy")
    code, on_ray, err_text = cli("--no-ui", "--resume", folder, "--ray")
    assert code == 0, err_text
    assert "run 1/4 pooling=avg,activation=sigmoid: done before, in " in err_text  # not trained
    assert "run 1/4 pooling=avg,activation=sigmoid: started" not in err_text
    assert len(re.findall(r": started on .*, resumed after epoch 1\n", err_text)) == 2
    assert_same_grid(folder, on_ray, here)
    with torch_threads(1):
        code, resumed_here, err_text = cli("--no-ui", "--resume", copy)
    assert code == 0, err_text
    assert_same_grid(copy, resumed_here, here)


@pytest.fixture(scope="module")
def one_example_dir(tmp_path_factory) -> Path:
    """One training example: batch norm cannot train on it (the Trainer refuses it)."""
    folder = tmp_path_factory.mktemp("one-example")
    write_dataset(folder, make_tiny_dataset(n_train=1, n_test=20, seed=0))
    return folder


def test_a_run_that_fails_or_diverges_is_not_retried_and_the_grid_goes_on(
    local_ray, one_example_dir, tmp_path
):
    folder = tmp_path / "grid"
    code, out, err = cli("--no-ui", "--grid", "batch_norm=true,false lr=0.1,1e30", "--activation",
                         "relu", "--epochs", "3", "--device", "cpu", "--data-dir",
                         one_example_dir, "--run-dir", folder, "--ray")  # fmt: skip
    assert code == 1
    assert [row[:2] + row[-1:] for row in table(out)] == [
        ["batch-norm", "lr", "state"],
        ["true", "0.1", "failed"],
        ["true", "1e+30", "failed"],
        ["false", "0.1", "finished"],
        ["false", "1e+30", "diverged"],
    ]
    refused = "DataError: batch norm needs at least 2 training examples"
    failed = re.findall(rf"run (\d)/4 .*: training failed: {refused}; .* \(not retried; the", err)
    assert sorted(failed) == ["1", "2"]
    assert re.search(r"run 4/4 .*: diverged at epoch \d, step \d+ .* \(not retried; the", err)
    assert "retry" not in err.replace("not retried", "")
    for run in run_folders(folder):
        assert sum(e["event"] == "run_started" for e in events(run)) <= 1, run.name
    assert err.splitlines()[-1].startswith(
        "2 of 4 runs did not finish (run 1, 2); the table marks them; train them again with: "
        f"lenet-tui --no-ui --resume {folder} --ray"
    )


def test_a_worker_that_dies_before_the_first_checkpoint_is_retried_from_the_start(
    here, local_ray, tiny_data_dir, tmp_path, monkeypatch
):
    monkeypatch.setattr(ray_grid, "train_trial", trial_dying_at_once(tmp_path / "died"))
    relu = dataclasses.replace(BASE, model=ModelConfig(activation="relu"))
    grid = Grid.plan("pooling=avg", (), relu, DataSource(tiny_data_dir))
    err, folder = io.StringIO(), tmp_path / "grid"
    code = run_headless_grid(grid, stdout=io.StringIO(), stderr=err, run_dir=folder,
                             ray=RayOptions())  # fmt: skip
    assert code == 0, err.getvalue()
    assert re.search(r"run 1/1 pooling=avg: worker died \(.+\); retry 1/2 from the start\n",
                     err.getvalue())  # fmt: skip
    assert epoch_ends(folder / "pooling=avg") == epoch_ends(here[0] / "pooling=avg,activation=relu")
