"""Exceptions that the command line turns into one-line messages and exit codes."""


class NegotiatorError(Exception):
    """Base of every error the tool reports to the user without a traceback."""

    exit_code = 1


class ConfigError(NegotiatorError):
    """A config, an override or a command-line argument is wrong (exit code 2)."""

    exit_code = 2


class RunError(NegotiatorError):
    """A run could not complete (exit code 3)."""

    exit_code = 3


class OutputError(NegotiatorError):
    """The run's output could not be written: ``--out`` is not a usable folder, the disk is full,
    the file system is read-only (exit code 5)."""

    exit_code = 5


class DomainError(ValueError):
    """An offer or value does not fit the negotiation domain (reported to the sending party)."""


class AnalysisTooLarge(NegotiatorError):
    """The outcome space is too large for exact analysis (exit code 2: change the config)."""

    exit_code = 2
