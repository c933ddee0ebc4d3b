"""The --no-ui runner's outcomes that a subprocess cannot provoke: a crash and a Ctrl-C."""

import csv
import io
import json
import math
from pathlib import Path

import pytest

from lenet_tui import headless
from lenet_tui.cli import main
from lenet_tui.engine import training
from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.data import CLASS_NAMES
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.events import TrainProgress, event_to_dict
from lenet_tui.headless import run_headless

CONFIG = TrainConfig(
    lr=0.05, epochs=1, batch_size=32, device="cpu", seed=1, model=ModelConfig(activation="relu")
)


def run(tiny_data_dir, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    metrics = tmp_path / "metrics.jsonl"
    code = run_headless(
        CONFIG, DataSource(tiny_data_dir), metrics_out=metrics, stdout=out, stderr=err
    )
    return code, out.getvalue(), err.getvalue(), metrics.read_text().splitlines()


@pytest.mark.parametrize(
    ("raised", "exit_code", "message"),
    [
        (RuntimeError("out of memory"), 1, "training failed: RuntimeError: out of memory"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_a_run_that_dies_midway_exits_nonzero_and_keeps_its_metrics(
    raised, exit_code, message, tiny_data_dir, tmp_path, monkeypatch
):
    calls = []

    def step(*args):
        calls.append(1)
        if len(calls) == 5:
            raise raised

    monkeypatch.setattr(training, "_train_step", step)
    code, out, err, lines = run(tiny_data_dir, tmp_path)
    assert code == exit_code
    assert any(line.startswith(message) for line in err.splitlines())
    assert "loss " not in out.splitlines()[-1]  # no summary lines for a run that did not finish
    events = [json.loads(line) for line in lines]  # every line written is whole JSON
    assert events[0]["event"] == "run_started"
    assert events[-1]["event"] == ("run_failed" if exit_code == 1 else "train_progress")


def test_a_diverged_loss_is_written_as_strict_json_null():
    event = TrainProgress(
        epoch=0.5, step=3, train_loss=math.nan, train_acc=0.1, examples_per_sec=1.0
    )
    line = json.dumps(event_to_dict(event), allow_nan=False)
    assert json.loads(line)["train_loss"] is None


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_metrics_file_that_fills_up_stops_the_run_with_one_line(tiny_data_dir):
    err = io.StringIO()
    code = run_headless(
        CONFIG,
        DataSource(tiny_data_dir),
        metrics_out=Path("/dev/full"),
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 1
    assert err.getvalue() == (
        "training stopped: cannot write metrics to /dev/full: No space left on device\n"
    )


def test_ctrl_c_while_the_data_loads_exits_130_without_a_traceback(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(headless, "load_dataset", interrupted)
    assert main(["--no-ui", "--device", "cpu"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_a_finished_run_prints_the_per_class_table_and_keeps_it_as_csv(tiny_data_dir, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = run_headless(
        CONFIG, DataSource(tiny_data_dir), stdout=out, stderr=err, run_dir=tmp_path / "run"
    )
    assert code == 0
    lines = out.getvalue().splitlines()
    assert lines[-2].startswith("loss ") and lines[-1].endswith(" examples/sec on cpu")  # last
    table = lines[lines.index("Test set per class (last epoch)") : -2]
    header = next(line for line in table if "most confused with" in line)
    assert [cell.strip() for cell in header.split("┃")[1:-1]] == [
        "class", "images", "correct", "accuracy", "most confused with", "times"
    ]  # fmt: skip
    rows = {line.split("│")[1].strip(): line.split("│")[2:-1] for line in table if "│" in line}
    assert list(rows) == list(CLASS_NAMES)
    matrix = list(csv.reader((tmp_path / "run" / "confusion.csv").open()))
    assert matrix[0] == ["true \\ predicted", *CLASS_NAMES]
    per_class = list(csv.DictReader((tmp_path / "run" / "per_class.csv").open()))
    assert sum(int(row["test_images"]) for row in per_class) == 128
    for k, row in enumerate(per_class):  # the table, the CSV and the matrix agree
        assert int(row["correct"]) == int(matrix[k + 1][k + 1])
        shown = rows[row["class"]]
        assert [cell.strip() for cell in shown[:3]] == [
            row["test_images"], row["correct"], f"{float(row['accuracy']):.3f}"
        ]  # fmt: skip
    assert err.getvalue().splitlines()[-1] == (
        f"confusion matrix and per-class accuracy: {tmp_path / 'run' / 'confusion.csv'}, "
        f"{tmp_path / 'run' / 'per_class.csv'}"
    )
