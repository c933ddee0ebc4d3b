"""Every key of the dashboard on one page (F1)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from lenet_tui.ui.keys import key_table

HELP = f"""\
# lenet-tui keys

{key_table()}

**In the form:** Tab / Shift+Tab move between fields, Enter goes to the next one, Enter or
Space opens a choice. Fields that are wrong turn red and say why above the Start button; a run
cannot start until they are fixed. The preset sets a network and the training that suits it.
**vary** makes a grid: a spec as `--grid` takes it (`pooling=avg,max activation=sigmoid,relu`),
one run per combination, trained in turn in one grid folder and overlaid in the Runs tab as
they finish; **seeds** (`0,1,2`) repeats each combination per seed.

**In the Activations tab:** → / n next image, ← / p previous, **0–9** the next image of that
class (Fashion-MNIST: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
7 Sneaker, 8 Bag, 9 Ankle boot; MNIST: that digit), **r** a random one, **m** the next one the
network gets wrong, PgUp / PgDn scroll the maps. One row of maps per conv block, each map under
the kernel that made it (conv1's own weights; later convs: the mean over their inputs; blue
negative, orange positive). **space** pins the shown image (again: unpins): pick another and
both are drawn, map k of each on one colour scale, with both predictions. **f** shows the
whole forward pass, layer by layer down to the softmax (again: back to the maps). The maps use
the latest weights: the initial ones before a run, then a fresh copy after every epoch.

**In the Errors tab (F5):** the test set's confusion matrix after the newest epoch (rows: true
class, columns: predicted) and each class's accuracy. The diagonal is green for a class right
90% of the time or more, yellow at 70%, red at 50% and below; mistakes are red by their share of
the row; the cursor is the white cell. The arrows move the cursor, **n** switches counts and row
percentages, **Enter** lists the cell's test images in rows; there the arrows pick one (the rows
scroll), Enter opens it in the Activations tab, Esc goes back.

**In the Runs tab (F4):** every kept run, newest first (runs of a grid as `grid/run`);
"train time" is the training and test time of its finished epochs. **s** sorts by the next
column (or click a header), **S** reverses; **/** types a filter (every word must appear in the
row, its folder or its note; Enter goes back to the list). **space** picks the highlighted run
for the overlay (2 to 8 runs, one colour each; again removes it), **c** clears the picks,
**m** plots test acc (per epoch), train loss or train acc (per progress report), **v** shows
the list, the overlay or both. The
legend names each run by the settings that differ between the picked runs, and the table
beside it gives their final and best test accuracy. **n** names the run and adds a note (kept
in its folder's notes.toml), **d** deletes the run folder (after a confirmation; never a run
being trained), **e** writes the picked runs' (or the highlighted run's) per-epoch metrics to
a CSV file, as `lenet-tui --export-csv RUN_DIR...` does.

**Runs are kept:** every run writes its settings, its metrics and a checkpoint at each epoch
end to its own folder (the status panel says where). A stopped, interrupted or killed run goes on
from its last finished epoch with ctrl+o, or with `lenet-tui --resume FOLDER`.

**Data:** the bundled Fashion-MNIST is re-split 60,000 / 10,000 (1,000 test images per class);
the bundled MNIST is a 10,000-digit sample, not the official 70,000, re-split 8,000 / 2,000.
Test accuracy on either is comparable to, not identical with, the official test set's.
"""


class HelpScreen(ModalScreen[None]):
    """The key reference, over the dashboard."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown(HELP)
