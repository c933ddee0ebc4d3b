"""Every key of the dashboard on one page (F1)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# lenet-tui keys

| key | what it does |
| --- | --- |
| **ctrl+r** | start a run with the form's settings |
| **ctrl+x** | stop the run after the current batch |
| **ctrl+n** | new run: back to the form, with the last values |
| **ctrl+o** | resume a kept run from its last checkpoint (Enter picks, Esc goes back) |
| **F2** / **F3** | the Train tab / the Activations tab |
| **F1** | this page (Esc closes it) |
| **ctrl+p** | command palette |
| **ctrl+q** | quit (a run in progress is stopped first) |

**In the form:** Tab / Shift+Tab move between fields, Enter goes to the next one, Enter or
Space opens a choice. Fields that are wrong turn red and say why below the form; a run cannot
start until they are fixed. The preset sets a network and the training that suits it.

**In the Activations tab:** → / n next image, ← / p previous, **0–9** the next image of that
class (Fashion-MNIST: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
7 Sneaker, 8 Bag, 9 Ankle boot; MNIST: that digit), **r** a random one, **m** the next one the
network gets wrong, PgUp / PgDn scroll the maps. One row of maps per conv block. The maps use the
latest weights: the initial ones before a run, then a fresh copy after every epoch.

**Runs are kept:** every run writes its settings, its metrics and a checkpoint at each epoch
end to its own folder (the status panel says where). A stopped, interrupted or killed run goes on
from its last finished epoch with ctrl+o, or with `lenet-tui --resume FOLDER`.

**Data:** the bundled Fashion-MNIST is re-split 60,000 / 10,000 (1,000 test images per class);
the bundled MNIST is a 10,000-digit sample, not the official 70,000, re-split 8,000 / 2,000.
Test accuracy on either is comparable to, not identical with, the official test set's.
"""


class HelpScreen(ModalScreen[None]):
    """The key reference, over the dashboard."""

    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown(HELP)
