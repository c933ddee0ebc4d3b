"""The confusion matrix's colours: what a cell's colour says, with text readable on every one.

A right answer (the diagonal) is coloured by the class's accuracy: red at 50% and below, through
orange and yellow (70%) to green at 90% and above, so a class the net mostly gets wrong looks as
bad as it is. A mistake (off the diagonal) is red by its share of the row, on a square-root scale
(2% already shows, 30% is loud); none at all is the dark background. The cursor is a white cell.
Each cell's text is black or white, whichever contrasts more with the cell: by WCAG's formula
that is at least 4.58:1 on any colour, so every cell stays readable.
"""

from __future__ import annotations

import colorsys
import math

from rich.style import Style

RGB = tuple[int, int, int]

WORST, BEST = 0.5, 0.9
"""The diagonal is red at an accuracy of WORST and below, green at BEST and above; between, its
hue turns from red through orange and yellow to green."""
CELL_LIGHTNESS, TEXT_LIGHTNESS, SATURATION = 0.42, 0.68, 0.75
"""HLS of the diagonal's cells, and of the accuracy column's text on the screen's background."""


def hue_colour(acc: float, lightness: float) -> RGB:
    """Red (hue 0) for acc <= WORST to green (hue 1/3) for acc >= BEST; NaN counts as WORST."""
    t = 0.0 if math.isnan(acc) else min(1.0, max(0.0, (acc - WORST) / (BEST - WORST)))
    rgb = colorsys.hls_to_rgb(t / 3, lightness, SATURATION)
    return tuple(round(c * 255) for c in rgb)  # type: ignore[return-value]


BACKGROUND: RGB = (30, 30, 36)
"""A cell with no images: the dark background."""
RED: RGB = hue_colour(0.0, CELL_LIGHTNESS)
"""The strongest mistake, as red as the worst diagonal."""
CURSOR: RGB = (240, 240, 245)
"""The cell the cursor is on, and its row's and column's names: white, a colour no count has
(the yellow of a 70% diagonal would look like it)."""
BLACK: RGB = (0, 0, 0)
WHITE: RGB = (255, 255, 255)
QUIET: RGB = (156, 156, 168)
"""The text of a cell with no images: quieter than white, still 6:1 on the background."""


def luminance(rgb: RGB) -> float:
    """WCAG 2 relative luminance: 0 for black, 1 for white."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = map(linear, rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio of two colours, 1 (none) to 21 (black on white)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_on(background: RGB) -> RGB:
    """Black or white, whichever contrasts more with `background`."""
    return max((BLACK, WHITE), key=lambda text: contrast(text, background))


def mix(low: RGB, high: RGB, t: float) -> RGB:
    """The colour a fraction t (0..1) of the way from low to high."""
    t = min(1.0, max(0.0, t))
    return tuple(round(a + (b - a) * t) for a, b in zip(low, high, strict=True))  # type: ignore[return-value]


def cell_colours(share: float, diagonal: bool, cursor: bool = False) -> tuple[RGB, RGB]:
    """(text, background) of a cell holding `share` of its row."""
    if cursor:
        return BLACK, CURSOR
    if diagonal:
        background = hue_colour(share, CELL_LIGHTNESS)
    elif share > 0:
        background = mix(BACKGROUND, RED, math.sqrt(share * 3))
    else:
        return QUIET, BACKGROUND
    return readable_on(background), background


def cell_style(share: float, diagonal: bool, cursor: bool = False) -> Style:
    """The Rich style of a cell (see cell_colours); the diagonal and the cursor in bold."""
    (tr, tg, tb), (br, bg, bb) = cell_colours(share, diagonal, cursor)
    bold = " bold" if diagonal or cursor else ""
    return Style.parse(f"rgb({tr},{tg},{tb}) on rgb({br},{bg},{bb}){bold}")


def accuracy_style(acc: float) -> Style:
    """The accuracy column's text: the diagonal's scale, dim for a class with no images."""
    if math.isnan(acc):
        return Style(dim=True)
    r, g, b = hue_colour(acc, TEXT_LIGHTNESS)
    return Style.parse(f"rgb({r},{g},{b})")


def name_style(on_cursor: bool) -> Style:
    """A row's or column's class name; the cursor's in its colour."""
    if on_cursor:
        (tr, tg, tb), (br, bg, bb) = BLACK, CURSOR
        return Style.parse(f"bold rgb({tr},{tg},{tb}) on rgb({br},{bg},{bb})")
    return Style(bold=True)
