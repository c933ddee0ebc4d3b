"""Where the net errs: the test set's confusion matrix, per-class accuracy and their CSV files."""

import csv
import math

import pytest
import torch
from torch import nn

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.confusion import per_class
from lenet_tui.engine.data import CLASS_NAMES
from lenet_tui.engine.evaluation import EVAL_BATCH_SIZE, evaluate
from lenet_tui.engine.events import EpochEnd
from lenet_tui.engine.training import Trainer
from lenet_tui.runs.class_results import write_class_results

QUICK = TrainConfig(
    lr=0.05, epochs=2, batch_size=32, device="cpu", seed=7,
    model=ModelConfig(activation="relu", pooling="max"),
)  # fmt: skip


class Oracle(nn.Module):
    """Reads the label hidden in pixel (0, 0) and answers `answers[label]`, with certainty."""

    def __init__(self, answers: list[int]) -> None:
        super().__init__()
        self.answers = torch.tensor(answers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        labels = x[:, 0, 0, 0].long()
        return 10.0 * nn.functional.one_hot(self.answers[labels], 10).float()


def labelled_images(labels: torch.Tensor) -> torch.Tensor:
    x = torch.zeros(len(labels), 1, 28, 28)
    x[:, 0, 0, 0] = labels.float()
    return x


def test_each_epochs_matrix_counts_the_test_set_and_its_diagonal_is_the_test_acc(tiny_dataset):
    ends = [e for e in Trainer(QUICK, tiny_dataset).run() if isinstance(e, EpochEnd)]
    test_counts = torch.bincount(tiny_dataset.test_labels.long(), minlength=10).tolist()
    assert len(ends) == 2
    for end in ends:
        assert len(end.confusion) == 10 and all(len(row) == 10 for row in end.confusion)
        assert sum(map(sum, end.confusion)) == len(tiny_dataset.test_labels) == 128
        assert [sum(row) for row in end.confusion] == test_counts  # rows are the true classes
        assert sum(end.confusion[c][c] for c in range(10)) / 128 == end.test_acc
    assert ends[0].confusion != ends[1].confusion  # the second epoch's own pass


def test_per_class_accuracy_of_a_net_whose_answers_are_known():
    # 1,100 images over two evaluation batches; no test image of class 9.
    labels = torch.arange(1100) % 9
    answers = [0, 2, 2, 3, 4, 5, 6, 7, 8, 9]  # class 1 is always taken for a 2
    loss, acc, confusion = evaluate(Oracle(answers), labelled_images(labels), labels)
    assert len(labels) > EVAL_BATCH_SIZE
    per_label = torch.bincount(labels, minlength=10).tolist()
    assert confusion[0][0] == per_label[0] and sum(confusion[0]) == per_label[0]
    assert confusion[1][2] == per_label[1] and confusion[1][1] == 0
    assert acc == pytest.approx(1 - per_label[1] / 1100)
    accuracies = EpochEnd(1, 0, 0, loss, acc, 1, 1, confusion).per_class_acc
    assert accuracies[:3] == (1.0, 0.0, 1.0) and math.isnan(accuracies[9])
    results = per_class(confusion, CLASS_NAMES)
    assert (results[1].confused_with, results[1].confused_count) == ("Pullover", per_label[1])
    assert results[0].confused_with is None and results[0].confused_count == 0
    assert results[0].name == "T-shirt/top" and results[0].accuracy == 1.0


def test_the_matrix_and_per_class_accuracy_are_written_as_csv(tmp_path):
    confusion = ((5, 1, 0), (0, 0, 3), (2, 0, 2))
    matrix, table = write_class_results(tmp_path, confusion, ("cat", "dog", "owl"))
    rows = list(csv.reader(matrix.open()))
    assert rows[0] == ["true \\ predicted", "cat", "dog", "owl"]
    assert rows[2] == ["dog", "0", "0", "3"]
    assert list(csv.DictReader(table.open()))[1] == {
        "class": "dog", "test_images": "3", "correct": "0", "accuracy": "0.0000",
        "most_confused_with": "owl", "confused_count": "3",
    }  # fmt: skip
    # a tie for the most frequent mistake names the lower class
    tied = per_class(((1, 2, 2), (0, 1, 0), (0, 0, 1)), ("cat", "dog", "owl"))
    assert tied[0].confused_with == "dog"
