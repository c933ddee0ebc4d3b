"""`--ray` refused in one line, exit 2, before anything is written: where Ray is not installed,
for a bad --ray-* flag, and for a cluster address where nothing answers (at once, not after
ray.init's minutes of retries)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from ray_helpers import cli

GRID = ["--no-ui", "--grid", "pooling=avg,max", "--epochs", "1", "--device", "cpu"]

WITHOUT_RAY = """
import importlib.abc, sys

class HideRay(importlib.abc.MetaPathFinder):
    '''Every finder, blind to ray: as if the extra were not installed.'''
    def __init__(self, finder):
        self.finder = finder
    def find_spec(self, name, path=None, target=None):
        if name == "ray" or name.startswith("ray."):
            return None
        return self.finder.find_spec(name, path, target)
    def invalidate_caches(self):
        getattr(self.finder, "invalidate_caches", lambda: None)()

sys.meta_path[:] = [HideRay(f) for f in sys.meta_path if hasattr(f, "find_spec")]
from lenet_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_ray_without_the_extra_says_how_to_install_it_in_one_line_and_writes_nothing(
    tiny_data_dir, tmp_path, runs_dir
):
    folder = tmp_path / "grid"
    args = [*GRID, "--data-dir", tiny_data_dir, "--run-dir", folder, "--ray"]
    command = [sys.executable, "-c", WITHOUT_RAY, *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "lenet-tui: --ray needs Ray, which is not installed: pip install 'lenet-tui[ray]' "
        "(or pip install ray)\n"
    )
    assert not folder.exists() and not runs_dir.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*GRID, "--ray", "--ray-cpus-per-run", "0"], "--ray-cpus-per-run: must be above 0, got 0"),
        ([*GRID, "--ray", "--ray-retries", "-1"], "--ray-retries: must be 0 or more, got -1"),
        ([*GRID, "--ray-retries", "1"], "--ray-retries set how a grid runs on Ray; add --ray"),
        (["--no-ui", "--ray"], "--ray trains the runs of a grid; add --grid SPEC"),
        ([*GRID, "--ray", "10.0.0.5"], "--ray: must be local, auto or the head's host:port"),
    ],
)
def test_a_bad_ray_flag_is_refused_in_one_line(args, message, tmp_path, runs_dir):
    code, out, err = cli(*args, "--run-dir", tmp_path / "grid")
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and message in err, err
    assert not (tmp_path / "grid").exists() and not runs_dir.exists()


@pytest.mark.ray
def test_a_cluster_address_where_nothing_answers_is_refused_at_once(
    local_ray, tiny_data_dir, tmp_path, runs_dir
):
    """Said by lenet-tui's own check of the port: ray.init would retry for over 5 minutes."""
    code, out, err = cli(*GRID, "--data-dir", tiny_data_dir, "--run-dir", tmp_path / "grid",
                         "--ray", "127.0.0.1:1")  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (
        "lenet-tui: cannot start Ray on the cluster at 127.0.0.1:1: nothing answers there "
        "(Connection refused); check the address, or start a head with: ray start --head\n"
    )
    assert not (tmp_path / "grid").exists() and not runs_dir.exists()
