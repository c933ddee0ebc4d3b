"""Augmented training images and early stopping, as the exercises use them."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from lenet_tui.engine import training
from lenet_tui.engine.augment import SHIFT, augment
from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.events import EpochEnd, RunFinished
from lenet_tui.engine.training import Trainer
from lenet_tui.errors import RunFolderError
from lenet_tui.runs.driver import RunDriver

CONFIG = TrainConfig(lr=0.05, epochs=2, batch_size=32, device="cpu", seed=2)


def test_flip_mirrors_about_half_of_the_images_and_nothing_else():
    images = torch.rand(400, 1, 28, 28)
    out = augment(images, "flip", torch.Generator().manual_seed(0))
    flipped = [bool(torch.equal(o, i.flip(2))) for o, i in zip(out, images, strict=True)]
    same = [bool(torch.equal(o, i)) for o, i in zip(out, images, strict=True)]
    assert all(f != s for f, s in zip(flipped, same, strict=True))  # each one or the other
    assert 150 < sum(flipped) < 250


def test_shift_moves_each_image_by_at_most_two_pixels_filling_with_black():
    images = torch.zeros(64, 1, 28, 28)
    images[:, 0, 10, 12] = 1.0  # one white pixel per image
    out = augment(images, "shift", torch.Generator().manual_seed(0))
    moves = set()
    for image in out:
        (row, col), *rest = image[0].nonzero().tolist()
        assert rest == [] and image.sum() == 1.0  # moved, not blurred or lost
        moves.add((row - 10, col - 12))
    assert all(abs(dy) <= SHIFT and abs(dx) <= SHIFT for dy, dx in moves)
    assert len(moves) > 10  # the offsets vary from image to image
    assert augment(images, "none", torch.Generator()) is images


def test_training_images_change_and_test_images_never_do(tiny_dataset, monkeypatch):
    seen_train, seen_test = [], []
    step, evaluate = training._train_step, training.evaluate

    def spy_step(model, optimizer, x, y, *sums):
        seen_train.append(x.clone())
        step(model, optimizer, x, y, *sums)

    def spy_evaluate(model, x, y):
        seen_test.append(x.clone())
        return evaluate(model, x, y)

    monkeypatch.setattr(training, "_train_step", spy_step)
    monkeypatch.setattr(training, "evaluate", spy_evaluate)
    config = dataclasses.replace(CONFIG, augment="flip+shift", epochs=1)
    list(Trainer(config, tiny_dataset).run())
    originals = tiny_dataset.train_images.float().div(255).unsqueeze(1)
    first = torch.randperm(len(originals), generator=torch.Generator().manual_seed(2))[:32]
    assert not torch.equal(seen_train[0], originals[first])  # augmented, not the stored images
    expected_test = tiny_dataset.test_images.float().div(255).unsqueeze(1)
    assert all(torch.equal(x, expected_test) for x in seen_test)


def test_patience_stops_the_run_once_test_acc_stops_improving(tiny_dataset, tmp_path):
    stuck = dataclasses.replace(CONFIG, lr=1e-9, epochs=10, patience=2)  # test acc never moves
    with RunDriver.new(stuck, tiny_dataset, tmp_path / "run") as driver:
        events = list(driver.run())
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [1, 2, 3]
    assert isinstance(events[-1], RunFinished) and events[-1].stopped_early
    with pytest.raises(RunFolderError, match="stopped early after epoch 3"):
        driver.folder.load_checkpoint(stuck)
    learning = dataclasses.replace(CONFIG, lr=0.05, epochs=3, patience=2)
    finished = list(Trainer(learning, tiny_dataset).run())[-1]
    assert isinstance(finished, RunFinished) and not finished.stopped_early
