"""`lenet-tui`: check what can be checked on the command line, then run the dashboard."""

from __future__ import annotations

from pathlib import Path

from lenet_tui.app import create_app
from lenet_tui.config import TrainConfig
from lenet_tui.data import find_idx_files
from lenet_tui.devices import resolve_device
from lenet_tui.errors import EXIT_OK
from lenet_tui.runs import RunFolder


def run_dashboard(
    config: TrainConfig,
    data_dir: Path | None = None,
    download: bool = False,
    *,
    run_dir: Path | None = None,
    resume: Path | None = None,
) -> int:
    """Open the dashboard with the form filled from `config`; returns the exit code.

    An absent --device, a --data-dir without the four files, a --run-dir that already holds a
    run or a --resume folder that is not a run's, is refused here with one line before the screen
    changes; anything that goes wrong later is shown inside the app.
    """
    resolve_device(config.device)
    if data_dir is not None:
        find_idx_files(data_dir)
    if resume is not None:
        RunFolder.existing(resume)
    if run_dir is not None:
        RunFolder(run_dir).refuse_if_used()
    app = create_app(config, data_dir=data_dir, download=download, run_dir=run_dir, resume=resume)
    app.run()
    return app.return_code or EXIT_OK  # Textual sets 1 when the app died of a bug
