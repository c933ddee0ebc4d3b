"""The IDX reader accepts good files exactly and turns every bad one into a one-line DataError."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lenet_tui.engine.data import IDX_FILES, bundled_data_dir
from lenet_tui.engine.idx import read_idx, read_images, read_labels, write_idx
from lenet_tui.errors import DataError


def idx_bytes(shape: tuple[int, ...], payload: bytes | None = None, type_byte: int = 8) -> bytes:
    """Raw IDX bytes: header for shape, then payload (by default the right number of bytes)."""
    if payload is None:
        payload = bytes(i % 251 for i in range(int(torch.Size(shape).numel())))
    header = bytes([0, 0, type_byte, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
    return header + payload


def put(path: Path, data: bytes) -> Path:
    """Write data to path, gzipped if the name ends in .gz."""
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
    return path


def assert_one_line_error(exc: pytest.ExceptionInfo[DataError], path: Path, *words: str) -> None:
    message = str(exc.value)
    assert "\n" not in message
    assert str(path) in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


@pytest.mark.parametrize("name", ["x-images-idx3-ubyte", "x-images-idx3-ubyte.gz"])
def test_images_round_trip_plain_and_gz(tmp_path: Path, name: str) -> None:
    images = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8)
    write_idx(tmp_path / name, images)
    back = read_images(tmp_path / name)
    assert back.dtype == torch.uint8
    assert torch.equal(back, images)


def test_gz_file_really_is_gzip_and_plain_is_not(tmp_path: Path) -> None:
    labels = torch.tensor([3, 1, 4, 1, 5, 9], dtype=torch.uint8)
    write_idx(tmp_path / "l.gz", labels)
    write_idx(tmp_path / "l", labels)
    assert (tmp_path / "l.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "l").read_bytes() == idx_bytes((6,), bytes([3, 1, 4, 1, 5, 9]))
    assert read_labels(tmp_path / "l.gz").tolist() == [3, 1, 4, 1, 5, 9]


def test_non_contiguous_tensor_is_written_as_seen(tmp_path: Path) -> None:
    base = torch.arange(60, dtype=torch.uint8).reshape(6, 10)
    view = base[1:4, ::2]  # offset and strided
    write_idx(tmp_path / "v", view)
    assert torch.equal(read_idx(tmp_path / "v"), view)


def test_write_idx_rejects_what_it_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_idx(tmp_path / "f", torch.zeros(3, dtype=torch.float32))
    with pytest.raises(ValueError):
        write_idx(tmp_path / "f", torch.zeros(1, 1, 1, 1, dtype=torch.uint8))


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    shape=st.lists(st.integers(1, 7), min_size=1, max_size=3).map(tuple),
    gz=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_any_small_tensor_round_trips(
    tmp_path: Path, shape: tuple[int, ...], gz: bool, seed: int
) -> None:
    t = torch.randint(
        0, 256, shape, generator=torch.Generator().manual_seed(seed), dtype=torch.uint8
    )
    path = tmp_path / ("t.gz" if gz else "t")
    write_idx(path, t)
    assert torch.equal(read_idx(path), t)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=64))
def test_arbitrary_bytes_never_crash_the_reader(tmp_path: Path, data: bytes) -> None:
    path = put(tmp_path / "junk", data)
    try:
        t = read_idx(path)
    except DataError as e:
        assert "\n" not in str(e) and str(path) in str(e)
    else:  # only a well-formed file may come back, and then it is exactly its payload
        assert t.dtype == torch.uint8 and 4 + 4 * t.dim() + t.numel() == len(data)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.binary(max_size=64) | st.builds(lambda d: idx_bytes((1, 28, 28))[:16] + d, st.binary()),
    name=st.sampled_from(["junk.gz", "junk"]),
    compress=st.booleans(),
    reader=st.sampled_from([read_idx, read_images, read_labels]),
)
def test_arbitrary_bytes_plain_or_gzipped_only_ever_raise_data_error(
    tmp_path: Path, data: bytes, name: str, compress: bool, reader
) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    try:
        reader(path)
    except DataError as e:
        assert "\n" not in str(e) and str(path) in str(e)


BAD_CASES = {
    # name: (raw bytes, reader, words the message must contain)
    "bad magic": (b"\x01\x02" + idx_bytes((2, 28, 28))[2:], read_idx, ["magic"]),
    "float type byte": (idx_bytes((4,), bytes(16), type_byte=0x0D), read_idx, ["type", "0x0d"]),
    "four dimensions": (idx_bytes((1, 1, 1, 1)), read_idx, ["4 dimensions"]),
    "labels read as images": (idx_bytes((3,), bytes(3)), read_images, ["2051", "2049"]),
    "images read as labels": (idx_bytes((2, 28, 28)), read_labels, ["2049", "2051"]),
    "32x32 images": (idx_bytes((2, 32, 32)), read_images, ["32x32", "28x28"]),
    "payload too short": (idx_bytes((2, 28, 28))[:-10], read_idx, ["truncated", "1558 of 1568"]),
    "trailing bytes": (idx_bytes((2, 28, 28)) + b"\0\0", read_idx, ["trailing"]),
    "header cut short": (idx_bytes((2, 28, 28))[:10], read_idx, ["header", "10 of 16"]),
    "three-byte file": (b"\0\0\x08", read_idx, ["too short", "3 of 4"]),
    "empty file": (b"", read_idx, ["empty"]),
    "label 12": (idx_bytes((5,), bytes([1, 9, 0, 12, 3])), read_labels, ["label 12", "index 3"]),
    "no images": (idx_bytes((0, 28, 28)), read_images, ["no images"]),
}


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_file_gives_one_line_data_error(tmp_path: Path, case: str, gz: bool) -> None:
    data, reader, words = BAD_CASES[case]
    path = put(tmp_path / ("t10k-labels-idx1-ubyte" + (".gz" if gz else "")), data)
    with pytest.raises(DataError) as exc:
        reader(path)
    assert_one_line_error(exc, path, *words, "--data-dir")


def test_truncated_gzip_stream(tmp_path: Path) -> None:
    whole = gzip.compress(idx_bytes((50, 28, 28)), mtime=0)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError) as exc:
        read_idx(path)
    assert_one_line_error(exc, path, "truncated gzip stream")


def test_gzip_with_flipped_bytes_mid_stream(tmp_path: Path) -> None:
    whole = bytearray(gzip.compress(idx_bytes((50, 28, 28)), mtime=0))
    middle = len(whole) // 2
    whole[middle : middle + 4] = bytes(b ^ 0xFF for b in whole[middle : middle + 4])
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(bytes(whole))
    with pytest.raises(DataError) as exc:
        read_images(path)
    assert_one_line_error(exc, path, "gzip")


def test_gzip_data_under_a_plain_name_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(gzip.compress(idx_bytes((3,), bytes(3))))
    with pytest.raises(DataError) as exc:
        read_labels(path)
    assert_one_line_error(exc, path, "gzip-compressed", ".gz")


def test_plain_data_under_a_gz_name(tmp_path: Path) -> None:
    path = put(tmp_path / "labels", idx_bytes((3,), bytes(3))).rename(tmp_path / "labels.gz")
    with pytest.raises(DataError) as exc:
        read_labels(path)
    assert_one_line_error(exc, path, "gzip")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.gz"
    with pytest.raises(DataError) as exc:
        read_idx(path)
    assert_one_line_error(exc, path, "cannot read")


def test_bundled_assets_are_balanced_60000_and_10000() -> None:
    folder = bundled_data_dir()
    for split, n in (("train", 60000), ("test", 10000)):
        images = read_images(folder / (IDX_FILES[f"{split}_images"] + ".gz"))
        labels = read_labels(folder / (IDX_FILES[f"{split}_labels"] + ".gz"))
        assert images.shape == (n, 28, 28)
        assert torch.bincount(labels.long(), minlength=10).tolist() == [n // 10] * 10
        assert 0 < images.float().mean() < 255  # real pictures, not a blank or saturated file
