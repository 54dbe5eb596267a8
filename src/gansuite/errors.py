"""User-facing errors: raised for bad input and printed by the CLI as one line, without a traceback."""


class ConfigError(ValueError):
    """A configuration that cannot train; the message names the problem and the fix."""


class DataError(RuntimeError):
    """Data that is missing, unreadable or unusable; the message names the path and the fix."""

    def __init__(self, message: str) -> None:
        # Raised in a DataLoader worker, it reaches the main process as DataError("Caught DataError in DataLoader
        # worker ...", the worker's traceback, "...DataError: <message>"): keep the one line the user needs.
        if message.startswith(f"Caught {type(self).__name__} "):
            message = message.rstrip().rpartition(f"{type(self).__name__}: ")[2]
        super().__init__(message)


class DivergenceError(RuntimeError):
    """Training produced a non-finite loss or parameter; the message names the loss, the step and the checkpoint."""


def is_integer(value: object) -> bool:
    """An int and not a bool: YAML's `true` passes `isinstance(value, int)`, and counts, sizes and seeds must not."""
    return isinstance(value, int) and not isinstance(value, bool)
