"""The hyperparameter form: every setting of a run, edited with the keyboard and checked live."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch

from lenet_tui.engine.config import TrainConfig
from lenet_tui.engine.presets import PRESETS
from lenet_tui.engine.settings import SETTINGS, Setting, with_values
from lenet_tui.errors import shown
from lenet_tui.runs.ray_setup import RayOptions
from lenet_tui.ui.modes.local_grid import GridRequest, read_grid
from lenet_tui.ui.ray_form import CPUS_HINT, RAY_HINT, RAY_SHORT_HINT, ray_fields, read_ray

CUSTOM = "custom"
SHORT_LABELS = {"fashion-mnist": "Fashion"}
"""Choices shown shorter than their value, so that they fit the form at 80 columns."""
FIELDS = tuple(setting for setting in SETTINGS if setting.label is not None)
"""The form's rows, top to bottom, after the preset."""
GRID_FIELDS = {"vary": ("e.g. lr=.1,.9",), "seeds": ("e.g. 0,1,2",),
               "ray": (RAY_HINT, RAY_SHORT_HINT), "ray_cpus": (CPUS_HINT,)}  # fmt: skip
"""The rows after the settings that ask for a grid (as --grid, --seeds, --ray and
--ray-cpus-per-run), and their hints, longest first: a field shows the longest that fits it."""
LABELS = {
    "preset": "preset",
    **{f.name: str(f.label) for f in FIELDS},
    **{n: n for n in GRID_FIELDS},
    "ray_cpus": "cpus per run",
}
"""Form field -> the label the user sees; the keys are TrainConfig/ModelConfig field names, and
vary, seeds, ray and ray_cpus."""


class HintedInput(Input):
    """An Input whose placeholder is the longest of its hints that fits its width."""

    def __init__(self, hints: tuple[str, ...]) -> None:
        super().__init__(placeholder=hints[0])
        self._hints = hints

    def on_resize(self) -> None:
        width = self.content_region.width
        self.placeholder = next((h for h in self._hints if len(h) <= width), self._hints[-1])


class ConfigForm(Vertical):
    """Posts Changed on every edit; `config` is None while any field is invalid.

    Its rows scroll above the problems and the Start button, which stay in view at any size.
    Settings without a row here (reports per epoch) keep the values given.
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
        self._valid = config
        """The last valid settings, which a preset starts from while a field is invalid."""
        self.problems: dict[str, str] = {}
        """Field name -> what is wrong with it, for every invalid field."""
        self.grid_request: GridRequest | None = None
        """The grid that vary, seeds and ray ask for; None when vary is blank or a field is
        invalid (Start then starts one run of `config`)."""

    def compose(self) -> ComposeResult:
        c = self._initial
        presets = [*((p.title, key) for key, p in PRESETS.items()), (CUSTOM, CUSTOM)]
        with VerticalScroll(id="form-rows"):
            with Grid(id="form-grid"):
                yield from _row("preset", Select(presets, allow_blank=False, value=_preset_of(c)))
                for f in FIELDS:
                    yield from _row(f.name, self._widget(f, _value(c, f)))
                for name, hints in GRID_FIELDS.items():
                    yield from _row(name, HintedInput(hints))
            yield Static("data: loading…", id="form-data")
        with Vertical(id="form-foot"):  # below the rows, in view however far they scroll
            yield Static(id="form-problems")
            yield Button("Start  ctrl+r", id="form-start", variant="success", compact=True)

    def _widget(self, f: Setting, value: object) -> Widget:
        if f.widget == "switch":
            return Switch(bool(value))
        if f.widget == "select":
            options = self._devices if f.name == "device" else f.choices
            labels = [(SHORT_LABELS.get(o, o), o) for o in options]
            return Select(labels, allow_blank=False, value=value)
        numeric = {"lr": "number", "epochs": "integer", "batch_size": "integer"}
        return Input(f.show(value), type=numeric.get(f.name, "text"))  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self._revalidate()

    def show_data_source(self, source: str) -> None:
        """Say which data a run will train on (or why there is none)."""
        line = self.query_one("#form-data", Static)
        line.update(Text(f"data: {source}"))  # a path or an error: never markup
        # Textual (8.2) keeps the height it measured while the line's first layout was still
        # pending, so at start the line could stay one row, cut; measured again once shown.
        line.call_after_refresh(line.refresh, layout=True)

    def set_ray(self, options: RayOptions) -> None:
        """Fill the ray and cpus-per-run fields (from --ray and --ray-cpus-per-run)."""
        for name, text in zip(("ray", "ray_cpus"), ray_fields(options), strict=True):
            self.query_one(f"#field-{name}", Input).value = text

    def set_config(self, config: TrainConfig) -> None:
        """Fill every field from `config` (a resumed run's settings, so ctrl+n offers them)."""
        self._initial = config
        self._fill(config)

    def _fill(self, config: TrainConfig) -> None:
        with self.prevent(Input.Changed, Select.Changed, Switch.Changed):
            for f in FIELDS:
                value = _value(config, f)
                if f.name == "device" and value not in self._devices:
                    continue
                widget = self._field(f.name, Widget)
                widget.value = f.show(value) if f.widget == "input" else value  # type: ignore[attr-defined]
            self._field("preset", Select).value = _preset_of(config)
        self._revalidate()

    @on(Select.Changed, "#field-preset")
    def apply_preset(self, event: Select.Changed) -> None:
        preset = PRESETS.get(str(event.value))
        if preset is None or (self.config is not None and preset.matches(self.config)):
            return  # "custom", or set by the form itself to name the settings already there
        self._fill(preset.apply(self.config or self._valid))  # mends invalid fields too

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    def field_edited(self, event: Message) -> None:
        if getattr(event, "control", None) is self._field("preset", Select):
            return
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
        texts = (self.query_one(f"#field-{name}", Input).value for name in GRID_FIELDS)
        vary, seeds, ray, cpus = texts
        request, grid_problems = read_grid(vary, seeds, config)
        options, ray_problems = read_ray(ray, cpus, bool(vary.strip()))
        grid_problems.update(ray_problems)
        if request is not None:
            request = request._replace(ray=options)
        if grid_problems:
            config, problems = None, {**problems, **grid_problems}
        self.config, self.problems = config, problems
        self.grid_request = request if config is not None else None
        self._valid = config or self._valid
        with self.prevent(Select.Changed):
            self._field("preset", Select).value = _preset_of(config) if config else CUSTOM
        for name in LABELS:
            self._field(name, Widget).set_class(name in problems, "invalid")
        lines = [f"{LABELS.get(k, k)}: {p}" for k, p in problems.items()]
        self.query_one("#form-problems", Static).update(Text("\n".join(lines)))  # no markup
        self.set_class(bool(problems), "has-problems")
        self.query_one("#form-start", Button).disabled = bool(problems)
        self.post_message(self.Changed(self, config, problems))

    def _read(self) -> tuple[TrainConfig | None, dict[str, str]]:
        """Parse every field, then let TrainConfig judge the ranges."""
        problems: dict[str, str] = {}
        values: dict[str, object] = {}
        for f in FIELDS:
            value = self._field(f.name, Widget).value  # type: ignore[attr-defined]
            try:
                values[f.name] = f.parse(value.strip()) if f.widget == "input" else value
            except ValueError as exc:
                problems[f.name] = f"{exc}, got {shown(value.strip())}"
        config = with_values(self._initial, values)  # settings without a field are kept as given
        problems = {**config.problems(), **problems}
        return (None if problems else config), problems

    def _field(self, name: str, kind: type[Widget]) -> Widget:
        return self.query_one(f"#field-{name}", kind)


def _value(config: TrainConfig, f: Setting) -> object:
    return getattr(config.model if f.model else config, f.name)


def _preset_of(config: TrainConfig) -> str:
    """The preset whose network and training `config` has, else custom."""
    for key, preset in PRESETS.items():
        if preset.matches(config):
            return key
    return CUSTOM


def _row(name: str, widget: Widget) -> ComposeResult:
    widget.id = f"field-{name}"
    yield Label(LABELS[name], classes="form-label")
    yield widget


def _device_options(wanted: str, present: list[str]) -> list[str]:
    options = ["auto", *present]
    return options if wanted in options else [*options, wanted]
