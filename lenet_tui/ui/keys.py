"""Every key of the dashboard, described once in KEYS: the bindings (so the footer), the F1 page's
table and the command palette's entries are made from it, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from textual.actions import parse
from textual.app import SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode


class Key(NamedTuple):
    """One key: its bindings, its row of the F1 page's table and its entry in the palette."""

    key: str  # F-keys in capitals, as the F1 page and the palette write them
    action: str
    label: str  # the footer's word
    title: str  # the palette's entry, to which " (key)" is added ("": none)
    text: str  # what it does, in one line: on the F1 page and under the palette's entry
    scope: str = "dashboard"  # whose BINDINGS hold it, whose action runs ("textual": its own)
    show: bool = True
    priority: bool = True  # before the focused widget's own keys (a form field's, a table's)
    tab: str = ""  # the tab it works in, which the palette shows first
    also: tuple[tuple[str, str, bool], ...] = ()  # (action, label, show): check_action keeps one


KEYS = (
    Key("ctrl+r", "start", "Start", "Start training", "start a run with the form's settings"),
    Key("ctrl+x", "stop", "Stop", "Stop training",
        "stop the run after the current batch (and a grid: no further run)"),
    Key("F8", "pause(True)", "Pause", "Pause or go on",
        "pause the run after the current batch; F8 again goes on (the pause is not timed)",
        also=(("pause(False)", "Go on", True), ("ray_pause", "Pause", False))),
    Key("ctrl+n", "new_run", "New run", "New run",
        "a new run: back to the form, with the last values"),
    Key("ctrl+o", "resume", "Resume", "Resume a run",
        "resume a kept run from its last checkpoint (Enter picks, Esc goes back)"),
    *(Key(f"F{2 + i}", f"show_tab('{tab}')", tab.title(), title, f"the {tab.title()} tab: {text}",
          show=tab == "runs", priority=False) for i, (tab, title, text) in enumerate((
        ("train", "Show training", "the form, then the run's curves and status"),
        ("activations", "Show activations", "feature maps of test images, layer by layer"),
        ("runs", "Compare runs", "every kept run; overlay 2-8 of them"),
        ("errors", "Where it errs", "the test set's confusion matrix")))),
    Key("ctrl+t", "toggle_health", "Health", "Layer health or table",
        "in the Train tab: the layer table or the layer-health sparklines and reading",
        scope="train", priority=False, tab="train"),
    Key("ctrl+s", "save_screen", "Screenshot", "Save screen", "save the screen as an SVG in the "
        "run's folder (before a run: the runs folder)", scope="app", show=False),
    Key("F1", "help", "Help", "Keys", "the page of every key (Esc closes it)", scope="app",
        priority=False),
    Key("ctrl+p", "command_palette", "Palette", "", "command palette", scope="textual"),
    Key("ctrl+q", "quit", "Quit", "Quit", "quit (a run in progress is stopped first)", scope="app"),
)  # fmt: skip


def bindings(scope: str) -> list[Binding]:
    """The BINDINGS of the keys in `scope`."""
    return [Binding(key.key.lower(), action, label, show=show, priority=key.priority)
            for key in KEYS if key.scope == scope
            for action, label, show in ((key.action, key.label, key.show), *key.also)]  # fmt: skip


def key_table() -> str:
    """The F1 page's table, in Markdown."""
    rows = (f"| **{key.key}** | {key.text} |" for key in KEYS)
    return "\n".join(("| key | what it does |", "| --- | --- |", *rows))


def commands(namespaces: Mapping[str, DOMNode]) -> Iterator[SystemCommand]:
    """The palette's entries, named with their keys. Each can be chosen at any time: one that
    cannot run now says why in a notification, as its key would."""
    for key in (key for key in KEYS if key.title):
        run = lambda key=key: _run(key, namespaces)  # noqa: E731
        yield SystemCommand(f"{key.title} ({key.key})", key.text[0].upper() + key.text[1:], run)


def _run(key: Key, namespaces: Mapping[str, DOMNode]) -> object:
    """The first of the key's actions that applies now, else its first (which says why not)."""
    if key.tab:  # where the key works is where to see what it did
        _call(namespaces["dashboard"], f"show_tab('{key.tab}')")
    actions = (key.action, *(action for action, _, _ in key.also))
    namespace = namespaces[key.scope]
    applies = (action for action in actions if namespace.check_action(*parse(action)[1:]))
    return _call(namespace, next(applies, key.action))


def _call(namespace: DOMNode, action: str) -> object:
    _, name, params = parse(action)
    return getattr(namespace, f"action_{name}")(*params)
