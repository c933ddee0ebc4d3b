"""The form's model preview: only the answer to the latest question reaches the screen."""

from dashboard_helpers import wait_until
from textual import on
from textual.app import App, ComposeResult

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.ui.messages import ModelPreview
from lenet_tui.ui.widgets.model_preview import FormModelPreview

BOOK = TrainConfig()
WIDER = TrainConfig(model=ModelConfig(channels=(8, 20)))


def key(config: TrainConfig) -> object:
    return (config.model, config.seed)


class Host(App):
    def __init__(self) -> None:
        super().__init__()
        self.shown: list[ModelPreview] = []

    def compose(self) -> ComposeResult:
        yield FormModelPreview()

    @on(ModelPreview)
    def record(self, message: ModelPreview) -> None:
        self.shown.append(message)


async def test_a_form_changed_again_shows_only_the_last_models_layers():
    app = Host()
    async with app.run_test() as pilot:
        preview = app.query_one(FormModelPreview)
        preview.ask(BOOK, None)
        preview.ask(WIDER, None)
        preview.post_message(ModelPreview(key(BOOK), (), None))  # the first answer, late
        await wait_until(pilot, lambda: app.shown)
        assert [m.key for m in app.shown] == [key(WIDER)]
        assert app.shown[0].layers[0].output_shape == (1, 8, 28, 28)


async def test_the_same_model_asked_again_is_not_built_again():
    app = Host()
    async with app.run_test():
        preview = app.query_one(FormModelPreview)
        builds: list[object] = []
        preview._build = lambda key, config, data: builds.append(key)
        preview.ask(BOOK, None)
        preview.ask(BOOK, None)
        preview.ask(WIDER, None)
        preview.forget()  # the data arrived: the same model is shown again, on its images
        preview.ask(WIDER, None)
        assert builds == [key(BOOK), key(WIDER), key(WIDER)]


async def test_an_answer_that_comes_after_a_run_started_is_dropped():
    app = Host()
    async with app.run_test() as pilot:
        preview = app.query_one(FormModelPreview)
        builds: list[object] = []
        preview._build = lambda key, config, data: builds.append(key)  # answers posted below
        preview.ask(BOOK, None)
        preview.ignore_pending()  # a run started
        preview.post_message(ModelPreview(key(BOOK), (), None))
        await pilot.pause()
        assert app.shown == []
        preview.ask(BOOK, None)  # the form after the run, unchanged: the run's layers stay
        assert builds == [key(BOOK)]
        preview.ask(WIDER, None)  # a new model: built, and shown
        preview.post_message(ModelPreview(key(WIDER), (), None))
        await wait_until(pilot, lambda: app.shown)
        assert [m.key for m in app.shown] == [key(WIDER)]
        assert builds == [key(BOOK), key(WIDER)]
