"""`lenet-tui --no-ui`: train without the dashboard, for CI logs and scripts.

stdout gets the data source, the layer table and the book's two summary lines; stderr gets the
progress (a rich bar on a terminal, one plain line per event otherwise).
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from pathlib import Path
from typing import IO, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from lenet_tui.config import TrainConfig
from lenet_tui.data import load_fashion_mnist
from lenet_tui.devices import resolve_device
from lenet_tui.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, LenetError
from lenet_tui.events import (
    EpochEnd,
    Event,
    RunFailed,
    RunFinished,
    RunStarted,
    RunStopped,
    TrainProgress,
    event_to_dict,
    summary_lines,
)
from lenet_tui.training import Trainer


def run_headless(
    config: TrainConfig,
    data_dir: Path | None = None,
    download: bool = False,
    metrics_out: Path | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Train to the end and return the exit code; bad data or settings raise LenetError first."""
    err_file = stderr or sys.stderr
    out = Console(file=stdout or sys.stdout, highlight=False, soft_wrap=True)
    err = Console(file=err_file, highlight=False, soft_wrap=True)
    resolve_device(config.device)  # refuse an absent device before spending time on the data
    trainer = Trainer(config, load_fashion_mnist(data_dir, download=download))
    metrics = _open_metrics(metrics_out)
    # Decide by the stream itself: rich's is_terminal is forced true by FORCE_COLOR in CI.
    progress = _RichProgress(err) if err_file.isatty() else _PlainProgress(err)
    outcome: Event | None = None
    try:
        with progress:
            for event in trainer.run():
                if metrics:
                    _write_event(metrics, event)
                if isinstance(event, RunStarted):
                    _print_run_header(out, event)
                progress.show(event)
                outcome = event
    except KeyboardInterrupt:
        err.print("interrupted")
        return EXIT_INTERRUPTED
    except _MetricsWriteError as exc:
        err.print(f"training stopped: cannot write metrics to {metrics_out}: {exc}")
        return EXIT_FAILED
    finally:
        if metrics:
            with contextlib.suppress(OSError):  # every event was flushed; a failure was reported
                metrics.close()
    if isinstance(outcome, RunFinished):
        for line in summary_lines(outcome):
            out.print(line)
        return EXIT_OK
    if isinstance(outcome, RunFailed):
        err.print(f"training failed: {outcome.error}\n{outcome.traceback}", markup=False)
    return EXIT_FAILED


def layer_table_renderable(event: RunStarted) -> Table:
    """The book's per-layer shape printout as a rich table."""
    table = Table("layer", "output shape", "parameters", title="LeNet layers (1x1x28x28 input)")
    for layer in event.layers:
        table.add_row(layer.name, str(tuple(layer.output_shape)), f"{layer.parameters:,}")
    table.add_section()
    table.add_row("total", "", f"{event.parameters:,}")
    return table


def _print_run_header(out: Console, event: RunStarted) -> None:
    out.print(f"data: {event.data_source}", markup=False)
    out.print(
        f"device: {event.device}, seed: {event.config['seed']}, "
        f"{event.train_examples:,} training / {event.test_examples:,} test images"
    )
    out.print(layer_table_renderable(event))


class _MetricsWriteError(Exception):
    """The metrics file became unwritable mid-run (disk full, say)."""


def _write_event(metrics: IO[str], event: Event) -> None:
    try:
        metrics.write(json.dumps(event_to_dict(event), allow_nan=False) + "\n")
        metrics.flush()  # a reader tailing the file, or a crash, sees every event so far
    except OSError as exc:
        raise _MetricsWriteError(exc.strerror or exc) from exc


def _open_metrics(path: Path | None) -> IO[str] | None:
    if path is None:
        return None
    try:
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise LenetError(
            f"cannot write metrics to {path}: {exc.strerror or exc}; pick another --metrics-out"
        ) from None


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
