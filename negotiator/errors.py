"""Exceptions that the command line turns into one-line messages and exit codes, and the wording
of an unknown name (:func:`unknown`)."""

import difflib
from collections.abc import Iterable


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


def unknown(
    what: str,
    name: str,
    known: Iterable[str],
    *,
    compare: str | None = None,
    listed: bool = False,
) -> str:
    """The one wording of every "unknown name" error: ``unknown WHAT 'name'``, then ``(did you
    mean 'x'?)`` when one of ``known`` is close to ``compare`` (default: ``name``; difflib's
    :func:`~difflib.get_close_matches`), and with ``listed`` every known name, in the order
    given: ``unknown strategy 'bulware' (did you mean 'boulware'? known: annealer, ...)``."""
    names = list(known)
    close = difflib.get_close_matches(compare if compare is not None else name, names, n=1)
    notes = [f"did you mean {close[0]!r}?"] if close else []
    if listed:
        notes.append(f"known: {', '.join(names) or 'none'}")
    return f"unknown {what} {name!r}" + (f" ({' '.join(notes)})" if notes else "")
