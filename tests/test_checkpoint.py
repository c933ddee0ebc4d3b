"""Checkpoints: a resumed run continues exactly, and a hostile or broken file is refused."""

from __future__ import annotations

import dataclasses
import io
import pickle
from pathlib import Path

import pytest
import torch
from test_cli import QUICK, lenet_tui
from test_training import QUICK as ENGINE_QUICK
from test_training import without_timings

from lenet_tui.engine.config import ModelConfig
from lenet_tui.engine.events import EpochEnd, RunFinished, RunStarted
from lenet_tui.engine.training import Trainer
from lenet_tui.errors import DataError
from lenet_tui.runs.checkpoint import (
    Checkpoint,
    CheckpointError,
    TrainState,
    load_checkpoint,
    save_checkpoint,
)


def state_after_epoch(trainer: Trainer, epoch: int) -> TrainState:
    for event in trainer.run():
        if isinstance(event, EpochEnd) and event.epoch == epoch:
            return trainer.checkpoint_state()
    raise AssertionError("the run ended early")


def initial_state(tiny_dataset) -> TrainState:
    trainer = Trainer(ENGINE_QUICK, tiny_dataset)
    events = trainer.run()
    next(events)  # RunStarted; the state is offered while the run is paused there
    return trainer.checkpoint_state()


@pytest.mark.parametrize(
    "changes",
    [
        {"model": ModelConfig(activation="relu")},
        {"model": ModelConfig(batch_norm=True)},
        {
            "momentum": 0.9,
            "nesterov": True,
            "schedule": "onecycle",
            "weight_decay": 1e-3,
            "augment": "flip+shift",
        },
        {"optimizer": "adamw", "schedule": "cosine", "weight_decay": 0.01, "lr": 0.003},
        {"precision": "bf16"},
    ],
    ids=["relu", "batch-norm", "sgd-momentum-onecycle", "adamw-cosine", "bf16"],
)
def test_a_run_resumed_from_a_checkpoint_file_ends_like_an_uninterrupted_one(
    changes, tiny_dataset, tmp_path, native_bf16
):
    """Momentum buffers, Adam's moments and the schedule's position travel in the checkpoint
    (bf16 trains here whatever the CPU has: native_bf16 says it has it)."""
    config = dataclasses.replace(ENGINE_QUICK, epochs=3, **changes)
    whole = list(Trainer(config, tiny_dataset).run())
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, Checkpoint(state_after_epoch(Trainer(config, tiny_dataset), 1)))
    resumed = list(Trainer(config, tiny_dataset, resume=load_checkpoint(path, config).state).run())
    assert isinstance(resumed[0], RunStarted) and resumed[0].start_epoch == 1
    assert isinstance(resumed[-1], RunFinished)
    ends = [e for e in whole if isinstance(e, EpochEnd)]
    assert without_timings([e for e in resumed if isinstance(e, EpochEnd)]) == without_timings(
        ends[1:]
    )
    assert without_timings(resumed[-1:]) == without_timings(whole[-1:])


def test_checkpoint_state_is_only_offered_at_an_epoch_boundary(tiny_dataset):
    trainer = Trainer(ENGINE_QUICK, tiny_dataset)
    with pytest.raises(RuntimeError, match="only valid at RunStarted or EpochEnd"):
        trainer.checkpoint_state()
    events = trainer.run()
    next(events)  # RunStarted
    assert trainer.checkpoint_state().epoch == 0
    next(events)  # the first progress report
    with pytest.raises(RuntimeError):
        trainer.checkpoint_state()


class Payload:
    """Runs code when unpickled: what a stranger's "checkpoint" can carry."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


def evil_torch_file(path: Path, marker: Path) -> Path:
    torch.save({"format": "lenet-tui-checkpoint", "version": 1, "model": Payload(marker)}, path)
    return path


def evil_pickle_file(path: Path, marker: Path, protocol: int = 2) -> Path:
    path.write_bytes(pickle.dumps({"model": Payload(marker)}, protocol=protocol))
    return path


def evil_pickle_4_file(path: Path, marker: Path) -> Path:
    return evil_pickle_file(path, marker, protocol=4)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (evil_torch_file, "refused: it carries pickled code (exec), which is never run; "),
        (evil_pickle_file, "refused: it carries pickled code (exec), which is never run; "),
        (evil_pickle_4_file, "refused: damaged or not a checkpoint (UnpicklingError); "),
    ],
)
@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_pickle_payload_is_refused_without_running_it(make, words, tmp_path):
    marker = tmp_path / "pwned"
    path = make(tmp_path / "checkpoint.pt", marker)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert str(caught.value) == (
        f"{path}: {words}resume from a run folder this program wrote, or start a new run"
    )
    assert not marker.exists()


def fields_missing(tmp_path: Path, tiny_dataset) -> bytes:
    buffer = io.BytesIO()
    torch.save({"format": "lenet-tui-checkpoint", "version": 1, "epoch": "one"}, buffer)
    return buffer.getvalue()


def foreign(tmp_path: Path, tiny_dataset) -> bytes:
    buffer = io.BytesIO()
    torch.save({"weights": torch.zeros(3)}, buffer)
    return buffer.getvalue()


def real(tmp_path: Path, tiny_dataset) -> bytes:
    path = tmp_path / "real.pt"
    save_checkpoint(path, Checkpoint(initial_state(tiny_dataset)))
    return path.read_bytes()


def version_2(tmp_path: Path, tiny_dataset) -> bytes:
    buffer = io.BytesIO()
    torch.save({"format": "lenet-tui-checkpoint", "version": 2}, buffer)
    return buffer.getvalue()


BROKEN = {
    "empty": (lambda t, d: b"", "damaged or not a checkpoint"),
    "random bytes": (lambda t, d: bytes(range(256)) * 4, "damaged or not a checkpoint"),
    "truncated": (lambda t, d: real(t, d)[:-100], "damaged or not a checkpoint"),
    "another program's": (foreign, "not a lenet-tui checkpoint"),
    "a later format": (version_2, "checkpoint format version 2, this lenet-tui reads version 1"),
    "fields missing": (fields_missing, "damaged checkpoint (bad 'epoch')"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_or_foreign_file_is_one_line_naming_it(case, tmp_path, tiny_dataset):
    make, words = BROKEN[case]
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(make(tmp_path, tiny_dataset))
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and words in message and "\n" not in message


def test_a_checkpoint_of_other_settings_does_not_fit(tmp_path, tiny_dataset):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, Checkpoint(initial_state(tiny_dataset)))
    other = dataclasses.replace(ENGINE_QUICK, model=ModelConfig(kernel_size=3))
    with pytest.raises(CheckpointError, match="does not fit the run's settings"):
        load_checkpoint(path, other)
    assert load_checkpoint(path, ENGINE_QUICK).state.epoch == 0


def test_resume_refuses_a_run_folder_with_a_pickle_payload_and_runs_nothing(
    tiny_data_dir, tmp_path
):
    run_dir = tmp_path / "run"
    args = ["--no-ui", *QUICK, "--epochs", "1", "--data-dir", tiny_data_dir, "--run-dir", run_dir]
    assert lenet_tui(*args).returncode == 0
    config_before = (run_dir / "config.toml").read_text()
    (run_dir / "config.toml").write_text(config_before.replace("epochs = 1", "epochs = 2"))
    marker = tmp_path / "pwned"
    checkpoint = evil_torch_file(run_dir / "checkpoint.pt", marker)
    metrics_before = (run_dir / "metrics.jsonl").read_bytes()
    result = lenet_tui("--no-ui", "--resume", run_dir)
    assert result.returncode == 2
    assert result.stderr == (
        f"lenet-tui: {checkpoint}: refused: it carries pickled code (exec), which is never run; "
        "resume from a run folder this program wrote, or start a new run\n"
    )
    assert result.stdout == "" and not marker.exists()
    assert (run_dir / "metrics.jsonl").read_bytes() == metrics_before


def test_resuming_on_a_training_set_of_another_size_is_refused(tiny_dataset):
    state = initial_state(tiny_dataset)
    smaller = dataclasses.replace(
        tiny_dataset,
        train_images=tiny_dataset.train_images[:100],
        train_labels=tiny_dataset.train_labels[:100],
    )
    with pytest.raises(DataError, match="trained on 512 training images but this data has 100"):
        Trainer(ENGINE_QUICK, smaller, resume=state)
