"""The --no-ui runner's outcomes that a subprocess cannot provoke: a crash and a Ctrl-C."""

import io
import json
import math

import pytest

from lenet_tui.config import ModelConfig, TrainConfig
from lenet_tui.events import TrainProgress, event_to_dict
from lenet_tui.headless import run_headless
from lenet_tui.training import Trainer

CONFIG = TrainConfig(
    lr=0.05, epochs=1, batch_size=32, device="cpu", seed=1, model=ModelConfig(activation="relu")
)


def run(tiny_data_dir, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    metrics = tmp_path / "metrics.jsonl"
    code = run_headless(CONFIG, tiny_data_dir, metrics_out=metrics, stdout=out, stderr=err)
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

    def step(self, *args):
        calls.append(1)
        if len(calls) == 5:
            raise raised

    monkeypatch.setattr(Trainer, "_step", step)
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
