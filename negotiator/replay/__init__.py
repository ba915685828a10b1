"""Replay: verify, explain and branch a run from its event log, without agent processes
(docs/replay.md).

The package's modules, in the order they build on each other:

* :mod:`~negotiator.replay.logfile`: find, scan and load a log; its config and participants.
* :mod:`~negotiator.replay.script`: what the log records the mediator receiving, per request.
* :mod:`~negotiator.replay.bus`: the stand-in for the mediator's socket that answers from it.
* :mod:`~negotiator.replay.inprocess`: the agents re-created in this process.
* :mod:`~negotiator.replay.reexecution`: the mediator's code path run again over the bus.
* :mod:`~negotiator.replay.verification`: the digest chain, then re-execution (``--verify``).
* :mod:`~negotiator.replay.timeline`: who did and saw what, when (``--until``).
* :mod:`~negotiator.replay.branching`: what if, from round or period R (``--branch``).
"""

from __future__ import annotations

from negotiator.replay.branching import branch, parse_point
from negotiator.replay.logfile import Scan, config_of, load_log, model_version, scan_log
from negotiator.replay.script import LogContentError
from negotiator.replay.timeline import timeline
from negotiator.replay.verification import ENDINGS, Report, first_difference, verify

__all__ = [
    "ENDINGS",
    "LogContentError",
    "Report",
    "Scan",
    "branch",
    "config_of",
    "first_difference",
    "load_log",
    "model_version",
    "parse_point",
    "scan_log",
    "timeline",
    "verify",
]
