"""The wheel a user installs carries the bundled data and the `lenet-tui` command."""

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
        entry_points = archive.read(
            next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        )
    assert b"lenet-tui = lenet_tui.cli:main" in entry_points
    code = (
        "from lenet_tui.engine.data import bundled_data_dir, load_dataset\n"
        "d = load_dataset()\n"
        "print(bundled_data_dir())\n"
        "print(len(d.train_labels), len(d.test_labels))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(site)},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    folder, counts = out.stdout.splitlines()
    assert Path(folder) == site / "lenet_tui" / "assets"  # not the checkout's assets/
    assert counts == "60000 10000"
