"""`lenet-tui` without --no-ui: check what the command line can, then run the dashboard."""

from __future__ import annotations

import sys
from pathlib import Path

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import find_idx_files
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.devices import resolve_device
from lenet_tui.errors import EXIT_OK, LenetError
from lenet_tui.runs.folder import RunFolder
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.ui.app import create_app


def run_dashboard(
    config: TrainConfig,
    data: DataSource | None = None,
    *,
    run_dir: Path | None = None,
    resume: Path | None = None,
    ray: RayOptions | None = None,
) -> int:
    """Open the dashboard with the form filled from `config`; returns the exit code.

    data is the source the user chose (None: the bundled copy, or a resumed run's own); ray
    fills the form's ray fields (`lenet-tui --ray [ADDRESS]`: a grid from the form trains on
    Ray; Ray itself is checked by the form, and joined when the grid starts).

    An absent --device (or one without native bf16, for --precision bf16), a --data-dir without
    the four files, a --run-dir that already holds a run, a --resume folder that is not a run's,
    or no terminal to draw on and read keys from, is refused here with one line before the
    screen changes; anything that goes wrong later is shown inside the app.
    """
    resolve_device(config.device, config.precision)
    if data is not None and data.data_dir is not None and not data.download:
        find_idx_files(data.data_dir, config.dataset)
    if resume is not None:
        RunFolder.existing(resume)
    if run_dir is not None:
        RunFolder(run_dir).refuse_if_used()
    refuse_without_terminal()
    app = create_app(config, data_source=data, run_dir=run_dir, resume=resume)
    if ray is not None:
        app.dashboard.offer_ray(ray)
    app.run()
    return app.return_code or EXIT_OK  # Textual sets 1 when the app died of a bug


def refuse_without_terminal() -> None:
    """LenetError (one line) unless stdin, stdout and stderr are all a terminal: the dashboard
    reads keys from stdin and draws on stderr, and without a terminal it would spin on an empty
    stdin or draw into a file."""
    missing = [name for name in ("stdin", "stdout", "stderr") if not _is_terminal(name)]
    if missing:
        names = ", ".join(missing[:-1]) + " and " + missing[-1] if missing[1:] else missing[0]
        raise LenetError(
            f"the dashboard needs a terminal, and {names} {'are' if missing[1:] else 'is'} not "
            "one; run it in a terminal, or train without it with --no-ui"
        )


def _is_terminal(name: str) -> bool:
    stream = getattr(sys, name)
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):  # closed
        return False
