"""A kept run's train curve for the Runs tab's overlay: a point per progress report."""

from __future__ import annotations

import math
import os

from event_fixtures import ENDINGS, epoch_end, progress, started
from run_folder_fixtures import make_run, reported_run

from lenet_tui.engine.events import TrainProgress
from lenet_tui.runs.curves import CurveCache, train_points


def report(epoch: float, loss: float) -> TrainProgress:
    return TrainProgress(epoch, int(epoch * 16), loss, 0.5, 1000.0)


def test_a_one_epoch_run_is_ten_points_a_tenth_of_an_epoch_apart(tmp_path):
    folder = reported_run(tmp_path, "short", [0.7], speed=2.0)
    points = train_points(folder.metrics_path)
    assert [p.epoch for p in points] == [round(0.1 * i, 1) for i in range(1, 11)]
    losses = [p.train_loss for p in points]
    assert losses == sorted(losses, reverse=True) and losses[0] > losses[-1]


def test_reports_trained_again_after_a_resume_replace_the_first_ones(tmp_path):
    """Killed in epoch 2 after its 1.5 report, resumed from the end of epoch 1."""
    first = [report(0.5, 2.0), report(1.0, 1.0), epoch_end(1), report(1.5, 0.9)]
    again = [started(start_epoch=1), report(1.5, 0.3), report(2.0, 0.2), epoch_end(2)]
    folder = make_run(tmp_path, "resumed", [started(), *first, *again])
    points = train_points(folder.metrics_path)
    assert [(p.epoch, p.train_loss) for p in points] == [(0.5, 2.0), (1.0, 1.0), (1.5, 0.3),
                                                         (2.0, 0.2)]  # fmt: skip


def test_non_finite_reports_and_unreadable_files_give_no_points(tmp_path):
    events = [started(), progress(0.1), report(0.3, math.inf), ENDINGS["diverged"]]
    folder = make_run(tmp_path, "diverged", events)
    assert [p.epoch for p in train_points(folder.metrics_path)] == [0.1]
    (tmp_path / "a-folder.jsonl").mkdir()
    assert train_points(tmp_path / "a-folder.jsonl") == ()
    assert train_points(tmp_path / "missing.jsonl") == ()


def test_the_cache_reads_a_file_again_only_once_it_changed(tmp_path, monkeypatch):
    path = reported_run(tmp_path, "run", [0.7], speed=2.0).metrics_path
    cache = CurveCache()
    assert len(cache.read([path])[path]) == 10
    reads = []
    monkeypatch.setattr("lenet_tui.runs.curves.read_events", lambda p: reads.append(p) or [])
    assert len(cache.read([path])[path]) == 10 and reads == []  # unchanged: not read again
    with path.open("a") as log:
        log.write("\n")
    os.utime(path, ns=(0, 0))
    assert cache.read([path])[path] == () and reads == [path]
