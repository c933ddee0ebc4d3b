"""metrics.jsonl read back as typed events: every kind round-trips, odd lines are handled once."""

from __future__ import annotations

import json
import math

import pytest
from event_fixtures import (
    ENDINGS,
    PAUSES,
    as_dicts,
    epoch_end,
    epoch_end_with_confusion,
    progress,
    progress_with_health,
    started,
)

from lenet_tui.engine.events import EpochEnd, RunDiverged, event_from_dict, event_to_dict
from lenet_tui.runs.event_log import EventLog, read_events, read_log

EVERY_KIND = [started(2), progress(0.5), epoch_end(1, 0.7), *ENDINGS.values(), *PAUSES]


@pytest.mark.parametrize("event", EVERY_KIND, ids=lambda e: e.kind)
def test_every_event_reads_back_as_it_was_written(event, tmp_path):
    log = EventLog(tmp_path / "metrics.jsonl")
    log.write(event)
    log.close()
    (back,) = read_events(tmp_path / "metrics.jsonl")
    if isinstance(event, RunDiverged):  # written as null, read back as NaN: still not finite
        assert (back.epoch, back.step) == (event.epoch, event.step)
        assert math.isnan(back.train_loss)
    else:
        assert back == event


def test_layer_health_and_the_confusion_matrix_read_back_as_written(tmp_path):
    health, ended = progress_with_health(0.5), epoch_end_with_confusion(1)
    log = EventLog(tmp_path / "metrics.jsonl")  # strict JSON: the NaN inside a record is null
    log.write(health)
    log.write(ended)
    log.close()
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["activations"][0]["dead"] is None
    back_health, back_ended = read_events(tmp_path / "metrics.jsonl")
    assert as_dicts([back_health]) == as_dicts([health])  # NaN read back as NaN (not equal)
    assert math.isnan(back_health.activations[0].dead)
    assert back_health.layers[1].name == "fc3" and back_health.threads == 2
    assert back_ended == ended
    assert back_ended.per_class_acc == (1.0, 0.5, 0.5)


@pytest.mark.parametrize(
    "fields",
    [
        {"event": "epoch_end", "epoch": float("nan"), "test_acc": 0.5},  # missing fields, NaN
        {**event_to_dict(epoch_end(1)), "epoch": 1.5},  # an epoch count that is no integer
        {**event_to_dict(epoch_end(1)), "test_acc": True},  # a bool is not a number
        {**event_to_dict(epoch_end(1)), "test_acc": "0.5"},
        {"event": "from_a_newer_lenet_tui", "epoch": 1},
        {"epoch": 1},
        {"event": ["epoch_end"], "epoch": 1},  # a kind that is not even a string
        {**event_to_dict(epoch_end(1)), "test_loss": 10**400},  # too large for a float
        {**event_to_dict(started()), "layers": [{"name": "Conv2d"}]},
        {**event_to_dict(epoch_end_with_confusion(1)), "confusion": [[1, 2], [3]]},  # ragged
        {**event_to_dict(epoch_end_with_confusion(1)), "confusion": [[1, 0.5], [0, 1]]},
        {**event_to_dict(progress_with_health(1)), "layers": [{"index": 0, "name": "conv1"}]},
        {"event": "run_resumed", "epoch": 1, "step": 3},  # how long it was paused is missing
        [1, 2],
    ],
)
def test_a_malformed_or_unknown_line_is_no_event(fields):
    assert event_from_dict(fields) is None


def test_keys_a_newer_lenet_tui_adds_are_ignored():
    fields = {**event_to_dict(epoch_end(3)), "lr": 0.01, "gradient_noise": [[1]]}
    assert event_from_dict(fields) == epoch_end(3)


def test_reading_stops_at_a_torn_line_and_keeps_foreign_objects_as_written(tmp_path):
    path = tmp_path / "metrics.jsonl"
    good = json.dumps(event_to_dict(epoch_end(1)))
    path.write_text(f'{good}\n{{"note": "by hand"}}\n{good}\n{{"event": "train_pro')
    lines = read_log(path)
    assert [line.text for line in lines] == [good, '{"note": "by hand"}', good]
    assert [type(line.event) for line in lines] == [EpochEnd, type(None), EpochEnd]
    assert read_events(path) == [epoch_end(1), epoch_end(1)]
    assert read_log(tmp_path / "absent.jsonl") == []
