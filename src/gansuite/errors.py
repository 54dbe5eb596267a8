"""User-facing errors: raised for bad input and printed by the CLI as one line, without a traceback."""


class ConfigError(ValueError):
    """A configuration that cannot train; the message names the problem and the fix."""


class DataError(RuntimeError):
    """Data that is missing, unreadable or unusable; the message names the path and the fix."""
