"""Atomic writes: whatever stops a write midway, the previous version stays readable."""

from __future__ import annotations

import pytest

from lenet_tui.runs import atomic
from lenet_tui.runs.atomic import write_text_atomic


@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_a_write_stopped_midway_keeps_the_old_file_and_leaves_no_temporary(
    where, tmp_path, monkeypatch
):
    path = tmp_path / "config.toml"
    write_text_atomic(path, "lr = 0.9\n")

    def stopped(*args):
        raise KeyboardInterrupt  # a second Ctrl-C at the worst moment

    monkeypatch.setattr(atomic.os, where, stopped)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(path, "lr = 0.1\n")
    monkeypatch.undo()
    assert path.read_text() == "lr = 0.9\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]
    write_text_atomic(path, "lr = 0.1\n")
    assert path.read_text() == "lr = 0.1\n"
