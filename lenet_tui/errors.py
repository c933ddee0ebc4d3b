"""Errors a user can fix, and the exit codes of the command line; shared by every layer.

An error's message is one line: what went wrong, where, and what to do. A value quoted in one
is cut (`shown`), so that a megabyte of input is never echoed back.
"""

import re

EXIT_OK = 0
EXIT_FAILED = 1
"""The run started and then failed."""
EXIT_USAGE = 2
"""Bad arguments or bad data: refused before anything was written."""
EXIT_INTERRUPTED = 130
"""Stopped by SIGINT (Ctrl-C): 128 + 2, as a shell reports it."""
EXIT_TERMINATED = 143
"""Stopped by SIGTERM: 128 + 15."""


class LenetError(Exception):
    """Base class for every error shown to a user as one line, without a traceback."""


class DataError(LenetError):
    """The dataset is missing, malformed or could not be downloaded."""


class ConfigError(LenetError):
    """A setting is out of range or of the wrong type."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class RunFolderError(LenetError):
    """A run folder cannot be created or resumed, or a file in it cannot be written or read."""


SHOWN = 80
"""Characters of a value quoted in a message."""
_LONG_WORD = re.compile(r"\S{1000,}")


def cut(text: str, most: int = SHOWN) -> str:
    """text on one line, cut to `most` characters with "…" if it is longer."""
    text = " ".join(text.split()) if "\n" in text or "\r" in text else text
    return text if len(text) <= most else text[: most - 1] + "…"


def shown(value: object, most: int = SHOWN) -> str:
    """A value as a message quotes it: its repr, cut to `most` characters."""
    return cut(repr(value), most)


_LONGEST = 10_000
"""The most characters of any message (two of the longest paths fit)."""


def bounded(message: str) -> str:
    """A message on one line with every run of 1,000 or more non-blank characters cut, and at
    most 10,000 characters: no message echoes megabytes of input, whoever wrote it."""
    line = _LONG_WORD.sub(lambda m: cut(m.group(), SHOWN), " ".join(message.splitlines()))
    return cut(line, _LONGEST)


def one_line(exc: BaseException) -> str:
    """What went wrong, for a notification: a user's error as it is, anything else by type."""
    text = str(exc) if isinstance(exc, LenetError) else f"{type(exc).__name__}: {exc}"
    return bounded(text)
