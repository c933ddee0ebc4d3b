"""Finding, loading and downloading Fashion-MNIST, with errors a user can act on."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from idx_fixtures import make_tiny_dataset, write_dataset

import lenet_tui.engine.data as data
from lenet_tui.engine.data import (
    CLASS_NAMES,
    IDX_FILES,
    Dataset,
    DataSource,
    default_download_root,
    download_official,
    find_idx_files,
    load_dataset,
)
from lenet_tui.engine.idx import write_idx
from lenet_tui.errors import DataError


def one_line(exc: pytest.ExceptionInfo[DataError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def assert_same_data(a: Dataset, b: Dataset) -> None:
    for key in IDX_FILES:
        assert torch.equal(getattr(a, key), getattr(b, key)), key


def test_class_names_are_the_ten_fashion_mnist_classes() -> None:
    assert len(CLASS_NAMES) == 10
    assert CLASS_NAMES[0] == "T-shirt/top" and CLASS_NAMES[9] == "Ankle boot"


@pytest.mark.parametrize("layout", ["flat", "torchvision"])
@pytest.mark.parametrize("gz", [True, False], ids=["gz", "plain"])
def test_find_and_load_both_layouts(tmp_path: Path, layout: str, gz: bool) -> None:
    tiny = make_tiny_dataset(n_train=40, n_test=20)
    written = write_dataset(tmp_path, tiny, gz=gz, layout=layout)  # type: ignore[arg-type]
    assert find_idx_files(tmp_path) == written
    loaded = load_dataset(DataSource(tmp_path))
    assert_same_data(loaded, tiny)
    assert loaded.description == str(tmp_path)


def test_plain_file_preferred_over_gz(tmp_path: Path) -> None:
    tiny = make_tiny_dataset(n_train=20, n_test=10)
    write_dataset(tmp_path, tiny, gz=True)
    plain = write_dataset(tmp_path, tiny, gz=False)
    assert find_idx_files(tmp_path) == plain


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        find_idx_files(tmp_path / "nowhere")
    message = one_line(exc)
    assert str(tmp_path / "nowhere") in message and "does not exist" in message


def test_file_instead_of_folder(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError) as exc:
        load_dataset(DataSource(tmp_path / "f"))
    assert "not a folder" in one_line(exc)


def test_empty_folder_says_what_and_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        find_idx_files(tmp_path)
    message = one_line(exc)
    assert "no Fashion-MNIST IDX files" in message
    assert all(name in message for name in IDX_FILES.values())
    assert str(tmp_path / "FashionMNIST" / "raw") in message


def test_partial_set_names_the_missing_files(tmp_path: Path) -> None:
    paths = write_dataset(tmp_path, make_tiny_dataset(n_train=20, n_test=10), layout="torchvision")
    paths["test_images"].unlink()
    paths["train_labels"].unlink()
    with pytest.raises(DataError) as exc:
        load_dataset(DataSource(tmp_path))
    message = one_line(exc)
    assert "missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte" in message
    assert "train-images-idx3-ubyte.gz" in message  # what it did find


def test_image_and_label_counts_must_match(tmp_path: Path) -> None:
    paths = write_dataset(tmp_path, make_tiny_dataset(n_train=40, n_test=20))
    write_idx(paths["train_labels"], torch.zeros(37, dtype=torch.uint8))
    with pytest.raises(DataError) as exc:
        load_dataset(DataSource(tmp_path))
    message = one_line(exc)
    assert str(paths["train_images"]) in message and str(paths["train_labels"]) in message
    assert "40 images" in message and "37 labels" in message


def test_bad_file_in_data_dir_is_reported_by_name(tmp_path: Path) -> None:
    paths = write_dataset(tmp_path, make_tiny_dataset(n_train=20, n_test=10), gz=False)
    paths["test_labels"].write_bytes(paths["test_labels"].read_bytes()[:-3])
    with pytest.raises(DataError) as exc:
        load_dataset(DataSource(tmp_path))
    assert str(paths["test_labels"]) in one_line(exc) and "truncated" in str(exc.value)


def test_default_is_the_bundled_resplit() -> None:
    ds = load_dataset()
    assert ds.train_images.shape == (60000, 28, 28) and ds.train_labels.shape == (60000,)
    assert ds.test_images.shape == (10000, 28, 28) and ds.test_labels.shape == (10000,)
    assert ds.train_images.dtype == torch.uint8 and ds.test_labels.dtype == torch.uint8
    assert "re-split" in ds.description and "bundled" in ds.description
    assert "\n" not in ds.description


def test_bundled_dir_prefers_package_assets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "lenet_tui"
    package.mkdir()
    monkeypatch.setattr(data, "__file__", str(package / "engine" / "data.py"))
    assert data.bundled_data_dir() == tmp_path / "assets"  # source checkout
    write_dataset(package / "assets", make_tiny_dataset(n_train=10, n_test=10))
    assert data.bundled_data_dir() == package / "assets"  # installed wheel


def test_default_download_root_is_in_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert default_download_root() == tmp_path / "lenet-tui" / "fashion-mnist"
    assert default_download_root().name == "fashion-mnist"


def test_importing_data_does_not_import_torchvision() -> None:
    code = "import sys, lenet_tui.engine.data; print('torchvision' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- download, against a local HTTP server standing in for the Fashion-MNIST mirror ---


@contextmanager
def http_server(folder: Path) -> Iterator[tuple[int, list[str]]]:
    """Serve folder on 127.0.0.1 (any free port) in a thread; yield the port and request log."""
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[type]:
    """Point torchvision at 127.0.0.1 only, whatever proxy the environment sets."""
    torchvision_datasets = pytest.importorskip("torchvision.datasets")
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    yield torchvision_datasets.FashionMNIST


def test_download_from_a_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirror: type
) -> None:
    tiny = make_tiny_dataset(n_train=60, n_test=30, seed=3)
    served = write_dataset(tmp_path / "served", tiny, gz=True)
    resources = [(p.name, hashlib.md5(p.read_bytes()).hexdigest()) for p in served.values()]
    monkeypatch.setattr(mirror, "resources", resources)
    cache = tmp_path / "cache"
    monkeypatch.setattr(data, "default_download_root", lambda: cache)
    with http_server(tmp_path / "served") as (port, requests):
        monkeypatch.setattr(mirror, "mirrors", [f"http://127.0.0.1:{port}/"])
        loaded = load_dataset(DataSource(download=True))
        assert {r.lstrip("/") for r in requests} == {name for name, _ in resources}
        served_requests = len(requests)
        assert download_official() == cache / "FashionMNIST" / "raw"
        assert len(requests) == served_requests  # already there: nothing fetched again
    assert_same_data(loaded, tiny)
    assert (
        str(cache / "FashionMNIST" / "raw") in loaded.description and "\n" not in loaded.description
    )
    assert find_idx_files(cache)["train_images"].name == "train-images-idx3-ubyte.gz"


def test_a_broken_download_is_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirror: type
) -> None:
    tiny = make_tiny_dataset(n_train=20, n_test=10)
    served = write_dataset(tmp_path / "served", tiny)
    resources = [(p.name, hashlib.md5(p.read_bytes()).hexdigest()) for p in served.values()]
    monkeypatch.setattr(mirror, "resources", resources)
    with http_server(tmp_path / "served") as (port, requests):
        monkeypatch.setattr(mirror, "mirrors", [f"http://127.0.0.1:{port}/"])
        load_dataset(DataSource(tmp_path / "cache", download=True))
        raw = tmp_path / "cache" / "FashionMNIST" / "raw"
        labels = raw / "train-labels-idx1-ubyte.gz"
        labels.write_bytes(labels.read_bytes()[:-5])  # as if the download was cut short
        (raw / "t10k-images-idx3-ubyte").write_bytes(b"stale copy unpacked by an older version")
        before = list(requests)
        assert_same_data(load_dataset(DataSource(tmp_path / "cache", download=True)), tiny)
    assert {r.lstrip("/") for r in requests[len(before) :]} == {labels.name}


def test_download_into_a_chosen_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirror: type
) -> None:
    tiny = make_tiny_dataset(n_train=20, n_test=10, seed=4)
    served = write_dataset(tmp_path / "served", tiny, gz=True)
    resources = [(p.name, hashlib.md5(p.read_bytes()).hexdigest()) for p in served.values()]
    monkeypatch.setattr(mirror, "resources", resources)
    with http_server(tmp_path / "served") as (port, _):
        monkeypatch.setattr(mirror, "mirrors", [f"http://127.0.0.1:{port}/"])
        assert_same_data(load_dataset(DataSource(tmp_path / "mine", download=True)), tiny)
    assert (tmp_path / "mine" / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").is_file()


def test_download_404_is_one_line_data_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirror: type
) -> None:
    (tmp_path / "empty").mkdir()
    with http_server(tmp_path / "empty") as (port, requests):
        monkeypatch.setattr(mirror, "mirrors", [f"http://127.0.0.1:{port}/"])
        with pytest.raises(DataError) as exc:
            download_official(tmp_path / "cache")
    message = one_line(exc)
    assert message.startswith("download of Fashion-MNIST failed:")
    assert "404" in message and "--data-dir" in message
    assert requests  # it did ask the mirror


def test_download_md5_mismatch_is_one_line_data_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirror: type
) -> None:
    served = write_dataset(tmp_path / "served", make_tiny_dataset(n_train=20, n_test=10))
    monkeypatch.setattr(mirror, "resources", [(p.name, "0" * 32) for p in served.values()])
    with http_server(tmp_path / "served") as (port, _):
        monkeypatch.setattr(mirror, "mirrors", [f"http://127.0.0.1:{port}/"])
        with pytest.raises(DataError) as exc:
            load_dataset(DataSource(tmp_path / "cache", download=True))
    assert "download of Fashion-MNIST failed" in one_line(exc)
    assert "corrupted" in str(exc.value)


def test_download_refused_connection_is_one_line_data_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirror: type
) -> None:
    with socket.socket() as s:  # a port that was free a moment ago, now closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(mirror, "mirrors", [f"http://127.0.0.1:{port}/"])
    with pytest.raises(DataError) as exc:
        download_official(tmp_path / "cache")
    message = one_line(exc)
    assert "download" in message and "refused" in message.lower()
