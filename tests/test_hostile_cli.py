"""What a hostile command line can do: names too long, streams closed or full, no terminal, an
edited grid.toml, megabytes of input, a Ray that goes away. One line each, never a traceback,
and a run that can train still trains and keeps its files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_helpers import QUICK, cli, lenet_tui

from lenet_tui.engine.config import TrainConfig
from lenet_tui.runs.grid import Grid

LONG = "n" * 300
"""A path component longer than any file system allows (255 bytes)."""


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


# -- 6. names too long, huge numbers, streams that fail ------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--no-ui", "--run-dir", LONG),
        ("--no-ui", "--run-dir", f"x/{LONG}/y"),
        ("--no-ui", "--config", LONG),
        ("--no-ui", "--resume", LONG),
        ("--no-ui", "--metrics-out", LONG),
        ("--no-ui", "--data-dir", LONG),
        ("--no-ui", "--grid", "lr=0.1,0.2", "--run-dir", LONG),
        ("--export-csv", LONG),
        ("--export-csv", "{run}", "-o", LONG),
        ("--export-csv", "{run}", "-o", f"{LONG}/x.csv"),
        ("--run-dir", LONG),
        ("--resume", LONG),
    ],
    ids=lambda args: " ".join(a for a in args if a != LONG)[:40],
)
def test_a_name_too_long_is_one_line_before_anything_runs(args, tmp_path, monkeypatch):
    from run_folder_fixtures import finished_run

    monkeypatch.chdir(tmp_path)
    run = finished_run(tmp_path, "run", [0.5])
    code, out, err = cli(*(a.replace("{run}", str(run.path)) for a in args))
    assert (code, out) == (2, "")
    assert "too long" in one_line(err) or "more than the 255 a file system allows" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


FULL = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")


@FULL
@pytest.mark.parametrize("how", ["full", "closed"])
def test_stdout_full_or_closed_loses_its_lines_not_the_run(how, tiny_data_dir, tmp_path):
    with open("/dev/full", "w") as full:
        where = {"stdout": full} if how == "full" else {"preexec_fn": lambda: os.close(1)}
        result = lenet_tui("--no-ui", *QUICK, "--data-dir", tiny_data_dir, "--run-dir",
                           tmp_path / "run", **where)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1].startswith("lenet-tui: could not write to stdout (")
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    events = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").open()]
    assert events[-1]["event"] == "run_finished"
    assert (tmp_path / "run" / "checkpoint.pt").is_file()


@FULL
@pytest.mark.parametrize("how", ["full", "closed"])
def test_stderr_full_or_closed_never_stops_the_run(how, tiny_data_dir, tmp_path):
    with open("/dev/full", "w") as full:
        where = {"stderr": full} if how == "full" else {"preexec_fn": lambda: os.close(2)}
        result = lenet_tui("--no-ui", *QUICK, "--data-dir", tiny_data_dir, "--run-dir",
                           tmp_path / "run", **where)  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.splitlines()[-2].startswith("loss ")  # the book's summary
    events = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").open()]
    assert events[-1]["event"] == "run_finished"


# -- 7. an edited grid.toml is checked as the command line is ------------------------------------


def edited_grid(tmp_path: Path, changes: dict[str, str]) -> Path:
    grid = Grid.plan("lr=0.1,0.2", (0, 1), TrainConfig(epochs=1, device="cpu"))
    folder = grid.create(tmp_path / "grid").folder
    text = (folder / "grid.toml").read_text()
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    (folder / "grid.toml").write_text(text)
    return folder


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({'spec = "lr=0.1,0.2"': 'spec = "lr=' + ",".join(f"{i}e-6" for i in range(1, 1001))
          + ' batch-size=' + ",".join(map(str, range(1, 1001))) + '"'},
         "2,000,000 runs (1000 x 1000 combinations x 2 seeds) is more than 256; add --yes"),
        ({"seeds = [0, 1]": "seeds = [0, " + "1234567890" * 5 + "]"},
         "seeds: integers in 0..2**63-1, got an integer of 50 digits"),
        ({"seeds = [0, 1]": "seeds = [0, true]"}, "seeds: integers in 0..2**63-1, got True"),
        ({"seeds = [0, 1]": "seeds = [1, 1]"}, "seeds: integers in 0..2**63-1, each seed once"),
        ({"seeds = [0, 1]": 'seeds = "0,1"'}, "damaged (needs spec, seeds, data_dir and [base]"),
        ({"download = false": "download = false\nextra = 1"}, "unknown keys: 'extra'"),
        ({"download = false": 'download = "yes"'}, "download: must be true or false"),
        ({"epochs = 1": "epochs = 10000"}, "[base]: epochs: must be an integer in 1..1000"),
        ({'device = "cpu"': 'device = "' + "x" * 900_000 + '"'}, "unknown device 'xxxxxx"),
    ],
    ids=["1,000,000 runs", "huge seed", "bool seed", "seed twice", "seeds a string",
         "unknown key", "download a string", "epochs out of range", "900 KB device"],
)  # fmt: skip
def test_resume_checks_an_edited_grid_toml_as_strictly_as_the_command_line(
    changes, message, tmp_path
):
    folder = edited_grid(tmp_path, changes)
    code, out, err = cli("--no-ui", "--resume", folder)
    assert (code, out) == (2, "")
    assert message in one_line(err)
    assert len(err) < 1000  # the megabyte is never echoed
    assert sorted(p.name for p in folder.iterdir()) == ["grid.toml"]


# -- 8. the dashboard needs a terminal -----------------------------------------------------------


@pytest.mark.parametrize("stdin", ["/dev/null", "closed"])
def test_the_dashboard_without_a_terminal_is_refused_in_one_line(stdin):
    redirect = {"preexec_fn": lambda: os.close(0)} if stdin == "closed" else {
        "stdin": subprocess.DEVNULL}  # fmt: skip
    result = lenet_tui("--device", "cpu", timeout=120, **redirect)
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        "lenet-tui: the dashboard needs a terminal, and stdin, stdout and stderr are not one; "
        "run it in a terminal, or train without it with --no-ui\n"
    )


# -- 9. Ray going away mid-grid ------------------------------------------------------------------


def test_a_process_that_ray_ends_at_once_still_says_how_to_go_on():
    """Ray's core worker ends the process with _exit(1) when its raylet dies (no exception, no
    finally): the watcher says the line anyway, and says nothing after a normal end."""
    code = (
        "import os, sys\n"
        "from lenet_tui.headless_ray import said_if_ended_abruptly\n"
        "with said_if_ended_abruptly('resume with: lenet-tui --no-ui --resume G --ray'):\n"
        "    print('training', file=sys.stderr, flush=True)\n"
        "    if sys.argv[1] == 'killed':\n"
        "        os._exit(1)\n"
    )
    for how, said in (("killed", True), ("ended", False)):
        result = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True,
                                timeout=120)  # fmt: skip
        lines = result.stderr.splitlines()
        assert lines == ["training", *(["resume with: lenet-tui --no-ui --resume G --ray"] * said)]
        assert result.returncode == (1 if said else 0)


@pytest.mark.ray
def test_a_ray_error_that_reaches_the_grid_is_one_line_with_the_resume_command(
    local_ray, tiny_data_dir, tmp_path, monkeypatch
):
    from lenet_tui.runs import ray_grid

    def lost(self):
        yield from ()
        raise local_ray.exceptions.RaySystemError("the raylet is gone")

    monkeypatch.setattr(ray_grid.RayGrid, "run", lost)
    folder = tmp_path / "grid"
    code, _, err = cli("--no-ui", "--grid", "lr=0.1,0.2", *QUICK, "--data-dir", tiny_data_dir,
                       "--run-dir", folder, "--ray")  # fmt: skip
    assert code == 1
    assert err.splitlines()[-1] == (
        "lenet-tui: Ray went away while the grid trained (its raylet died, or this process was "
        "killed); the runs in flight keep their last checkpoints; resume the grid with: "
        f"lenet-tui --no-ui --resume {folder} --ray (RaySystemError: System error: the raylet "
        "is gone)"
    )


# -- 10. no message echoes megabytes -------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--no-ui", "--grid", "lr=" + "9" * 100_000),
        ("--no-ui", "--grid", "pooling=" + "x" * 100_000),
        ("--no-ui", "--grid", "x" * 100_000 + "=1"),
        ("--no-ui", "--grid", "lr=" + ",".join(f"{i}e-9" for i in range(1, 50_001))),
        ("--no-ui", "--channels", "6," * 50_000),
        ("--no-ui", "--seeds", "1" * 100_000, "--grid", "lr=1"),
        ("--no-ui", "--seed", "y" * 100_000),
        ("--no-ui", "--device", "z" * 100_000),
        ("--no-ui", "--device", "z " * 50_000),
        ("--no-ui", "--ray", "h o s t" * 20_000, "--grid", "lr=1"),
    ],
    ids=["grid value", "grid choice", "grid setting", "50,000 values", "channels", "seeds",
         "seed", "device", "device in words", "ray address"],
)  # fmt: skip
def test_megabytes_of_input_are_quoted_cut_in_one_line(args):
    code, out, err = cli(*args)
    assert (code, out) == (2, "")
    assert len(one_line(err)) < 400


def test_a_settings_file_of_a_megabyte_is_quoted_cut(tmp_path):
    settings = tmp_path / "s.toml"
    for text in ('device = "' + "d" * 900_000 + '"\n', "lr = " + "[" * 100_000 + "]" * 100_000,
                 'optimizer = "' + "o" * 900_000 + '"\n', 'device = "' + "d " * 400_000 + '"\n',
                 "x" * 900_000 + " = 1\n"):  # fmt: skip
        settings.write_text(text)
        code, _, err = cli("--no-ui", "--config", settings)
        assert code == 2 and len(one_line(err)) < 400
