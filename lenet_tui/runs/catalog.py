"""Runs side by side: the Runs list (a cached scan, its columns, sorting and filtering), each
run's settings as flat text, a short model summary, what differs between chosen runs (the
overlay's legend, the export's columns), and deleting a run folder safely.

Importable without torch; knows nothing about any user interface.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.settings import RANDOM_SEED
from lenet_tui.errors import RunFolderError
from lenet_tui.runs.folder import CONFIG_NAME, METRICS_NAME, RunFolder, RunLock, is_being_trained
from lenet_tui.runs.history import RunSummary, run_dirs, summarise
from lenet_tui.runs.notes import NOTES_NAME


def flat_settings(config: TrainConfig) -> dict[str, str]:
    """Every setting as text, model settings prefixed: {"lr": "0.9", "model.pooling": "avg"}.

    In TrainConfig's field order; lists are written "6 16", a random seed "random".
    """
    flat: dict[str, str] = {}
    for key, value in config.to_dict().items():
        if isinstance(value, dict):
            flat |= {f"{key}.{k}": _text(v) for k, v in value.items()}
        else:
            flat[key] = RANDOM_SEED if key == "seed" and value is None else _text(value)
    return flat


def model_summary(model: ModelConfig) -> str:
    """The model in a few characters: `sigmoid·avg 6-16 k5`, plus `bn` and the hidden widths
    or init when they are not the book's."""
    book = ModelConfig()
    parts = [
        f"{model.activation}·{model.pooling}",
        "-".join(map(str, model.channels)),
        f"k{model.kernel_size}",
    ]
    if model.batch_norm:
        parts.append("bn")
    if model.hidden != book.hidden:
        parts.append("h" + ("-".join(map(str, model.hidden)) or "0"))
    if model.init != book.init:
        parts.append(model.init)
    return " ".join(parts)


NOT_COMPARED = ("device", "reports_per_epoch")
"""Settings that do not change what a run learns: never named as a difference."""


def differing_settings(configs: Sequence[TrainConfig | None]) -> list[str]:
    """The flat setting keys whose values are not the same in all the given runs (a run with
    no readable settings is left out): the model's first (the book's exercises vary those),
    then the training's, each in TrainConfig's order."""
    flats = [flat_settings(config) for config in configs if config is not None]
    if len(flats) < 2:
        return []
    keys = [key for key in flats[0] if key not in NOT_COMPARED]
    differ = [key for key in keys if any(flat.get(key) != flats[0][key] for flat in flats)]
    return sorted(differ, key=lambda key: not key.startswith("model."))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return " ".join(map(str, value))
    return str(value)


# -- the list of runs: cached scan, columns, sorting, filtering ---------------------------------


class RunCatalog:
    """Scans the run folders, re-reading only those whose files changed since the last scan.

    A folder's stamp is the names, sizes and modification times of its files; a run whose
    lock changed hands (a process began or stopped training it) is re-read too. One scan at a
    time (the caller's worker is exclusive).
    """

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple, RunSummary]] = {}

    def scan(self, base: Path, also: Iterable[Path] = ()) -> list[RunSummary]:
        """The runs under base (grids included) and the folders `also`, newest first."""
        fresh: dict[Path, tuple[tuple, RunSummary]] = {}
        for path, grid in run_dirs(base, also):
            stamp = _stamp(path)
            cached = self._cache.get(path)
            if cached is None or not _still_valid(cached, stamp, grid):
                summary = summarise(RunFolder(path), grid, modified=_modified(stamp))
                cached = (stamp, summary)
            fresh[path] = cached
        self._cache = fresh
        runs = [summary for _, summary in fresh.values()]
        runs.sort(key=lambda s: (s.modified, s.name), reverse=True)
        return runs


def _stamp(path: Path) -> tuple:
    """(name, mtime_ns, size) of the folder and each entry in it; () if it cannot be read."""
    try:
        top = path.stat()
        with os.scandir(path) as entries:
            files = sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries)
    except OSError:
        return ()
    return (("", top.st_mtime_ns, 0), *files)


def _modified(stamp: tuple) -> float:
    """history.last_modified, from a stamp: the newest file's time, the name and note aside."""
    files = [mtime for name, mtime, _ in stamp[1:] if name != NOTES_NAME]
    return max(files or [mtime for _, mtime, _ in stamp[:1]] or [0]) / 1e9


def _still_valid(cached: tuple[tuple, RunSummary], stamp: tuple, grid: str) -> bool:
    old_stamp, summary = cached
    return (
        bool(stamp)
        and old_stamp == stamp
        and summary.grid == grid
        and (summary.state == "running") == is_being_trained(summary.folder)
    )


@dataclass(frozen=True)
class Column:
    """A column of the Runs list: its title, its text for a run, and its sort order."""

    title: str
    text: Callable[[RunSummary], str]
    key: Callable[[RunSummary], object | None]
    """What it sorts by; None sorts last."""
    descending: bool = False
    """Its first sort puts the largest first (accuracies, epochs, times)."""


def _config_column(title: str, read: Callable[[TrainConfig], object], fmt: str = "{}") -> Column:
    """A column of one setting: "–" for a run whose settings cannot be read."""

    def key(run: RunSummary) -> object | None:
        return None if run.config is None else read(run.config)

    def text(run: RunSummary) -> str:
        value = key(run)
        return "–" if value is None else fmt.format(value)

    return Column(title, text, key)


def _acc_text(acc: float | None) -> str:
    return "–" if acc is None else f"{acc:.3f}"


COLUMNS = (
    Column("run", lambda r: r.title, lambda r: r.title.casefold()),
    Column("state", lambda r: r.state, lambda r: r.state),
    Column("epochs", lambda r: _epochs_text(r), lambda r: r.epochs_done, descending=True),
    Column("final", lambda r: _acc_text(r.test_acc), lambda r: r.test_acc, descending=True),
    Column("best", lambda r: _acc_text(r.best_acc), lambda r: r.best_acc, descending=True),
    _config_column("model", lambda c: model_summary(c.model)),
    _config_column("lr", lambda c: c.lr, "{:g}"),
    _config_column("batch", lambda c: c.batch_size),
    _config_column("optim", lambda c: c.optimizer),
    _config_column("sched", lambda c: c.schedule),
    _config_column("seed", lambda c: c.seed),
    _config_column("data", lambda c: DATASET_SHORT.get(c.dataset, c.dataset)),
    Column(
        "train time",
        lambda r: duration(r.seconds) if r.epochs else "–",
        lambda r: r.seconds if r.epochs else None,
        descending=True,
    ),
)
"""The Runs list's columns, in order. "train time" is the training and test time of the
finished epochs, not the wall time."""
DATASET_SHORT = {"fashion-mnist": "fashion"}


def _epochs_text(run: RunSummary) -> str:
    total = "?" if run.config is None else str(run.config.epochs)
    return f"{run.epochs_done}/{total}"


def duration(seconds: float) -> str:
    """Seconds as 42s, 3m07s or 2h05m."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def row_text(run: RunSummary) -> tuple[str, ...]:
    """The run's cells, one per column of COLUMNS."""
    return tuple(column.text(run) for column in COLUMNS)


def sort_runs(runs: Sequence[RunSummary], column: int | None, reverse: bool = False) -> list:
    """The runs ordered by COLUMNS[column] (None: newest first), its natural direction unless
    reverse; runs without a value for it come last either way."""
    if column is None:
        ordered = sorted(runs, key=lambda r: (r.modified, r.name), reverse=not reverse)
        return ordered
    spec = COLUMNS[column]
    present = [r for r in runs if spec.key(r) is not None]
    missing = [r for r in runs if spec.key(r) is None]
    present.sort(key=spec.key, reverse=spec.descending != reverse)  # type: ignore[arg-type]
    return present + missing


def filter_runs(runs: Sequence[RunSummary], query: str) -> list[RunSummary]:
    """The runs whose row (its cells, folder path and note) holds every word of query, in any
    case."""
    words = query.casefold().split()
    if not words:
        return list(runs)
    return [run for run in runs if all(w in _searchable(run) for w in words)]


def _searchable(run: RunSummary) -> str:
    return " ".join((*row_text(run), str(run.folder.path), run.note.note)).casefold()


# -- runs side by side, and deleting one --------------------------------------------------------

MAX_LABEL = 40
"""Characters of a legend label (what differs is usually much shorter)."""


def run_labels(runs: Sequence[RunSummary]) -> list[str]:
    """Each run named by the settings that differ between the runs: `pooling=max, lr=0.1`
    (model settings without their `model.` prefix). A run whose label would be empty or shared
    with another is named by its title instead (or as well)."""
    keys = differing_settings([run.config for run in runs])
    labels = []
    for run in runs:
        flat = flat_settings(run.config) if run.config is not None else {}
        parts = [f"{key.removeprefix('model.')}={flat[key]}" for key in keys if key in flat]
        labels.append(", ".join(parts))
    titles = short_titles([run.title for run in runs], MAX_TITLE)
    named = [
        title if not label else f"{label} ({title})" if labels.count(label) > 1 else label
        for label, title in zip(labels, titles, strict=True)
    ]
    return [_cut(label, MAX_LABEL) for label in named]


MAX_TITLE = 20
"""Characters of a run's title beside the overlay (a grid's runs' are long)."""
SEPARATORS = "/-_, "
"""Where a title is cut: after one of these, so that what is left starts with a whole word."""


def short_titles(titles: Sequence[str], most: int) -> list[str]:
    """The titles in at most `most` characters each, keeping what tells them apart: a long one
    loses the start it shares with the others ("…pooling=max"), then the end it shares, then its
    own end; a title that matches no other loses its middle. Short ones are kept whole."""
    distinct = len(set(titles)) > 1
    head = _shared_start(titles) if distinct else 0
    tail = _shared_start([t[head:][::-1] for t in titles]) if distinct else 0
    shown = []
    for title in titles:
        if len(title) <= most:
            shown.append(title)
            continue
        if not head:
            shown.append(_cut_middle(title, most))
            continue
        text = "…" + title[head:]
        if len(text) > most and 0 < tail < len(title) - head:
            text = text[:-tail] + "…"
        shown.append(_cut(text, most))
    return shown


def _shared_start(texts: Sequence[str]) -> int:
    """The length of the start all texts share, back to its last separator (included)."""
    shared = 0
    for chars in zip(*texts, strict=False):
        if any(c != chars[0] for c in chars):
            break
        shared += 1
    start = texts[0][:shared]
    return max(start.rfind(sep) for sep in SEPARATORS) + 1


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _cut_middle(text: str, most: int) -> str:
    head = (most - 1) // 2
    return text[:head] + "…" + text[len(text) - (most - 1 - head) :]


def is_run_folder(path: Path) -> bool:
    """A real folder (not a link) that holds a config.toml or a metrics.jsonl and no folder."""
    try:
        if path.is_symlink() or not path.is_dir():
            return False
        entries = list(path.iterdir())
    except OSError:
        return False
    names = {entry.name for entry in entries if entry.is_file() and not entry.is_symlink()}
    has_folders = any(entry.is_dir() for entry in entries)
    return not has_folders and bool(names & {CONFIG_NAME, METRICS_NAME})


def delete_run(path: Path) -> None:
    """Remove a run folder and everything in it.

    RunFolderError (one line) for a folder that is not a run folder (see is_run_folder), for a
    run a process is training (its lock is held during the removal, so none can begin), and if
    the removal fails part way.
    """
    path = Path(path)
    if not is_run_folder(path):
        raise RunFolderError(f"{path}: not a run folder (no config.toml or metrics.jsonl); kept")
    lock = RunLock(RunFolder(path))
    try:
        locked = lock.acquire()
    except RunFolderError:  # the folder cannot be opened: nothing can be training in it
        locked = True
    if not locked:
        raise RunFolderError(f"{path}: a lenet-tui is training this run; stop it first")
    try:
        shutil.rmtree(path)
    except OSError as exc:
        raise RunFolderError(f"{path}: not fully deleted ({exc.strerror or exc})") from None
    finally:
        lock.release()
