"""Strict reader and small writer for uint8 IDX files, the (Fashion-)MNIST file format."""

from __future__ import annotations

import gzip
import io
import math
import struct
import zlib
from pathlib import Path

import torch

from lenet_tui.errors import DataError
from lenet_tui.files import open_regular

IMAGES_MAGIC = 2051  # 0x00000803: uint8, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: uint8, 1 dimension
IMAGE_SIZE = 28
NUM_CLASSES = 10
_UINT8 = 0x08
_MAX_PAYLOAD = 1 << 30  # bytes; a header claiming more is corrupt, not a dataset
MAX_FILE = _MAX_PAYLOAD + (1 << 20)
"""The largest IDX file read, plain or gzipped: the largest payload, its header, gzip's framing."""
_CHUNK = 1 << 20
_FIX = "re-download the dataset or pass another --data-dir"


def _error(path: Path, problem: str) -> DataError:
    """A one-line DataError naming the file, the problem and the way out."""
    return DataError(f"{path}: {problem}; {_FIX}".replace("\n", " "))


def _read_payload(f: io.BufferedIOBase, size: int) -> bytearray:
    """Up to `size` bytes of f, read in chunks so that a lying header cannot claim memory."""
    buf = bytearray()
    while len(buf) < size and (chunk := f.read(min(_CHUNK, size - len(buf)))):
        buf += chunk
    return buf


def _parse(path: Path, f: io.BufferedIOBase, expected_magic: int | None) -> torch.Tensor:
    dims = _read_header(path, f, expected_magic)
    size = math.prod(dims)
    shape = "x".join(map(str, dims))
    if size > _MAX_PAYLOAD:
        raise _error(path, f"IDX header claims an implausible {shape} payload ({size} bytes)")
    buf = _read_payload(f, size)
    if len(buf) < size:
        raise _error(path, f"truncated: {len(buf)} of {size} payload bytes for shape {shape}")
    if f.read(1):
        raise _error(path, f"trailing bytes after the {size}-byte payload for shape {shape}")
    if size == 0:
        return torch.empty(dims, dtype=torch.uint8)
    return torch.frombuffer(buf, dtype=torch.uint8).reshape(dims)


def _read_header(path: Path, f: io.BufferedIOBase, expected_magic: int | None) -> tuple[int, ...]:
    """The dimensions an IDX header gives, after checking its magic number and data type."""
    head = f.read(4)
    if not head:
        raise _error(path, "empty file")
    if len(head) < 4:
        raise _error(path, f"file too short for an IDX header ({len(head)} of 4 bytes)")
    if head[:2] == b"\x1f\x8b":
        raise _error(path, "file is gzip-compressed but its name does not end in .gz")
    if head[0] or head[1]:
        raise _error(path, f"not an IDX file (bad magic number 0x{head.hex()})")
    if head[2] != _UINT8:
        raise _error(path, f"unsupported IDX data type 0x{head[2]:02x} (only 0x08, uint8)")
    ndim = head[3]
    magic = int.from_bytes(head, "big")
    if expected_magic is not None and magic != expected_magic:
        kind = {IMAGES_MAGIC: "image", LABELS_MAGIC: "label"}[expected_magic]
        raise _error(path, f"not an IDX {kind} file (magic {magic}, expected {expected_magic})")
    if not 1 <= ndim <= 3:
        raise _error(path, f"IDX header claims {ndim} dimensions (expected 1 to 3)")
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise _error(path, f"IDX header truncated ({4 + len(raw_dims)} of {4 + 4 * ndim} bytes)")
    return struct.unpack(f">{ndim}I", raw_dims)


def read_idx(path: Path, expected_magic: int | None = None) -> torch.Tensor:
    """Read a plain or gzipped (name ends in .gz) uint8 IDX file into a tensor of its shape.

    With expected_magic, a file of another kind is refused from its header alone.
    """
    path = Path(path)
    try:
        with open_regular(path, MAX_FILE, "an IDX file") as raw:
            if path.name.endswith(".gz"):
                with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                    return _parse(path, f, expected_magic)
            return _parse(path, raw, expected_magic)
    except EOFError:
        raise _error(path, "truncated gzip stream (file ends early)") from None
    except (gzip.BadGzipFile, zlib.error) as e:
        raise _error(path, f"corrupt gzip stream ({e})") from None
    except OSError as e:  # a FIFO, a folder, a device or a huge file is refused unread
        raise _error(path, f"cannot read file ({e.strerror or e})") from None


def read_images(path: Path) -> torch.Tensor:
    """Read an IDX image file (magic 2051) of 28x28 images as an (N, 28, 28) uint8 tensor."""
    images = read_idx(path, IMAGES_MAGIC)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        rows, cols = images.shape[1:]
        raise _error(path, f"images are {rows}x{cols}, expected {IMAGE_SIZE}x{IMAGE_SIZE}")
    if images.shape[0] == 0:
        raise _error(path, "file holds no images")
    return images


def read_labels(path: Path) -> torch.Tensor:
    """Read an IDX label file (magic 2049) of class indices 0..9 as an (N,) uint8 tensor."""
    labels = read_idx(path, LABELS_MAGIC)
    if labels.shape[0] == 0:
        raise _error(path, "file holds no labels")
    bad = (labels >= NUM_CLASSES).nonzero()
    if len(bad):
        i = int(bad[0])
        raise _error(path, f"label {int(labels[i])} at index {i} is outside 0..{NUM_CLASSES - 1}")
    return labels


def write_idx(path: Path, tensor: torch.Tensor) -> None:
    """Write a uint8 tensor of 1 to 3 dimensions as IDX, gzipped if the name ends in .gz."""
    if tensor.dtype != torch.uint8 or not 1 <= tensor.dim() <= 3:
        raise ValueError(
            f"write_idx needs a uint8 tensor of 1-3 dims, got {tensor.dtype} {tensor.dim()}-d"
        )
    header = bytes([0, 0, _UINT8, tensor.dim()]) + struct.pack(f">{tensor.dim()}I", *tensor.shape)
    payload = bytes(tensor.detach().cpu().contiguous().clone().untyped_storage())
    path = Path(path)
    if path.name.endswith(".gz"):
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(header + payload)
    else:
        path.write_bytes(header + payload)
