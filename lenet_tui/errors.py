"""Errors a user can fix. Their message is one line: what went wrong, where, and what to do."""


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
