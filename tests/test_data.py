"""Finding, loading and downloading Fashion-MNIST and MNIST, with errors a user can act on."""

from __future__ import annotations

import gzip
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
from idx_fixtures import make_tiny_dataset, write_dataset, write_idx_files

import lenet_tui.engine.data as data
from lenet_tui.engine.data import (
    BUNDLED_MNIST_SOURCE,
    CLASS_NAMES,
    IDX_FILES,
    Dataset,
    DataSource,
    bundled_data_dir,
    default_download_root,
    download_official,
    find_idx_files,
    load_dataset,
)
from lenet_tui.engine.data_source import BUNDLED, CLASSES
from lenet_tui.engine.idx import write_idx
from lenet_tui.engine.settings import DATASETS
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


# --- MNIST: the bundled sample, a folder of one's own, and the other dataset's folder ---


def test_each_dataset_has_its_class_names_without_torch() -> None:
    assert set(CLASSES) == set(DATASETS)
    assert CLASSES["fashion-mnist"] == CLASS_NAMES
    assert CLASSES["mnist"] == ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
    code = "import sys, lenet_tui.engine.data_source; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fashion_mnist_is_still_the_default() -> None:
    ds = load_dataset(dataset="fashion-mnist")
    assert ds.name == "fashion-mnist" and ds.classes == CLASS_NAMES and ds.origin == BUNDLED
    assert load_dataset().description == ds.description


def test_bundled_mnist_is_a_sample_of_8000_and_2000_digits() -> None:
    ds = load_dataset(BUNDLED, "mnist")
    assert ds.name == "mnist" and ds.classes == CLASSES["mnist"] and ds.origin == BUNDLED
    assert ds.train_images.shape == (8000, 28, 28) and ds.train_labels.shape == (8000,)
    assert ds.test_images.shape == (2000, 28, 28) and ds.test_labels.shape == (2000,)
    assert ds.train_images.dtype == torch.uint8 and ds.test_labels.dtype == torch.uint8
    train = torch.bincount(ds.train_labels.long(), minlength=10)
    test = torch.bincount(ds.test_labels.long(), minlength=10)
    assert len(train) == len(test) == 10  # digits 0..9 only
    assert all(650 <= n <= 950 for n in train.tolist()), train  # about 800 each, not exactly
    assert all(150 <= n <= 250 for n in test.tolist()), test  # about 200 each
    assert ((test / (train + test) - 0.2).abs() < 0.01).all()  # 20 % of each digit is test
    assert ds.description == BUNDLED_MNIST_SOURCE and "\n" not in ds.description
    assert "sample" in ds.description and "10,000" in ds.description
    assert "not the official 70,000" in ds.description
    assert 20 < ds.train_images.float().mean() < 50  # digits: mostly black, not clothes


def test_bundled_mnist_files_are_the_documented_ones() -> None:
    folder = bundled_data_dir("mnist")
    assert folder == bundled_data_dir() / "mnist"
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.glob("*.gz")}
    assert md5 == {
        "train-images-idx3-ubyte.gz": "b9738b2e6d122051bb7588f7fe5703c7",
        "train-labels-idx1-ubyte.gz": "d40f5f37cc9eb2b31414bcbbdb03575d",
        "t10k-images-idx3-ubyte.gz": "a0ad97783fc1310a8a467bb075715f76",
        "t10k-labels-idx1-ubyte.gz": "67711ab774936a8eb230b78afa9cf44b",
    }


@pytest.mark.parametrize("layout", ["flat", "torchvision"])
@pytest.mark.parametrize("gz", [True, False], ids=["gz", "plain"])
def test_mnist_from_a_folder_in_both_layouts(tmp_path: Path, layout: str, gz: bool) -> None:
    tiny = make_tiny_dataset(n_train=40, n_test=20, seed=5)
    place = tmp_path if layout == "flat" else tmp_path / "MNIST" / "raw"
    written = write_idx_files(place, tiny, gz=gz)
    assert find_idx_files(tmp_path, "mnist") == written
    loaded = load_dataset(DataSource(tmp_path), "mnist")
    assert_same_data(loaded, tiny)
    assert loaded.description == str(tmp_path) and loaded.name == "mnist"
    assert loaded.classes == CLASSES["mnist"] and loaded.origin == DataSource(tmp_path)


def test_a_folder_with_both_datasets_gives_each_its_own(tmp_path: Path) -> None:
    fashion, digits = make_tiny_dataset(20, 10, seed=1), make_tiny_dataset(30, 10, seed=2)
    write_dataset(tmp_path, fashion, layout="torchvision")  # FashionMNIST/raw
    write_idx_files(tmp_path / "MNIST" / "raw", digits)
    assert_same_data(load_dataset(DataSource(tmp_path)), fashion)
    assert_same_data(load_dataset(DataSource(tmp_path), "mnist"), digits)


def test_empty_folder_for_mnist_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        load_dataset(DataSource(tmp_path), "mnist")
    message = one_line(exc)
    assert message.startswith(f"{tmp_path}: no MNIST IDX files found")
    assert all(name in message for name in IDX_FILES.values())
    assert str(tmp_path / "MNIST" / "raw") in message and "FashionMNIST" not in message


@pytest.mark.parametrize(
    ("dataset", "other_folder", "other"),
    [("mnist", "FashionMNIST", "fashion-mnist"), ("fashion-mnist", "MNIST", "mnist")],
)
def test_the_other_datasets_torchvision_folder_is_refused(
    tmp_path: Path, dataset: str, other_folder: str, other: str
) -> None:
    write_idx_files(tmp_path / other_folder / "raw", make_tiny_dataset(n_train=20, n_test=10))
    with pytest.raises(DataError) as exc:
        load_dataset(DataSource(tmp_path), dataset)
    message = one_line(exc)
    own = tmp_path / ("MNIST" if dataset == "mnist" else "FashionMNIST") / "raw"
    assert f"{tmp_path}: no {'MNIST' if dataset == 'mnist' else 'Fashion-MNIST'} IDX" in message
    assert str(own) in message and str(tmp_path / other_folder / "raw") in message
    assert f"--dataset {other}" in message and "--data-dir" in message


def test_the_bundled_fashion_folder_is_refused_for_mnist() -> None:
    folder = bundled_data_dir()
    with pytest.raises(DataError) as exc:
        load_dataset(DataSource(folder), "mnist")
    message = one_line(exc)
    assert message.startswith(str(folder / "train-labels-idx1-ubyte.gz"))
    assert "the bundled Fashion-MNIST, not MNIST" in message
    assert "--dataset fashion-mnist" in message


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "unpacked"])
@pytest.mark.parametrize(
    ("dataset", "other"), [("mnist", "fashion-mnist"), ("fashion-mnist", "mnist")]
)
def test_the_other_datasets_known_labels_are_refused(
    tmp_path: Path, gz: bool, dataset: str, other: str
) -> None:
    """Both datasets use the same file names: the labels' md5 tells a known copy apart."""
    written = write_idx_files(tmp_path, make_tiny_dataset(n_train=20, n_test=10), gz=gz)
    known = bundled_data_dir(other) / (IDX_FILES["test_labels"] + ".gz")
    content = known.read_bytes() if gz else gzip.decompress(known.read_bytes())
    written["test_labels"].write_bytes(content)
    with pytest.raises(DataError) as exc:
        find_idx_files(tmp_path, dataset)
    message = one_line(exc)
    assert message.startswith(str(written["test_labels"]))
    assert f"--dataset {other}" in message and "--data-dir" in message


def test_an_unknown_dataset_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cifar"):
        load_dataset(dataset="cifar")
    with pytest.raises(ValueError, match="cifar"):
        default_download_root("cifar")


def test_mnist_downloads_to_its_own_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert default_download_root("mnist") == tmp_path / "lenet-tui" / "mnist"
    assert default_download_root("mnist").name == "mnist"
    assert default_download_root("mnist").parent == default_download_root().parent


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
    monkeypatch.setattr(data, "default_download_root", lambda dataset: cache)
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


# --- MNIST download, against a local stand-in for torchvision's MNIST mirrors ---


@pytest.fixture
def mnist_mirror(mirror: type) -> type:
    """torchvision's MNIST class, with the network limited to 127.0.0.1 as for `mirror`."""
    return pytest.importorskip("torchvision.datasets").MNIST


def serve_tiny_mnist(folder: Path, monkeypatch: pytest.MonkeyPatch, mnist: type) -> Dataset:
    """Write a tiny MNIST into folder and make it torchvision's MNIST resources (md5s)."""
    tiny = make_tiny_dataset(n_train=40, n_test=20, seed=7)
    served = write_idx_files(folder, tiny, gz=True)
    resources = [(p.name, hashlib.md5(p.read_bytes()).hexdigest()) for p in served.values()]
    monkeypatch.setattr(mnist, "resources", resources)
    return tiny


def test_mnist_download_from_a_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mnist_mirror: type
) -> None:
    tiny = serve_tiny_mnist(tmp_path / "served", monkeypatch, mnist_mirror)
    roots: list[str] = []
    monkeypatch.setattr(
        data, "default_download_root", lambda dataset: roots.append(dataset) or tmp_path / dataset
    )
    raw = tmp_path / "mnist" / "MNIST" / "raw"
    with http_server(tmp_path / "served") as (port, requests):
        monkeypatch.setattr(mnist_mirror, "mirrors", [f"http://127.0.0.1:{port}/"])
        loaded = load_dataset(DataSource(download=True), "mnist")
        # (torchvision asks for each file twice: once to follow redirects, once to fetch it)
        assert {r.lstrip("/") for r in requests} == {n + ".gz" for n in IDX_FILES.values()}
        served_requests = len(requests)
        assert download_official(dataset="mnist") == raw
        assert len(requests) == served_requests  # already there, md5 right: nothing fetched again
    assert roots == ["mnist", "mnist"]
    assert_same_data(loaded, tiny)
    assert loaded.name == "mnist" and loaded.classes == CLASSES["mnist"]
    assert loaded.description == f"official MNIST downloaded to {raw}"
    assert find_idx_files(tmp_path / "mnist", "mnist")["test_labels"].parent == raw


def test_a_broken_mnist_download_is_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mnist_mirror: type
) -> None:
    tiny = serve_tiny_mnist(tmp_path / "served", monkeypatch, mnist_mirror)
    source = DataSource(tmp_path / "mine", download=True)
    with http_server(tmp_path / "served") as (port, requests):
        monkeypatch.setattr(mnist_mirror, "mirrors", [f"http://127.0.0.1:{port}/"])
        load_dataset(source, "mnist")
        images = tmp_path / "mine" / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz"
        images.write_bytes(images.read_bytes()[:-7])  # as if the download was cut short
        before = len(requests)
        assert_same_data(load_dataset(source, "mnist"), tiny)
    assert {r.lstrip("/") for r in requests[before:]} == {images.name}
    assert not (tmp_path / "mine" / "FashionMNIST").exists()


def test_mnist_download_md5_mismatch_is_one_line_data_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mnist_mirror: type
) -> None:
    serve_tiny_mnist(tmp_path / "served", monkeypatch, mnist_mirror)
    monkeypatch.setattr(
        mnist_mirror, "resources", [(n, "0" * 32) for n, _ in mnist_mirror.resources]
    )
    with http_server(tmp_path / "served") as (port, _):
        monkeypatch.setattr(mnist_mirror, "mirrors", [f"http://127.0.0.1:{port}/"])
        with pytest.raises(DataError) as exc:
            load_dataset(DataSource(tmp_path / "cache", download=True), "mnist")
    message = one_line(exc)
    assert message.startswith("download of MNIST failed:") and "corrupted" in message


def test_mnist_download_404_is_one_line_data_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mnist_mirror: type
) -> None:
    (tmp_path / "empty").mkdir()
    with http_server(tmp_path / "empty") as (port, requests):
        monkeypatch.setattr(mnist_mirror, "mirrors", [f"http://127.0.0.1:{port}/"])
        with pytest.raises(DataError) as exc:
            download_official(tmp_path / "cache", "mnist")
    message = one_line(exc)
    assert message.startswith("download of MNIST failed:")
    assert "404" in message and "--data-dir" in message
    assert requests and all(r.endswith("-ubyte.gz") for r in requests)
