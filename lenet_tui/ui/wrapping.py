"""Text that wraps where a reader expects it to: a path after its slashes, `a, b, c` after its
commas, never in the middle of a word or a number while a separator is at hand.

Rich wraps at spaces only, and folds what has none (a path, `pooling=avg,activation=relu`)
wherever the line ends: `~/.local/share/lenet-tui/runs/202` then `61204-031918`.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.text import Text


class Wrapped:
    """`text` cut into lines after any character of `after` (what fits on a line goes on it);
    only a piece longer than a whole line is cut inside. Spaces at a line's ends are dropped."""

    def __init__(self, text: str | Text, after: str = " /", style: str = "") -> None:
        self.text = text if isinstance(text, Text) else Text(text, style=style)
        self.after = after

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        plain = self.text.plain
        for start, end in wrap_spans(plain, max(1, options.max_width), self.after):
            line = self.text[start:end]
            line.rstrip()
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((len(p.strip()) for p in pieces(self.text.plain, self.after)), default=0)
        return Measurement(widest, len(self.text.plain)).clamp(max_width=options.max_width)


def pieces(text: str, after: str) -> list[str]:
    """text cut after each character of `after` (the pieces joined give text back)."""
    out, start = [], 0
    for i, char in enumerate(text):
        if char in after:
            out.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        out.append(text[start:])
    return out


def wrap_spans(text: str, width: int, after: str) -> list[tuple[int, int]]:
    """The (start, end) of each line of text at most `width` wide, cut after `after`."""
    lines: list[tuple[int, int]] = []
    start = end = 0
    for piece in pieces(text, after):
        first, last = end, end + len(piece)
        if start == first:  # a line begins here: without its leading spaces
            start = first = first + len(piece) - len(piece.lstrip(" "))
        if first + len(piece.rstrip(" ")) - start > width and end > start:
            lines.append((start, end))
            start = first + len(piece) - len(piece.lstrip(" "))
        while last - start > width and len(text[start:last].rstrip(" ")) > width:
            lines.append((start, start + width))  # longer than a line: cut inside
            start += width
        end = last
    if end > start or not lines:
        lines.append((start, end))
    return lines
