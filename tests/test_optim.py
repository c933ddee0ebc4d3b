"""Optimizers and learning-rate schedules: the book's by default, the others where asked."""

from __future__ import annotations

import dataclasses
import io
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import TrainProgress
from lenet_tui.engine.optim import build_optimizer, build_schedule
from lenet_tui.engine.training import Trainer
from lenet_tui.runs.driver import RunDriver

STEPS = 10  # per epoch
CONFIG = TrainConfig(lr=0.8, epochs=4)  # 40 steps


def lrs(config: TrainConfig, steps: int = 4 * STEPS) -> list[float]:
    """The learning rate each of `steps` optimizer steps uses, in order."""
    weight = nn.Parameter(torch.zeros(1))
    optimizer = build_optimizer(config, [weight])
    schedule = build_schedule(config, optimizer, STEPS)
    seen = []
    for _ in range(steps):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if schedule is not None:
            schedule.step()
    return seen


def test_the_default_is_the_books_plain_sgd_at_a_constant_rate():
    config = TrainConfig()
    weight = nn.Parameter(torch.zeros(1))
    optimizer = build_optimizer(config, [weight])
    book = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.9)
    assert type(optimizer) is torch.optim.SGD
    assert optimizer.param_groups[0].keys() == book.param_groups[0].keys()
    assert {k: v for k, v in optimizer.param_groups[0].items() if k != "params"} == {
        k: v for k, v in book.param_groups[0].items() if k != "params"
    }
    assert build_schedule(config, optimizer, STEPS) is None


def test_step_divides_by_ten_at_half_and_three_quarters_of_the_run():
    seen = lrs(dataclasses.replace(CONFIG, schedule="step"))
    assert seen[0] == seen[19] == pytest.approx(0.8)
    assert seen[20] == seen[29] == pytest.approx(0.08)
    assert seen[30] == seen[39] == pytest.approx(0.008)


def test_cosine_falls_from_lr_to_zero_through_half_at_the_middle():
    seen = lrs(dataclasses.replace(CONFIG, schedule="cosine"), steps=41)
    assert seen[0] == pytest.approx(0.8)
    assert seen[20] == pytest.approx(0.4)
    assert seen[40] == pytest.approx(0.0, abs=1e-12)
    assert seen == sorted(seen, reverse=True)


def test_onecycle_warms_up_to_lr_at_thirty_percent_then_anneals():
    seen = lrs(dataclasses.replace(CONFIG, schedule="onecycle", momentum=0.9))
    assert seen[0] == pytest.approx(0.8 / 25)
    peak = max(range(len(seen)), key=seen.__getitem__)
    assert peak == 0.3 * 40 - 1  # OneCycleLR's warm-up ends at step pct_start * total - 1
    assert seen[peak] == pytest.approx(0.8, rel=1e-3)
    assert seen[-1] < 0.8 / 1000


@pytest.mark.parametrize(
    ("changes", "kind"),
    [({"optimizer": "adam"}, torch.optim.Adam), ({"optimizer": "adamw"}, torch.optim.AdamW)],
)
def test_adam_and_adamw_with_weight_decay(changes, kind):
    config = dataclasses.replace(CONFIG, weight_decay=0.01, **changes)
    optimizer = build_optimizer(config, [nn.Parameter(torch.zeros(1))])
    assert type(optimizer) is kind
    assert optimizer.param_groups[0]["weight_decay"] == 0.01


def test_progress_reports_the_learning_rate_as_it_changes(tiny_dataset):
    config = TrainConfig(lr=0.05, epochs=2, batch_size=32, device="cpu", schedule="cosine")
    reported = [e.lr for e in Trainer(config, tiny_dataset).run() if isinstance(e, TrainProgress)]
    steps = 2 * 16  # reported after every step: each report gives the lr that step used
    assert reported[0] == 0.05
    assert reported[-1] == pytest.approx(0.025 * (1 + math.cos(math.pi * (steps - 1) / steps)))
    assert reported == sorted(reported, reverse=True) and len(set(reported)) > 5
    constant = dataclasses.replace(config, schedule="constant")
    steady = {e.lr for e in Trainer(constant, tiny_dataset).run() if isinstance(e, TrainProgress)}
    assert steady == {0.05}


def test_a_run_kept_before_these_settings_existed_still_resumes(tiny_dataset, tmp_path: Path):
    """Its config.toml and checkpoint lack the optimizer keys: they count as the book's."""
    config = TrainConfig(epochs=2, batch_size=32, device="cpu")
    with RunDriver.new(config, tiny_dataset, tmp_path / "run") as driver:
        for event in driver.run():
            if isinstance(event, TrainProgress) and event.epoch > 1:
                driver.request_stop()
    folder = driver.folder
    new_keys = ("optimizer", "momentum", "nesterov", "weight_decay", "schedule")
    lines = folder.config_path.read_text().splitlines(keepends=True)
    folder.config_path.write_text("".join(x for x in lines if x.split(" =")[0] not in new_keys))
    payload = torch.load(folder.checkpoint_path, weights_only=True)
    del payload["schedule"]
    payload["config"] = {k: v for k, v in payload["config"].items() if k not in new_keys}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    folder.checkpoint_path.write_bytes(buffer.getvalue())
    kept = folder.load_checkpoint(folder.read_config())
    assert kept.state.epoch == 1 and kept.state.schedule is None
    resumed = list(Trainer(folder.read_config(), tiny_dataset, resume=kept.state).run())
    assert type(resumed[-1]).__name__ == "RunFinished"
