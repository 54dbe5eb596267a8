"""User-facing errors: raised for bad input and printed by the CLI as one line, without a traceback."""


class ConfigError(ValueError):
    """A configuration that cannot train; the message names the problem and the fix."""


class DataError(RuntimeError):
    """Data that is missing, unreadable or unusable; the message names the path and the fix."""


class DivergenceError(RuntimeError):
    """Training produced a non-finite loss or parameter; the message names the loss, the step and the checkpoint."""
