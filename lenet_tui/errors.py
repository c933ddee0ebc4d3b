"""Errors a user can fix, and the exit codes of the command line; shared by every layer.

An error's message is one line: what went wrong, where, and what to do.
"""

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


def one_line(exc: Exception) -> str:
    """What went wrong, for a notification: a user's error as it is, anything else by type."""
    return str(exc) if isinstance(exc, LenetError) else f"{type(exc).__name__}: {exc}"
