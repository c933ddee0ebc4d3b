"""The hyperparameter form: every setting of a run, edited with the keyboard and checked live."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch

from lenet_tui.engine.config import ACTIVATIONS, POOLINGS, ModelConfig, TrainConfig

LABELS = {
    "preset": "preset",
    "lr": "learning rate",
    "epochs": "epochs",
    "batch_size": "batch size",
    "device": "device",
    "seed": "seed",
    "activation": "activation",
    "pooling": "pooling",
    "batch_norm": "batch norm",
    "channels": "channels",
    "kernel_size": "kernel size",
}
"""Form field -> the label the user sees; the keys are TrainConfig/ModelConfig field names."""


@dataclass(frozen=True)
class Preset:
    """A named model variant with the learning rate it trains well at."""

    title: str
    model: ModelConfig
    lr: float


PRESETS = {
    "d2l": Preset("d2l LeNet (1998-style)", ModelConfig(), lr=0.9),
    "modern": Preset(
        "modern LeNet (ReLU, max-pool, batch norm)",
        ModelConfig(activation="relu", pooling="max", batch_norm=True),
        lr=0.1,
    ),
}
CUSTOM = "custom"


class ConfigForm(VerticalScroll):
    """Posts Changed on every edit; `config` is None while any field is invalid.

    It scrolls, so on a small terminal a long list of problems never hides the Start button.
    """

    @dataclass
    class Changed(Message):
        """The settings were edited; config is None while any field is invalid."""

        form: ConfigForm
        config: TrainConfig | None
        problems: dict[str, str]

    @dataclass
    class StartPressed(Message):
        """The user pressed the form's Start button."""

        form: ConfigForm

    def __init__(self, config: TrainConfig, devices: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = config
        self._devices = _device_options(config.device, devices)
        self.config: TrainConfig | None = config
        """The settings as last validated; None while a field is invalid."""
        self.problems: dict[str, str] = {}
        """Field name -> what is wrong with it, for every invalid field."""

    def compose(self) -> ComposeResult:
        c = self._initial
        preset_options = [(p.title, key) for key, p in PRESETS.items()]
        with Grid(id="form-grid"):
            presets = [*preset_options, (CUSTOM, CUSTOM)]
            preset = _preset_of(c.model)
            yield from _row("preset", Select(presets, allow_blank=False, value=preset))
            yield from _row("lr", Input(repr(c.lr), type="number"))
            yield from _row("epochs", Input(str(c.epochs), type="integer"))
            yield from _row("batch_size", Input(str(c.batch_size), type="integer"))
            yield from _row(
                "device", Select([(d, d) for d in self._devices], allow_blank=False, value=c.device)
            )
            yield from _row("seed", Input("random" if c.seed is None else str(c.seed)))
            yield from _row("activation", _choices(ACTIVATIONS, c.model.activation))
            yield from _row("pooling", _choices(POOLINGS, c.model.pooling))
            yield from _row("batch_norm", Switch(c.model.batch_norm))
            yield from _row("channels", Input(",".join(map(str, c.model.channels))))
            yield from _row("kernel_size", Input(str(c.model.kernel_size), type="integer"))
        yield Static(id="form-problems")
        yield Button("Start  ctrl+r", id="form-start", variant="success")
        yield Static("data: loading…", id="form-data")

    def on_mount(self) -> None:
        with self.prevent(Select.Changed):
            self._field("preset", Select).value = self._matching_preset()
        self._revalidate()

    def show_data_source(self, source: str) -> None:
        """Say which data a run will train on (or why there is none)."""
        self.query_one("#form-data", Static).update(f"data: {source}")

    def set_config(self, config: TrainConfig) -> None:
        """Fill every field from `config` (a resumed run's settings, so ctrl+n offers them)."""
        self._initial = config
        with self.prevent(Input.Changed, Select.Changed, Switch.Changed):
            self._field("lr", Input).value = repr(config.lr)
            self._field("epochs", Input).value = str(config.epochs)
            self._field("batch_size", Input).value = str(config.batch_size)
            if config.device in self._devices:
                self._field("device", Select).value = config.device
            self._field("seed", Input).value = "random" if config.seed is None else str(config.seed)
            self._set_model(config.model)
            self._field("preset", Select).value = self._matching_preset()
        self._revalidate()

    @on(Select.Changed, "#field-preset")
    def apply_preset(self, event: Select.Changed) -> None:
        preset = PRESETS.get(str(event.value))
        if preset is None or event.value == self._matching_preset():
            return  # "custom", or set by the form itself to name the options already there
        with self.prevent(Input.Changed, Select.Changed, Switch.Changed):
            self._field("lr", Input).value = repr(preset.lr)
            self._set_model(preset.model)
        self._revalidate()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    def field_edited(self, event: Message) -> None:
        if getattr(event, "control", None) is self._field("preset", Select):
            return
        with self.prevent(Select.Changed):
            self._field("preset", Select).value = self._matching_preset()
        self._revalidate()

    @on(Input.Submitted)
    def next_field(self) -> None:
        self.screen.focus_next()

    @on(Button.Pressed, "#form-start")
    def start_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.StartPressed(self))

    def _revalidate(self) -> None:
        config, problems = self._read()
        self.config, self.problems = config, problems
        for name in LABELS:
            self._field(name, Widget).set_class(name in problems, "invalid")
        lines = [f"{LABELS.get(k, k)}: {p}" for k, p in problems.items()]
        self.query_one("#form-problems", Static).update("\n".join(lines))
        self.set_class(bool(problems), "has-problems")
        self.query_one("#form-start", Button).disabled = bool(problems)
        self.post_message(self.Changed(self, config, problems))

    def _read(self) -> tuple[TrainConfig | None, dict[str, str]]:
        """Parse every field, then let TrainConfig judge the ranges."""
        problems: dict[str, str] = {}
        values: dict[str, object] = {}
        text_fields: dict[str, Callable[[str], object]] = {
            "lr": _parse_float,
            "epochs": _parse_int,
            "batch_size": _parse_int,
            "seed": _parse_seed,
            "channels": _parse_channels,
            "kernel_size": _parse_int,
        }
        for name, parse in text_fields.items():
            try:
                values[name] = parse(self._field(name, Input).value.strip())
            except ValueError as exc:
                problems[name] = str(exc)
        base = self._initial  # settings without a field here (--optimizer, say) are kept as given
        model_keys = ("channels", "kernel_size")
        model = dataclasses.replace(
            base.model,
            activation=str(self._field("activation", Select).value),
            pooling=str(self._field("pooling", Select).value),
            batch_norm=self._field("batch_norm", Switch).value,
            **{k: values.get(k, getattr(base.model, k)) for k in model_keys},
        )
        config = dataclasses.replace(
            base,
            device=str(self._field("device", Select).value),
            model=model,
            **{k: values.get(k, getattr(base, k)) for k in ("lr", "epochs", "batch_size", "seed")},
        )
        problems = {**config.problems(), **problems}
        return (None if problems else config), problems

    def _set_model(self, model: ModelConfig) -> None:
        self._field("activation", Select).value = model.activation
        self._field("pooling", Select).value = model.pooling
        self._field("batch_norm", Switch).value = model.batch_norm
        self._field("channels", Input).value = ",".join(map(str, model.channels))
        self._field("kernel_size", Input).value = str(model.kernel_size)

    def _matching_preset(self) -> str:
        return _preset_of(
            ModelConfig(
                activation=str(self._field("activation", Select).value),
                pooling=str(self._field("pooling", Select).value),
                batch_norm=self._field("batch_norm", Switch).value,
            )
        )

    def _field(self, name: str, kind: type[Widget]) -> Widget:
        return self.query_one(f"#field-{name}", kind)


def _preset_of(model: ModelConfig) -> str:
    """The preset whose activation, pooling and batch norm `model` has, else custom."""
    for key, preset in PRESETS.items():
        m = preset.model
        if (m.activation, m.pooling, m.batch_norm) == (
            model.activation,
            model.pooling,
            model.batch_norm,
        ):
            return key
    return CUSTOM


def _row(name: str, widget: Widget) -> ComposeResult:
    widget.id = f"field-{name}"
    yield Label(LABELS[name], classes="form-label")
    yield widget


def _choices(options: tuple[str, ...], value: str) -> Select:
    return Select([(o, o) for o in options], allow_blank=False, value=value)


def _device_options(wanted: str, present: list[str]) -> list[str]:
    options = ["auto", *present]
    return options if wanted in options else [*options, wanted]


def _parse_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"must be a number like 0.9 or 1e-3, got {text!r}") from None


def _parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"must be a whole number, got {text!r}") from None


def _parse_seed(text: str) -> int | None:
    if text == "random":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"must be a whole number or 'random', got {text!r}") from None


def _parse_channels(text: str) -> tuple[int, int]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"needs two whole numbers like 6,16, got {text!r}")
    return int(parts[0]), int(parts[1])
