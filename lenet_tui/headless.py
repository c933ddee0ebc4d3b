"""`lenet-tui --no-ui`: train without the dashboard, for CI logs and scripts.

stdout gets the data source, the layer table, at the end the per-class table of the last epoch
and the book's two summary lines (last, as the book prints them); stderr gets the progress (a
rich bar on a terminal, one plain line per event otherwise) and where the run's files are.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.confusion import ClassResult, per_class
from lenet_tui.engine.data import load_dataset
from lenet_tui.engine.data_source import BUNDLED, DataSource
from lenet_tui.engine.devices import resolve_device
from lenet_tui.engine.events import (
    EpochEnd,
    Event,
    RunDiverged,
    RunFailed,
    RunFinished,
    RunStarted,
    RunStopped,
    TrainProgress,
    device_label,
    summary_lines,
)
from lenet_tui.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    LenetError,
    RunFolderError,
)
from lenet_tui.runs.class_results import CONFUSION_NAME, PER_CLASS_NAME
from lenet_tui.runs.driver import Kept, KeptRun, RunDriver
from lenet_tui.runs.event_log import EventLog
from lenet_tui.runs.folder import RunFolder, refuse_run_files, resume_command
from lenet_tui.runs.interrupts import StopOnSignals


def run_headless(
    config: TrainConfig,
    data: DataSource | None = None,
    metrics_out: Path | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    *,
    run_dir: Path | None = None,
    resume: Path | None = None,
) -> int:
    """Train to the end and return the exit code; bad data or settings raise LenetError first.

    data is the source the user chose (None: the bundled copy, or a resumed run's own). The run
    is kept in run_dir (default: a new folder under the default runs dir); with resume, the run
    in that folder goes on from its checkpoint with its own settings (config is not used).
    """
    err_file = stderr or sys.stderr
    out = Console(file=stdout or sys.stdout, highlight=False, soft_wrap=True)
    err = Console(file=err_file, highlight=False, soft_wrap=True)
    # refuse an absent device, or bf16 where it is not native, before spending time on the data
    resolve_device(config.device, config.precision)
    kept = _checked_folders(run_dir, resume, metrics_out)
    settings = kept.config if kept else config
    dataset = load_dataset(kept.data_source(data) if kept else data or BUNDLED, settings.dataset)
    driver = RunDriver.resume(kept, dataset) if kept else RunDriver.new(config, dataset, run_dir)
    with contextlib.ExitStack() as files:
        metrics = _open_metrics(metrics_out)
        if metrics:
            files.callback(metrics.close)
        files.enter_context(driver)
        # Decide by the stream itself: rich's is_terminal is forced true by FORCE_COLOR in CI.
        progress = _RichProgress(err) if err_file.isatty() else _PlainProgress(err)
        outcome: Event | None = None
        last_epoch: EpochEnd | None = None
        interrupts = StopOnSignals(driver)
        try:
            with interrupts, progress:
                for event in driver.run():
                    if metrics:
                        metrics.write(event)
                    if isinstance(event, RunStarted):
                        _print_run_header(out, event, driver.kept.folder)
                    progress.show(event)
                    if isinstance(event, EpochEnd):
                        last_epoch = event
                    outcome = event
        except KeyboardInterrupt:  # a second Ctrl-C: every file was written atomically
            err.print(f"interrupted; {_kept(driver.kept)}", markup=False)
            return EXIT_INTERRUPTED
        except RunFolderError as exc:  # disk full or gone while training
            err.print(f"training stopped: {exc}", markup=False)
            return EXIT_FAILED
    if isinstance(outcome, RunFinished) and last_epoch is not None:
        _report_classes(last_epoch, dataset.classes, driver.kept.folder, out, err)
    return _report_outcome(outcome, driver.kept, interrupts.received, out, err)


def _checked_folders(
    run_dir: Path | None, resume: Path | None, metrics_out: Path | None
) -> KeptRun | None:
    """The kept run to resume (None for a new run), once the folders and --metrics-out are
    checked: a LenetError in one line before anything is opened or written."""
    if run_dir is not None:
        RunFolder(run_dir).refuse_if_used()  # before --metrics-out is opened (emptied)
    kept = KeptRun.open(resume) if resume is not None else None
    if metrics_out is not None:  # never the run's own metrics.jsonl, nor another run's file
        own = kept.folder.path if kept else run_dir
        refuse_run_files(metrics_out, "pick another --metrics-out", [own] if own else [])
        try:
            os.lstat(metrics_out)  # a name the system refuses is said before the data loads
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise LenetError(_cannot_write(metrics_out, exc)) from None
    return kept


def _report_outcome(
    outcome: Event | None, kept: Kept, signum: int | None, out: Console, err: Console
) -> int:
    if isinstance(outcome, RunFinished):
        for line in summary_lines(outcome):
            out.print(line)
        if outcome.stopped_early:
            err.print(f"stopped early: {_early(kept)}", markup=False)
        return EXIT_OK
    if isinstance(outcome, RunDiverged):
        err.print(f"{outcome.message} {_kept(kept, resume=False)}", markup=False)
        return EXIT_FAILED
    if isinstance(outcome, RunFailed):
        err.print(f"training failed: {outcome.error}\n{outcome.traceback}", markup=False)
        err.print(_kept(kept), markup=False)
        return EXIT_FAILED
    if isinstance(outcome, RunStopped) and signum is not None:
        name = signal.Signals(signum).name
        err.print(f"{name}: stopped after the batch in flight; {_kept(kept)}", markup=False)
        return EXIT_TERMINATED if signum == signal.SIGTERM else EXIT_INTERRUPTED
    return EXIT_FAILED


def _report_classes(
    last: EpochEnd, classes: tuple[str, ...], folder: Path, out: Console, err: Console
) -> None:
    """The per-class table on stdout, and where the run keeps it as CSV on stderr."""
    if not last.confusion:
        return
    out.print(class_table_renderable(per_class(last.confusion, classes)))
    err.print(
        f"confusion matrix and per-class accuracy: {folder / CONFUSION_NAME}, "
        f"{folder / PER_CLASS_NAME}",
        markup=False,
    )


def _early(kept: Kept) -> str:
    return (
        f"after epoch {kept.checkpoint_epoch}, test acc had not improved for the last "
        f"--patience epochs; the run is complete in {kept.folder}"
    )


def _kept(kept: Kept, resume: bool = True) -> str:
    """Where the run's files are and how to go on, for the user."""
    if kept.checkpoint_epoch is None:
        return f"settings and metrics are in {kept.folder}; no checkpoint was written"
    epoch = kept.checkpoint_epoch
    done = f"the last good checkpoint ({kept.checkpoint_at}) and the metrics are in {kept.folder}"
    if resume:
        return f"{done}; resume with: {resume_command(kept.folder)} (epoch {epoch + 1} restarts)"
    return done[0].upper() + done[1:]


def layer_table_renderable(event: RunStarted) -> Table:
    """The book's per-layer shape printout as a rich table."""
    table = Table("layer", "output shape", "parameters", title="LeNet layers (1x1x28x28 input)")
    for layer in event.layers:
        table.add_row(layer.name, str(tuple(layer.output_shape)), f"{layer.parameters:,}")
    table.add_section()
    table.add_row("total", "", f"{event.parameters:,}")
    return table


def class_table_renderable(results: tuple[ClassResult, ...]) -> Table:
    """Each class's test accuracy and the class its images are most often taken for."""
    table = Table(
        "class", "images", "correct", "accuracy", "most confused with", "times",
        title="Test set per class (last epoch)",
    )  # fmt: skip
    for r in results:
        accuracy = "-" if math.isnan(r.accuracy) else f"{r.accuracy:.3f}"
        table.add_row(
            r.name, f"{r.images:,}", f"{r.correct:,}", accuracy, r.confused_with or "-",
            f"{r.confused_count:,}" if r.confused_with else "-",
        )  # fmt: skip
    return table


def _print_run_header(out: Console, event: RunStarted, folder: Path) -> None:
    out.print(f"data: {event.data_source}", markup=False)
    out.print(
        f"device: {device_label(event)}, seed: {event.config['seed']}, "
        f"{event.train_examples:,} training / {event.test_examples:,} test images"
    )
    resumed = f" (resumed after epoch {event.start_epoch})" if event.start_epoch else ""
    out.print(f"run folder: {folder}{resumed}", markup=False)
    out.print(layer_table_renderable(event))


def _open_metrics(path: Path | None) -> EventLog | None:
    if path is None:
        return None
    try:
        return EventLog(path)
    except OSError as exc:
        raise LenetError(_cannot_write(path, exc)) from None


def _cannot_write(path: Path, exc: OSError) -> str:
    return f"cannot write metrics to {path}: {exc.strerror or exc}; pick another --metrics-out"


def _epoch_line(event: EpochEnd, epochs: int) -> str:
    return (
        f"epoch {event.epoch}/{epochs}: loss {event.train_loss:.3f}, train acc "
        f"{event.train_acc:.3f}, test loss {event.test_loss:.3f}, test acc {event.test_acc:.3f}, "
        f"{event.examples_per_sec:.1f} examples/sec, {event.seconds:.1f} s"
    )


class _PlainProgress:
    """One line per event, for logs that are not a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.epochs = 0

    def __enter__(self) -> _PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def show(self, event: Event) -> None:
        line = None
        if isinstance(event, RunStarted):
            self.epochs = event.config["epochs"]
        elif isinstance(event, TrainProgress):
            line = (
                f"epoch {event.epoch:.2f}/{self.epochs}: step {event.step}, loss "
                f"{event.train_loss:.3f}, train acc {event.train_acc:.3f}, "
                f"{event.examples_per_sec:.1f} examples/sec"
            )
        elif isinstance(event, EpochEnd):
            line = _epoch_line(event, self.epochs)
        elif isinstance(event, RunStopped):
            line = f"stopped at epoch {event.epoch}, step {event.step}"
        if line:
            self.console.print(line, markup=False)


class _RichProgress(_PlainProgress):
    """A live bar over all epochs on a terminal; epoch results scroll above it."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[metrics]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
        )

    def __enter__(self) -> _RichProgress:
        return self  # the bar starts once the run header is printed, so it never overwrites it

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def show(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.epochs = event.config["epochs"]
            self.task = self.bar.add_task(f"epoch 1/{self.epochs}", total=self.epochs, metrics="")
            self.bar.start()
        elif isinstance(event, TrainProgress):
            self.bar.update(
                self.task,
                completed=event.epoch,
                description=f"epoch {math.ceil(event.epoch)}/{self.epochs}",
                metrics=f"loss {event.train_loss:.3f}  train acc {event.train_acc:.3f}  "
                f"{event.examples_per_sec:,.0f} ex/s",
            )
        elif isinstance(event, EpochEnd):
            self.console.print(_epoch_line(event, self.epochs), markup=False)
        elif isinstance(event, RunStopped):
            super().show(event)
