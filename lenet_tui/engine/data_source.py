"""Where a dataset comes from, as the command line names it and a checkpoint keeps it.

Importable without torch, so that the command line can parse it before torch is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CLASSES: dict[str, tuple[str, ...]] = {
    "fashion-mnist": (
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
    ),
    "mnist": tuple(str(digit) for digit in range(10)),
}
"""The name of each label, 0 to 9, of each dataset (TrainConfig.dataset), known without loading
the data or torch."""

TITLES: dict[str, str] = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST"}
"""Each dataset's name as written in prose and messages."""


@dataclass(frozen=True)
class DataSource:
    """Where a dataset's files come from: the bundled copy, a folder, or the official download."""

    data_dir: Path | None = None
    """The folder holding the four IDX files; with `download`, where the download goes (None:
    the user cache). None and no download: the bundled copy."""
    download: bool = False

    @property
    def bundled(self) -> bool:
        return self.data_dir is None and not self.download

    def resolved(self) -> DataSource:
        """The same source with an absolute folder, valid from any working directory."""
        if self.data_dir is None:
            return self
        return DataSource(Path(self.data_dir).resolve(), self.download)

    def describe(self) -> str:
        """The source in a word for messages: bundled, downloaded, or the folder."""
        if self.bundled:
            return "bundled"
        return "downloaded" if self.data_dir is None else str(self.data_dir)


BUNDLED = DataSource()
"""The copy that ships inside the package: all of Fashion-MNIST, a sample of MNIST."""
