"""The wheel a user installs carries the bundled data (Fashion-MNIST, the MNIST sample) and the
`lenet-tui` command."""

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_the_data_and_trains_offline_from_it(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(tmp_path)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("lenet_tui-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
        names = set(archive.namelist())
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt")))
    assert b"lenet-tui = lenet_tui.cli:main" in entry_points
    for stem in ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"):
        assert f"lenet_tui/assets/{stem}-ubyte.gz" in names
        assert f"lenet_tui/assets/mnist/{stem}-ubyte.gz" in names
    code = (
        "from lenet_tui.engine.data import bundled_data_dir, load_dataset\n"
        "d = load_dataset()\n"
        "print(bundled_data_dir())\n"
        "print(len(d.train_labels), len(d.test_labels))\n"
        "m = load_dataset(dataset='mnist')\n"
        "print(bundled_data_dir('mnist'))\n"
        "print(m.name, len(m.train_labels), len(m.test_labels), m.classes[9])\n"
        "print(m.description)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(site)},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    folder, counts, mnist_folder, mnist, description = out.stdout.splitlines()
    assert Path(folder) == site / "lenet_tui" / "assets"  # not the checkout's assets/
    assert counts == "60000 10000"
    assert Path(mnist_folder) == site / "lenet_tui" / "assets" / "mnist"
    assert mnist == "mnist 8000 2000 9"
    assert "sample" in description and "not the official 70,000" in description


def test_ci_runs_the_readmes_test_command_with_the_pinned_versions():
    readme = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    (command,) = [line for line in readme if "pip install" in line and "-m pytest" in line]
    assert command in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "pip install -c tests/constraints.txt '.[test,ray]'" in command
    lines = (REPO / "tests" / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    for drawn_by in ("textual", "rich", "textual-plotext", "plotext", "pytest-textual-snapshot"):
        assert pins.get(drawn_by), f"{drawn_by} is not pinned"  # the snapshots depend on them
