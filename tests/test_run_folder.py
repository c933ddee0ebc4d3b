"""A run folder as a killed run leaves it: the metrics are cut back to the checkpoint."""

from __future__ import annotations

import json

from event_fixtures import as_dicts, epoch_end, progress, started

from lenet_tui.engine.config import TrainConfig
from lenet_tui.runs.folder import RunFolder


def test_resume_cuts_the_metrics_back_to_the_checkpoint_and_drops_a_torn_line(tmp_path):
    folder = RunFolder.create(TrainConfig(epochs=3), tmp_path / "run")
    lines = as_dicts([started(), progress(0.5), epoch_end(1), progress(1.5)])
    lines += [{"event": "from_a_newer_lenet_tui"}]  # kept as written, not understood
    lines += as_dicts([epoch_end(2), progress(2.5)])
    text = "".join(json.dumps(e) + "\n" for e in lines) + '{"event": "train_pro'  # killed
    folder.metrics_path.write_text(text)
    folder.trim_metrics(2)
    kept = [json.loads(line) for line in folder.metrics_path.read_text().splitlines()]
    assert kept == lines[:6]
    folder.trim_metrics(0)  # a checkpoint from before the first step: nothing to keep
    assert folder.metrics_path.read_text() == ""


def test_a_new_run_folder_is_made_under_the_runs_dir_with_its_config(runs_dir):
    first = RunFolder.create(TrainConfig(seed=5))
    second = RunFolder.create(TrainConfig(seed=6))
    assert first.path.parent == runs_dir and second.path.parent == runs_dir
    assert first.path != second.path  # two runs in the same second get two folders
    assert "seed = 5\n" in first.config_path.read_text()
