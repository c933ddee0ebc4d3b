"""`lenet-tui` without --no-ui: check what the command line can, then run the dashboard."""

from __future__ import annotations

from pathlib import Path

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import find_idx_files
from lenet_tui.engine.data_source import DataSource
from lenet_tui.engine.devices import resolve_device
from lenet_tui.errors import EXIT_OK
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
    the four files, a --run-dir that already holds a run or a --resume folder that is not a
    run's, is refused here with one line before the screen changes; anything that goes wrong
    later is shown inside the app.
    """
    resolve_device(config.device, config.precision)
    if data is not None and data.data_dir is not None and not data.download:
        find_idx_files(data.data_dir, config.dataset)
    if resume is not None:
        RunFolder.existing(resume)
    if run_dir is not None:
        RunFolder(run_dir).refuse_if_used()
    app = create_app(config, data_source=data, run_dir=run_dir, resume=resume)
    if ray is not None:
        app.dashboard.offer_ray(ray)
    app.run()
    return app.return_code or EXIT_OK  # Textual sets 1 when the app died of a bug
