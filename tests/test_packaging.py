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
