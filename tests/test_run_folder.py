"""A run folder as a killed run leaves it: the metrics are cut back to the checkpoint."""

from __future__ import annotations

import json

from lenet_tui.config import TrainConfig
from lenet_tui.runs import RunFolder


def test_resume_cuts_the_metrics_back_to_the_checkpoint_and_drops_a_torn_line(tmp_path):
    folder = RunFolder.create(TrainConfig(epochs=3), tmp_path / "run")
    lines = [
        {"event": "run_started", "start_epoch": 0},
        {"event": "train_progress", "epoch": 0.5},
        {"event": "epoch_end", "epoch": 1},
        {"event": "train_progress", "epoch": 1.5},
        {"event": "epoch_end", "epoch": 2},
        {"event": "train_progress", "epoch": 2.5},
    ]
    text = "".join(json.dumps(e) + "\n" for e in lines) + '{"event": "train_pro'  # killed
    folder.metrics_path.write_text(text)
    folder.trim_metrics(2)
    kept = [json.loads(line) for line in folder.metrics_path.read_text().splitlines()]
    assert kept == lines[:5]
    folder.trim_metrics(0)  # a checkpoint from before the first step: nothing to keep
    assert folder.metrics_path.read_text() == ""


def test_a_new_run_folder_is_made_under_the_runs_dir_with_its_config(runs_dir):
    first = RunFolder.create(TrainConfig(seed=5))
    second = RunFolder.create(TrainConfig(seed=6))
    assert first.path.parent == runs_dir and second.path.parent == runs_dir
    assert first.path != second.path  # two runs in the same second get two folders
    assert "seed = 5\n" in first.config_path.read_text()
