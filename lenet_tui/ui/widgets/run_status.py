"""Where the run is: device, epoch, speed, elapsed and ETA, latest metrics, the book's summary."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from rich.console import Group
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Resize
from textual.reactive import reactive
from textual.widgets import Static

from lenet_tui.engine.events import (
    EpochEnd,
    Event,
    RunDiverged,
    RunFailed,
    RunFinished,
    RunPaused,
    RunResumed,
    RunStopped,
    TrainProgress,
    examples_per_sec_text,
    summary_lines,
)
from lenet_tui.runs.driver import Kept
from lenet_tui.ui.machine import MachineFigures, machine_text
from lenet_tui.ui.wrapping import Wrapped

NARROW_WIDTH = 40
"""A status panel narrower than this (at 80 columns) says the data's origin and the run's folder
in short, so that the book's summary lines below them stay in view."""
NARROW_PATH = 44
"""The most characters of the run's folder in a narrow panel: two lines."""
StatusState = Literal[
    "ready", "loading", "running", "paused", "stopping", "finished", "stopped", "diverged", "failed"
]  # fmt: skip
"""What the status panel says of the data and the run: "failed" covers data that cannot load."""


@dataclass(frozen=True)
class RunView:
    """Everything the status panel shows, as plain values."""

    state: StatusState = "ready"
    device: str = ""
    data_source: str = ""
    epochs: int = 0
    epoch: float = 0.0
    examples_per_sec: float | None = None
    started_at: float | None = None
    now: float | None = None
    lr: float | None = None
    """The learning rate of the latest report."""
    train_loss: float | None = None
    train_acc: float | None = None
    test_acc: float | None = None
    test_epoch: int = 0
    summary: tuple[str, ...] = ()
    message: str = ""
    seed: int | None = None
    run_dir: str = ""
    """Where the run is kept (settings, metrics, checkpoints)."""
    start_epoch: int = 0
    """Epochs done before this session's part of the run (a resumed run's checkpoint)."""
    paused_for: float = 0.0
    """Seconds the run was paused before the pause in progress, if any (not counted as elapsed)."""
    paused_at: float | None = None
    """When the pause in progress began (None: not paused)."""
    process: MachineFigures | None = None
    """The process's CPU use and memory at the last reading (None: not read yet)."""
    threads: int = 0
    """CPU threads training uses (0: not reported)."""
    device_memory: float = math.nan
    device_memory_peak: float = math.nan
    final_speed: bool = False
    """examples_per_sec is the run's, as the summary line gives it (else the latest report's)."""
    narrow: bool = False
    """The panel is narrow (80 columns): the data's description without its explanation."""

    @property
    def elapsed(self) -> float | None:
        """Seconds trained, pauses left out."""
        if self.started_at is None or self.now is None:
            return None
        pausing = self.now - self.paused_at if self.paused_at is not None else 0.0
        return max(0.0, self.now - self.started_at - self.paused_for - pausing)

    def pause_began(self, now: float) -> RunView:
        return self.evolve(state="paused", paused_at=now, now=now)

    def pause_ended(self, now: float) -> RunView:
        if self.paused_at is None:
            return self.evolve(now=now)
        paused_for = self.paused_for + now - self.paused_at
        state = "running" if self.state == "paused" else self.state
        return self.evolve(state=state, paused_for=paused_for, paused_at=None, now=now)

    @property
    def eta(self) -> float | None:
        """Seconds left, from the pace so far; None until there is a pace."""
        elapsed, done = self.elapsed, self.epoch - self.start_epoch
        if elapsed is None or done <= 0 or self.state != "running":
            return None
        return elapsed * (self.epochs - self.epoch) / done

    def evolve(self, **changes: object) -> RunView:
        return replace(self, **changes)


STATE_STYLES: dict[StatusState, str] = {
    "running": "bold green",
    "paused": "bold magenta",
    "stopping": "bold yellow",
    "finished": "bold cyan",
    "stopped": "bold yellow",
    "failed": "bold red",
    "diverged": "bold red",
}


class RunStatus(Vertical):
    """The status panel: `note` records figures, `show` records and redraws.

    It is redrawn about once a second during a run, on the UI thread that shares the CPU with
    training, so it does as little as it can: only the parts whose values changed are rebuilt,
    and the layout is recomputed only when a part can have changed height.
    """

    view: reactive[RunView] = reactive(RunView, always_update=True)
    """What is drawn; assigning it redraws."""
    _shown: RunView | None = None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.latest = RunView(state="loading")
        """Every figure recorded so far: what the next redraw shows. Replaced, never mutated."""

    def note(self, **changes: object) -> None:
        """Record figures for the next redraw."""
        self.latest = self.latest.evolve(**changes)

    def show(self, **changes: object) -> None:
        """Record figures and redraw now."""
        self.note(**changes)
        self.view = self.latest

    def start_run(self, epochs: int, seed: int | None, start_epoch: int, now: float) -> None:
        """A run begins (a resumed one after `start_epoch` epochs): its clock starts now."""
        self.latest = RunView(data_source=self.latest.data_source, narrow=self.latest.narrow)
        self.show(
            state="running",
            epochs=epochs,
            epoch=float(start_epoch),
            start_epoch=start_epoch,
            started_at=now,
            now=now,
            seed=seed,
            message=f"resumed after epoch {start_epoch}" if start_epoch else "",
        )

    def note_progress(self, event: TrainProgress, now: float) -> None:
        """Record a progress report's figures for the next redraw."""
        self.note(
            lr=event.lr,
            epoch=event.epoch,
            train_loss=event.train_loss,
            train_acc=event.train_acc,
            examples_per_sec=event.examples_per_sec,
            threads=event.threads,
            device_memory=event.device_memory,
            device_memory_peak=event.device_memory_peak,
            now=now,
        )

    def note_test(self, event: EpochEnd) -> None:
        """Record an epoch's test accuracy for the next redraw."""
        self.note(epoch=float(event.epoch), test_acc=event.test_acc, test_epoch=event.epoch)

    def show_pause(self, event: RunPaused | RunResumed, now: float) -> None:
        """The run paused (the clock stops) or went on (the clock goes on)."""
        if isinstance(event, RunPaused):
            self.latest = self.latest.pause_began(now)
            self.show(message=f"paused in epoch {event.epoch}, step {event.step}: f8 goes on")
        else:
            self.latest = self.latest.pause_ended(now)
            self.show(message="")

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW_WIDTH
        if narrow != self.latest.narrow:
            self.show(narrow=narrow)

    def compose(self) -> ComposeResult:
        yield Static(id="status-table")
        yield Static(id="status-progress")
        yield Static(id="status-summary")

    def watch_view(self, view: RunView) -> None:
        old, self._shown = self._shown, view
        if old == view:
            return
        self.query_one("#status-table", Static).update(
            _table(view),
            layout=old is None or _lines(old) != _lines(view),
        )
        if old is None or (old.epoch, old.epochs) != (view.epoch, view.epochs):
            self.query_one("#status-progress", Static).update(_progress(view), layout=old is None)
        if old is None or (old.summary, old.message, old.state) != (
            view.summary,
            view.message,
            view.state,
        ):
            self.query_one("#status-summary", Static).update(_summary(view))


NEW_RUN = "ctrl+n for a new run"
RESUME = "ctrl+o resumes it"


@dataclass(frozen=True)
class Ending:
    """How an event that ends a run is shown."""

    state: StatusState
    changes: dict[str, object]
    """For the status panel: its message, or the book's summary."""
    alert: tuple[str, str] | None = None
    """The title and line of an error notification, if the run went wrong."""
    hint: str = NEW_RUN
    """What to do next, the same in the status panel's message and the notification."""

    @property
    def toast(self) -> str:
        """The notification of a run that ended well enough to need no alert."""
        return f"run {self.state}: {self.hint}"


def run_ending(event: Event, kept: Kept | None) -> Ending | None:
    """What the status panel says of a run's last event (None: the event does not end a run)."""
    if isinstance(event, RunFinished):
        changes: dict[str, object] = {  # the speed: the summary's, not the last report's
            "summary": summary_lines(event),
            "examples_per_sec": event.examples_per_sec,
            "final_speed": True,
        }
        if event.stopped_early and kept is not None:
            early = f"stopped early after epoch {kept.checkpoint_epoch}"
            changes["message"] = f"{early}: test acc had stopped improving"
        return Ending("finished", changes)
    if isinstance(event, RunStopped):
        stopped = f"stopped in epoch {event.epoch}, step {event.step}"
        if kept is None or kept.checkpoint_at is None:
            return Ending("stopped", {"message": f"{stopped}; no checkpoint was written"})
        kept_at = f"its checkpoint at the {kept.checkpoint_at} is kept"
        return Ending("stopped", {"message": f"{stopped}; {kept_at}: {RESUME}"}, hint=RESUME)
    if isinstance(event, RunDiverged):
        message = f"{event.message} {_kept(kept)}"
        return Ending("diverged", {"message": message}, ("Run diverged", event.message))
    if isinstance(event, RunFailed):
        message = f"training failed: {event.error}"
        return Ending("failed", {"message": message}, ("Training failed", event.error))
    return None


def _kept(kept: Kept | None) -> str:
    """What of a diverged run is on disk."""
    if kept is None or kept.checkpoint_at is None:
        return "no checkpoint was written"
    return f"The last good checkpoint (the {kept.checkpoint_at}) is kept."


def _table(view: RunView) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    table.add_row("state", Text(view.state, style=STATE_STYLES.get(view.state, "")))
    table.add_row("device", Text(view.device or "–"))
    table.add_row("seed", "–" if view.seed is None else str(view.seed))
    table.add_row("epoch", f"{_epoch_text(view.epoch)} / {view.epochs}" if view.epochs else "–")
    table.add_row("speed", _speed(view))
    table.add_row("elapsed", f"{_clock(view.elapsed)}   ETA {_clock(view.eta)}")
    if _has_machine(view):
        table.add_row("machine", Wrapped(_machine(view), after=" "))
    table.add_row("lr", "–" if view.lr is None or view.lr != view.lr else f"{view.lr:.4g}")
    table.add_row("train", _metrics(view.train_loss, view.train_acc))
    test = (
        f"acc {view.test_acc:.3f} (epoch {view.test_epoch})" if view.test_acc is not None else "–"
    )
    table.add_row("test", test)
    data = view.data_source.split(" (")[0] if view.narrow else view.data_source
    table.add_row("data", Wrapped(data or "–", style="dim"))
    if view.run_dir:
        run_dir = _cut_path(view.run_dir, NARROW_PATH) if view.narrow else view.run_dir
        table.add_row("kept in", Wrapped(run_dir, after="/,", style="dim"))
    return table


def _speed(view: RunView) -> str:
    """The latest report's examples/sec; once the run finished, the summary line's figure in
    the summary line's words, so that the panel shows one number for it."""
    if not view.examples_per_sec:
        return "–"
    if view.final_speed:
        return examples_per_sec_text(view.examples_per_sec)
    return f"{view.examples_per_sec:,.0f} examples/sec"


def _cut_path(path: str, most: int) -> str:
    """A path of at most `most` characters: the folders nearest the run (its own always) after
    "…/" where the whole is longer."""
    if len(path) <= most:
        return path
    parts = path.split("/")
    kept = [parts.pop()]
    while parts and len("…/" + "/".join([parts[-1], *kept])) <= most:
        kept.insert(0, parts.pop())
    return "…/" + "/".join(kept)


def _lines(view: RunView) -> tuple[object, ...]:
    """What decides how many lines the table takes: the rows whose text can wrap. The layout,
    which costs the UI thread, is recomputed only when it changes (the machine's figures
    change every second, their length seldom)."""
    return view.data_source, view.run_dir, len(_machine(view)), view.narrow


def _machine(view: RunView) -> str:
    if not _has_machine(view):
        return ""
    return machine_text(view.process, view.threads, view.device_memory, view.device_memory_peak)


def _has_machine(view: RunView) -> bool:
    return view.process is not None or view.threads > 0 or math.isfinite(view.device_memory)


def _progress(view: RunView) -> ProgressBar:
    return ProgressBar(
        total=max(view.epochs, 1),
        completed=view.epoch,
        complete_style="bold green",
        finished_style="bold cyan",
        style="grey23",
    )


def _summary(view: RunView) -> Group:
    parts = [Wrapped(line, after=",", style="bold") for line in view.summary]
    if view.message:
        parts.append(Wrapped(view.message, style=STATE_STYLES.get(view.state, "")))
    return Group(*parts)


def _metrics(loss: float | None, acc: float | None) -> str:
    if loss is None or acc is None:
        return "–"
    return f"loss {loss:.3f}, acc {acc:.3f}"


def _epoch_text(epoch: float) -> str:
    return f"{epoch:.0f}" if float(epoch).is_integer() else f"{epoch:.1f}"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
