"""The run driver both front ends use: what it keeps, and when."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from event_fixtures import as_dicts

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.events import EpochEnd, RunFinished, RunStarted, TrainProgress
from lenet_tui.runs.checkpoint import load_checkpoint
from lenet_tui.runs.driver import KeptRun, RunDriver
from lenet_tui.runs.event_log import read_events

CONFIG = TrainConfig(epochs=2, batch_size=32, device="cpu", seed=4)


def test_each_event_is_logged_and_each_boundary_checkpointed_before_it_is_yielded(
    tiny_dataset, tmp_path
):
    seen = []
    with RunDriver.new(CONFIG, tiny_dataset, tmp_path / "run") as driver:
        for event in driver.run():
            logged = read_events(driver.folder.metrics_path)
            assert as_dicts(logged[-1:]) == as_dicts([event])  # on disk before it is yielded
            if isinstance(event, (RunStarted, EpochEnd)):
                epoch = event.epoch if isinstance(event, EpochEnd) else 0
                assert load_checkpoint(driver.folder.checkpoint_path).state.epoch == epoch
                assert driver.kept.checkpoint_at == (
                    "start of training" if epoch == 0 else f"end of epoch {epoch}"
                )
                assert driver.snapshot().epoch == epoch  # weights handed out at a boundary
            elif isinstance(event, TrainProgress):
                with pytest.raises(RuntimeError):
                    driver.snapshot()  # mid-epoch weights are not a boundary's
            seen.append(type(event))
    assert seen[0] is RunStarted and seen[-1] is RunFinished


def test_a_kept_run_goes_on_with_its_own_data_unless_the_user_chose_other(
    tiny_dataset, tiny_data_dir, tmp_path
):
    stopped = dataclasses.replace(CONFIG, epochs=3)
    with RunDriver.new(stopped, tiny_dataset, tmp_path / "run") as driver:
        for event in driver.run():
            if isinstance(event, EpochEnd):
                driver.request_stop()
    kept = KeptRun.open(tmp_path / "run")
    assert kept.trained_on == DataSource()  # an in-memory set counts as the bundled one
    assert kept.data_source(None) == DataSource()
    chosen = DataSource(Path(tiny_data_dir))
    assert kept.data_source(chosen) == chosen
    other = dataclasses.replace(tiny_dataset, origin=DataSource(Path("/srv/else")))
    assert kept.data_mismatch(tiny_dataset, None) is None
    assert kept.data_mismatch(other, chosen) is None  # the user's word
    assert kept.data_mismatch(other, None).startswith(
        f"{tmp_path / 'run'}: trained on the bundled data, not the /srv/else data loaded here"
    )
