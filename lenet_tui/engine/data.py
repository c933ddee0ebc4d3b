"""Find, load and download Fashion-MNIST or MNIST as uint8 tensors (torchvision lazily).

A dataset carries where it came from (`DataSource`), which is what a run keeps in its checkpoint
so that a resumed run loads the same data again.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import torch

from lenet_tui.engine.data_source import BUNDLED, CLASSES, TITLES, DataSource
from lenet_tui.engine.idx import read_images, read_labels
from lenet_tui.errors import DataError
from lenet_tui.files import kind, read_regular

CLASS_NAMES: tuple[str, ...] = CLASSES["fashion-mnist"]

# Key -> file name without .gz, as published and as torchvision stores them.
IDX_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
BUNDLED_SOURCE = "bundled Fashion-MNIST (re-split 60,000/10,000; not the official test set)"
BUNDLED_MNIST_SOURCE = (
    "bundled MNIST sample (10,000 digits re-split 8,000/2,000; not the official 70,000)"
)


@dataclass(frozen=True)
class _Kind:
    """What differs between the datasets besides their classes: where the files lie."""

    folder: str
    """torchvision's class for the dataset, and the folder it keeps the raw files in, under
    its root (FashionMNIST/raw, MNIST/raw)."""
    bundled: tuple[str, ...]
    """The bundled copy's folder under assets/."""
    bundled_description: str


_KINDS: dict[str, _Kind] = {
    "fashion-mnist": _Kind("FashionMNIST", (), BUNDLED_SOURCE),
    "mnist": _Kind("MNIST", ("mnist",), BUNDLED_MNIST_SOURCE),
}

# The md5 of label files known to belong to one dataset -- the official ones (torchvision's .gz)
# and the bundled ones (.gz and unpacked) -- so that a folder of one is not trained on under the
# other's class names: both use the same four file names.
_KNOWN_LABELS: dict[str, tuple[str, str]] = {
    "25c81989df183df01b3e8a0aad5dffbe": ("fashion-mnist", "the official Fashion-MNIST"),
    "bb300cfdad3c16e7a12a480ee83cd310": ("fashion-mnist", "the official Fashion-MNIST"),
    "a68bf29d22c4b4e4db70e179daecf032": ("fashion-mnist", "the bundled Fashion-MNIST"),
    "522bee6be7fff309962b9852351f695d": ("fashion-mnist", "the bundled Fashion-MNIST"),
    "6c0e1c285256892e5658d7f67ad6d05d": ("fashion-mnist", "the bundled Fashion-MNIST"),
    "54a25119f9019e55c902786a0ea28097": ("fashion-mnist", "the bundled Fashion-MNIST"),
    "d53e105ee54ea40749a09fcbcd1e9432": ("mnist", "the official MNIST"),
    "ec29112dd5afa0611ce80d1b7f02629c": ("mnist", "the official MNIST"),
    "d40f5f37cc9eb2b31414bcbbdb03575d": ("mnist", "the bundled MNIST sample"),
    "67711ab774936a8eb230b78afa9cf44b": ("mnist", "the bundled MNIST sample"),
    "bb15a801b8f5d2f03f9511efcaff69af": ("mnist", "the bundled MNIST sample"),
    "94ca99f8ee3edd4f05d1cd8be0f6cf0f": ("mnist", "the bundled MNIST sample"),
}
_MAX_LABELS_BYTES = 1 << 20  # the largest known label file is 60,008 bytes


def _kind(dataset: str) -> _Kind:
    if dataset not in _KINDS:
        raise ValueError(f"unknown dataset {dataset!r}; use one of {', '.join(_KINDS)}")
    return _KINDS[dataset]


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


def _locate(data_dir: Path, dataset: str = "fashion-mnist") -> dict[str, Path]:
    """The IDX files present in data_dir or data_dir/<FashionMNIST|MNIST>/raw, plain before .gz.

    A FIFO, a device, a folder or a broken link under a file's name is a DataError naming it,
    not a missing file (reading it would hang or fail later, less clearly).
    """
    found: dict[str, Path] = {}
    for key, name in IDX_FILES.items():
        for place in (data_dir, data_dir / _kind(dataset).folder / "raw"):
            hits = [place / n for n in (name, name + ".gz") if _present(place / n)]
            if hits:
                found[key] = hits[0]
                break
    return found


def _present(path: Path) -> bool:
    """Whether a file is at path; DataError if something else is (OSError if it is unreadable)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        if os.path.lexists(path):
            raise DataError(f"{path}: is a broken symbolic link; {_FOLDER_FIX}") from None
        return False
    if not stat.S_ISREG(mode):
        raise DataError(f"{path}: is {kind(mode)}, not a file; {_FOLDER_FIX}")
    return True


_FOLDER_FIX = "put the IDX file there or pass another --data-dir"


def bundled_data_dir(dataset: str = "fashion-mnist") -> Path:
    """The bundled files: lenet_tui/assets in a wheel, else <repo>/assets in a checkout.

    Fashion-MNIST lies in assets/ itself, the MNIST sample in assets/mnist/.
    """
    package = Path(__file__).resolve().parent.parent
    packaged = package.joinpath("assets", *_kind(dataset).bundled)
    if len(_locate(packaged, dataset)) == len(IDX_FILES):
        return packaged
    return package.parent.joinpath("assets", *_kind(dataset).bundled)


def find_idx_files(data_dir: Path, dataset: str = "fashion-mnist") -> dict[str, Path]:
    """Map train_images, train_labels, test_images, test_labels to their files in data_dir.

    Looks in data_dir and in torchvision's layout under it (FashionMNIST/raw or MNIST/raw), and
    refuses label files known to be the other dataset's.
    """
    data_dir = Path(data_dir)
    _kind(dataset)
    try:
        if not data_dir.exists():
            raise DataError(f"{data_dir}: folder does not exist; pass an existing --data-dir")
        if not data_dir.is_dir():
            raise DataError(f"{data_dir}: is not a folder; pass the folder holding the IDX files")
        found = _locate(data_dir, dataset)
        if not found:
            raise DataError(_nothing_found(data_dir, dataset))
    except OSError as e:  # permission denied, name too long, ...
        raise DataError(
            f"{data_dir}: cannot read the folder ({e.strerror or e}); pass another --data-dir"
        ) from None
    missing = [name for key, name in IDX_FILES.items() if key not in found]
    if missing:
        raise DataError(
            f"{data_dir}: missing {', '.join(missing)} (plain or .gz; found "
            f"{', '.join(p.name for p in found.values())}); add the missing files "
            "or pass another --data-dir"
        )
    _refuse_the_other_dataset(found, dataset)
    return found


def _nothing_found(data_dir: Path, dataset: str) -> str:
    """Where find_idx_files looked, and the other dataset's folder if that is what is there."""
    raw = data_dir / _kind(dataset).folder / "raw"
    names = ", ".join(IDX_FILES.values())
    looked = (
        f"{data_dir}: no {TITLES[dataset]} IDX files found (looked for {names}, plain or .gz, "
        f"in {data_dir} and {raw})"
    )
    for other in _KINDS:
        if other != dataset and _locate(data_dir, other):
            return (
                f"{looked}; {data_dir / _KINDS[other].folder / 'raw'} holds {TITLES[other]}: "
                f"pass --dataset {other} to train on it, or put the {TITLES[dataset]} files "
                f"in {raw} or pass another --data-dir"
            )
    return f"{looked}; put the four files there or pass another --data-dir"


def _refuse_the_other_dataset(files: dict[str, Path], dataset: str) -> None:
    """Raise DataError if a label file is one known to be the other dataset's."""
    for key in ("train_labels", "test_labels"):
        known = _KNOWN_LABELS.get(_small_file_md5(files[key]) or "")
        if known is not None and known[0] != dataset:
            other, copy = known
            raise DataError(
                f"{files[key]}: holds the labels of {copy}, not {TITLES[dataset]}; pass "
                f"--dataset {other} to train on it, or another --data-dir with the "
                f"{TITLES[dataset]} files"
            )


def _small_file_md5(path: Path) -> str | None:
    """The md5 of a file of at most 1 MiB; None for a larger or unreadable one (read later)."""
    try:
        if path.stat().st_size > _MAX_LABELS_BYTES:
            return None
        return hashlib.md5(read_regular(path, _MAX_LABELS_BYTES, "a label file")).hexdigest()
    except OSError:  # not a file after all, unreadable, or grown meanwhile: read (and named) later
        return None


def _load_split(images_path: Path, labels_path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = read_images(images_path), read_labels(labels_path)
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
            "labels; both files must come from the same split: re-download the dataset "
            "or pass another --data-dir"
        )
    return images, labels


def load_dataset(source: DataSource = BUNDLED, dataset: str = "fashion-mnist") -> Dataset:
    """Load Fashion-MNIST or MNIST: bundled by default, from a folder, or downloaded.

    The bundled MNIST is a 10,000-digit sample, not the official 70,000; the download (into
    the folder if one is given, else the user cache) is the official set.
    """
    kind = _kind(dataset)
    if source.download:
        raw = download_official(source.data_dir, dataset)
        # Exactly the md5-checked .gz files: never a stale unpacked copy lying beside them.
        files = {key: raw / f"{name}.gz" for key, name in IDX_FILES.items()}
        description = f"official {TITLES[dataset]} downloaded to {raw}"
    elif source.data_dir is None:
        files = find_idx_files(bundled_data_dir(dataset), dataset)
        description = kind.bundled_description
    else:
        files = find_idx_files(Path(source.data_dir), dataset)
        description = str(source.data_dir)
    return _load_files(files, description, source, dataset)


def _load_files(
    files: dict[str, Path], description: str, source: DataSource, dataset: str
) -> Dataset:
    train_images, train_labels = _load_split(files["train_images"], files["train_labels"])
    test_images, test_labels = _load_split(files["test_images"], files["test_labels"])
    return Dataset(
        train_images,
        train_labels,
        test_images,
        test_labels,
        description,
        source.resolved(),
        dataset,
        CLASSES[dataset],
    )


def default_download_root(dataset: str = "fashion-mnist") -> Path:
    """Where download_official puts a dataset unless told otherwise (the user cache)."""
    _kind(dataset)
    return Path(platformdirs.user_cache_dir("lenet-tui")) / dataset


def download_official(root: Path | None = None, dataset: str = "fashion-mnist") -> Path:
    """Download the official dataset with torchvision; return the folder of raw files.

    The files go to root/FashionMNIST/raw or root/MNIST/raw, as torchvision lays them out.
    """
    kind = _kind(dataset)
    root = Path(root) if root is not None else default_download_root(dataset)
    raw = root / kind.folder / "raw"
    try:
        import torchvision.datasets
        from torchvision.datasets.utils import download_url

        official = getattr(torchvision.datasets, kind.folder)
        for filename, md5 in official.resources:
            failures = []
            for mirror in official.mirrors:
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
            f"download of {TITLES[dataset]} failed: {reason}; check the network or use "
            "--data-dir DIR"
        ) from e
    return raw
