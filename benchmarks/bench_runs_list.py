"""How fast the Runs tab lists 1,000 kept runs (issue 11: the list opens in < 1 s).

    python benchmarks/bench_runs_list.py [--runs 1000] [--epochs 10] [--rounds 3]

Makes `--runs` run folders in a temporary runs dir, as a real run writes them (10 progress
reports per epoch with layer and activation health, an epoch end with a confusion matrix): most
finished, every 10th with a damaged (foreign) config.toml, every 7th with garbage lines in its
metrics, every 13th half-written (a config.toml only), and 100 of them inside a grid folder.
Then it times:

1. the scan alone (RunCatalog.scan: every folder read), cold and again with the cache warm;
2. the dashboard (Textual's Pilot, 120x40): from F4 to the list drawn with every run in it.
   The Runs tab begins scanning when the dashboard starts, so F4 pressed at once waits for that
   cold scan, and F4 pressed later (or again after the Train tab) finds the cache warm.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from event_fixtures import started  # noqa: E402
from idx_fixtures import make_tiny_dataset  # noqa: E402

from lenet_tui.engine.config import TrainConfig  # noqa: E402
from lenet_tui.engine.events import (  # noqa: E402
    ActivationHealth,
    EpochEnd,
    LayerHealth,
    RunFinished,
    TrainProgress,
    event_to_dict,
)
from lenet_tui.runs.catalog import RunCatalog  # noqa: E402
from lenet_tui.runs.folder import RunFolder  # noqa: E402

LAYERS = tuple(LayerHealth(i, f"layer{i}", 3.2, 0.01, 0.001) for i in range(5))
ACTIVATIONS = tuple(ActivationHealth(i, f"conv{i} sigmoid", 0.5, 0.2, 0.1, 0.0) for i in range(4))
CONFUSION = tuple(tuple(90 if r == c else 1 for c in range(10)) for r in range(10))


def run_lines(epochs: int) -> str:
    """A finished run's metrics.jsonl, as big as a real one."""
    events: list = [started()]
    for epoch in range(1, epochs + 1):
        for i in range(1, 11):
            e = epoch - 1 + i / 10
            events.append(TrainProgress(e, i * 23, 1.0, 0.6, 9000.0, 0.9, LAYERS, ACTIVATIONS, 2))
        events.append(EpochEnd(epoch, 1.0, 0.6, 1.1, 0.5 + epoch / 100, 7.0, 9000.0, CONFUSION))
    events.append(RunFinished(1.0, 0.6, 1.1, 0.6, 9000.0, "cpu", 75.0))
    return "".join(json.dumps(event_to_dict(event)) + "\n" for event in events)


def make_runs(base: Path, count: int, epochs: int) -> None:
    metrics = run_lines(epochs)
    grid = base / "grid-pooling"
    grid.mkdir(parents=True)
    (grid / "grid.toml").write_text('vary = "pooling=avg,max"\n')
    for i in range(count):
        where = grid if i < 100 else base
        config = TrainConfig(epochs=epochs, lr=0.1 + i / 1000, seed=i)
        folder = RunFolder.create(config, where / f"run-{i:04d}")
        if i % 13 == 5:
            continue  # half-written: a config.toml and nothing else
        if i % 10 == 3:
            folder.config_path.write_text('[tool.poetry]\nname = "not lenet"\n')
        text = metrics + ("garbage {{{\n" * 3 + metrics[:500] if i % 7 == 2 else "")
        folder.metrics_path.write_text(text)
        stamp = 1_700_000_000 + i
        os.utime(folder.path, (stamp, stamp))


def time_scan(base: Path) -> tuple[float, float, int]:
    catalog = RunCatalog()
    start = time.perf_counter()
    runs = catalog.scan(base)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    catalog.scan(base)
    return cold, time.perf_counter() - start, len(runs)


async def time_tab(count: int, at_start: bool) -> tuple[float, float]:
    """Seconds from F4 to the list drawn with every run: the first time (pressed as soon as
    the app is up if at_start, else once the scan begun at start has ended), and again."""
    from lenet_tui.ui.app import create_app
    from lenet_tui.ui.widgets.runs_view import RunsView

    app = create_app(TrainConfig(device="cpu"), data=make_tiny_dataset(64, 16), devices=["cpu"])
    figures = []
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.screen.query_one(RunsView)
        if not at_start:
            await pilot.app.workers.wait_for_complete()
        for _ in range(2):
            start = time.perf_counter()
            await pilot.press("f4")
            while view.table.row_count < count:  # the scan's worker fills it
                await pilot.pause(0.005)
            await pilot.pause()  # the frame with the rows drawn
            figures.append(time.perf_counter() - start)
            await pilot.press("f2")
            await pilot.pause()
    return figures[0], figures[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one"
        make_runs(one, 1, args.epochs)  # the cost of showing the tab at all
        base = Path(tmp) / "runs"
        make_runs(base, args.runs, args.epochs)
        size = sum(p.stat().st_size for p in base.rglob("metrics.jsonl"))
        print(f"{args.runs} runs, {size / 1e6:.0f} MB of metrics")
        for _ in range(args.rounds):
            cold, warm, listed = time_scan(base)
            print(f"scan: {listed} runs listed, cold {cold:.2f} s, cached {warm:.3f} s")
        for _ in range(args.rounds):
            for where, count in ((one, 1), (base, args.runs)):
                os.environ["LENET_TUI_RUNS_DIR"] = str(where)
                for at_start, when in ((True, "at start"), (False, "after the start's scan")):
                    first, again = asyncio.run(time_tab(count, at_start))
                    print(
                        f"{count} runs, F4 {when}: list drawn in {first:.2f} s; again {again:.2f} s"
                    )


if __name__ == "__main__":
    main()
