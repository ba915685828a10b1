"""The command line: ``python run.py`` and the ``negotiator`` console script.

Exit codes: 0 done (whatever the negotiation outcome), 2 bad config or usage (one line, no
traceback), 3 the run could not complete, 4 a log failed verification, 5 the output could not be
written (``--out`` unusable, disk full, read-only file system), 130 interrupted, 143 terminated.

The package: :mod:`~negotiator.cli.entry` (:func:`main`: dispatch, error messages and exit
codes), :mod:`~negotiator.cli.parser` (the arguments), :mod:`~negotiator.cli.commands` (the
commands of one machine), :mod:`~negotiator.cli.distributed` (``mediator``, ``agent``, ``keys``),
:mod:`~negotiator.cli.report` (text output) and :mod:`~negotiator.cli.plots` (figures).
"""

from negotiator.cli.entry import main

__all__ = ["main"]
