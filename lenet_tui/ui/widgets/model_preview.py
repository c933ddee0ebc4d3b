"""The model the form describes, built off the UI thread for the layer table and the views of
its untrained weights."""

from __future__ import annotations

from textual import on, work
from textual.widget import Widget

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.data import Dataset
from lenet_tui.engine.inspection import Inspector
from lenet_tui.engine.model import build_lenet, layer_table
from lenet_tui.ui.messages import ModelPreview


class FormModelPreview(Widget):
    """Posts a ModelPreview for each new (model, seed) the form asks for. A widget never shown,
    so that its worker posts to it; the latest answer bubbles up to the Train tab and the
    screen, earlier ones stop here."""

    def __init__(self) -> None:
        super().__init__()
        self.display = False
        self._key: object = None
        """The last model asked for: asked again, it is not built again."""
        self._awaited: object = None
        """The answer that gets through (None: none does)."""

    def ask(self, config: TrainConfig, data: Dataset | None) -> None:
        """Build `config`'s model, unless it is the one asked for last."""
        key = (config.model, config.seed)
        if key != self._key:
            self._key = self._awaited = key
            self._build(key, config, data)

    def forget(self) -> None:
        """The next `ask` builds again (the data arrived: there are images to show it on)."""
        self._key = self._awaited = None

    def ignore_pending(self) -> None:
        """Drop the answer on its way, if any (a run started: its own layers are shown)."""
        self._awaited = None

    @on(ModelPreview)
    def drop_stale(self, message: ModelPreview) -> None:
        if message.key != self._awaited:
            message.stop()  # the form changed again, or a run started, since it was asked for

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def _build(self, key: object, config: TrainConfig, data: Dataset | None) -> None:
        """Off the UI thread: a thread that runs a parallel torch op keeps an OpenMP pool for
        life, which slows training (see lenet_tui.ui.worker_threads); a worker's thread and pool
        end with the worker."""
        layers = layer_table(build_lenet(config.model))
        inspector = None if data is None else Inspector.untrained(config.model, config.seed, data)
        self.post_message(ModelPreview(key, layers, inspector))
