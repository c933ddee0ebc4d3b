"""Find, load and download Fashion-MNIST as uint8 tensors (torchvision is imported lazily).

A dataset carries where it came from (`DataSource`), which is what a run keeps in its checkpoint
so that a resumed run loads the same data again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs
import torch

from lenet_tui.engine.data_source import BUNDLED, DataSource
from lenet_tui.engine.idx import read_images, read_labels
from lenet_tui.errors import DataError

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# Key -> file name without .gz, as published and as torchvision stores them.
IDX_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
BUNDLED_SOURCE = "bundled Fashion-MNIST (re-split 60,000/10,000; not the official test set)"


@dataclass(frozen=True, eq=False)
class Dataset:
    """The four tensors of a dataset, one human line saying what they are, and their source."""

    train_images: torch.Tensor  # (N, 28, 28) uint8
    train_labels: torch.Tensor  # (N,) uint8, 0..9
    test_images: torch.Tensor  # (M, 28, 28) uint8
    test_labels: torch.Tensor  # (M,) uint8, 0..9
    description: str
    """Where the images came from, for the user (the bundled copy says it is re-split)."""
    origin: DataSource = BUNDLED
    """The source to load them from again (its folder absolute), as a checkpoint keeps it."""
    name: str = "fashion-mnist"
    """Which dataset this is: fashion-mnist or mnist (TrainConfig.dataset)."""
    classes: tuple[str, ...] = CLASS_NAMES
    """The name of each label, 0 to 9."""


def _locate(data_dir: Path) -> dict[str, Path]:
    """The IDX files present in data_dir or data_dir/FashionMNIST/raw, plain before .gz."""
    found: dict[str, Path] = {}
    for key, name in IDX_FILES.items():
        for place in (data_dir, data_dir / "FashionMNIST" / "raw"):
            hits = [place / n for n in (name, name + ".gz") if (place / n).is_file()]
            if hits:
                found[key] = hits[0]
                break
    return found


def bundled_data_dir() -> Path:
    """The bundled files: lenet_tui/assets in a wheel, else <repo>/assets in a checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "assets"
    if len(_locate(packaged)) == len(IDX_FILES):
        return packaged
    return package.parent / "assets"


def find_idx_files(data_dir: Path) -> dict[str, Path]:
    """Map train_images, train_labels, test_images, test_labels to their files in data_dir."""
    data_dir = Path(data_dir)
    try:
        if not data_dir.exists():
            raise DataError(f"{data_dir}: folder does not exist; pass an existing --data-dir")
        if not data_dir.is_dir():
            raise DataError(f"{data_dir}: is not a folder; pass the folder holding the IDX files")
        found = _locate(data_dir)
    except OSError as e:  # permission denied, name too long, ...
        raise DataError(
            f"{data_dir}: cannot read the folder ({e.strerror or e}); pass another --data-dir"
        ) from None
    if not found:
        names = ", ".join(IDX_FILES.values())
        raise DataError(
            f"{data_dir}: no Fashion-MNIST IDX files found (looked for {names}, plain or .gz, "
            f"in {data_dir} and {data_dir / 'FashionMNIST' / 'raw'}); "
            "put the four files there or pass another --data-dir"
        )
    missing = [name for key, name in IDX_FILES.items() if key not in found]
    if missing:
        raise DataError(
            f"{data_dir}: missing {', '.join(missing)} (plain or .gz; found "
            f"{', '.join(p.name for p in found.values())}); add the missing files "
            "or pass another --data-dir"
        )
    return found


def _load_split(images_path: Path, labels_path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = read_images(images_path), read_labels(labels_path)
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
            "labels; both files must come from the same split: re-download the dataset "
            "or pass another --data-dir"
        )
    return images, labels


def load_dataset(source: DataSource = BUNDLED) -> Dataset:
    """Load Fashion-MNIST: bundled by default, from a folder, or downloaded (into the folder)."""
    if source.download:
        raw = download_official(source.data_dir)
        # Exactly the md5-checked .gz files: never a stale unpacked copy lying beside them.
        files = {key: raw / f"{name}.gz" for key, name in IDX_FILES.items()}
        return _load_files(files, f"official Fashion-MNIST downloaded to {raw}", source)
    if source.data_dir is None:
        return _load_files(find_idx_files(bundled_data_dir()), BUNDLED_SOURCE, source)
    return _load_files(find_idx_files(Path(source.data_dir)), str(source.data_dir), source)


def _load_files(files: dict[str, Path], description: str, source: DataSource) -> Dataset:
    train_images, train_labels = _load_split(files["train_images"], files["train_labels"])
    test_images, test_labels = _load_split(files["test_images"], files["test_labels"])
    return Dataset(
        train_images, train_labels, test_images, test_labels, description, source.resolved()
    )


def default_download_root() -> Path:
    """Where download_official puts the data unless told otherwise (the user cache)."""
    return Path(platformdirs.user_cache_dir("lenet-tui")) / "fashion-mnist"


def download_official(root: Path | None = None) -> Path:
    """Download the official Fashion-MNIST with torchvision; return the folder of raw files."""
    root = Path(root) if root is not None else default_download_root()
    raw = root / "FashionMNIST" / "raw"
    try:
        from torchvision.datasets import FashionMNIST as Official
        from torchvision.datasets.utils import download_url

        for filename, md5 in Official.resources:
            failures = []
            for mirror in Official.mirrors:
                try:  # skips a file already there with the right md5, re-fetches a broken one
                    download_url(f"{mirror}{filename}", str(raw), filename, md5)
                    break
                except Exception as e:
                    failures.append(f"{mirror}{filename}: {e}")
            else:
                raise RuntimeError("; ".join(failures))
    except Exception as e:  # network, HTTP, md5, disk: torchvision raises many kinds
        reason = " ".join(str(e).split()) or type(e).__name__
        if len(reason) > 300:
            reason = reason[:297] + "..."
        raise DataError(
            f"download of Fashion-MNIST failed: {reason}; check the network or use --data-dir DIR"
        ) from e
    return raw
