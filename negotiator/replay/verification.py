"""Verification of a run's log (``replay --verify``), in two layers:

1. **The digest chain**, line by line: an edited line breaks it there.
2. **Re-execution of the mediator** (:mod:`negotiator.replay.reexecution`): the run's own code
   path (:func:`negotiator.runtime.runner.execute`, the protocols, enforcement, shocks,
   renegotiation, the summary) runs again from the config in the first event, over a bus that
   answers every request with the actions the log records (and re-sends the rejected ones), on a
   virtual clock (a silent party costs no wall time). The recomputed log must equal the recorded
   one line by line, apart from wall-clock and machine fields; the first difference is reported
   with its line, field, recorded and recomputed values. Every state digest (``round_end``,
   ``period_end``) and the final outcome are covered.

A log cut short (a killed mediator) verifies up to its last complete line; the report says how far
the run got and that it did not finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from negotiator import __version__
from negotiator.errors import NegotiatorError
from negotiator.io.eventlog import GENESIS, VOLATILE_FIELDS, canonical, chain, verify_chain
from negotiator.replay.logfile import check_version, model_version, resolve, run_start, scan_log
from negotiator.replay.reexecution import reexecute_mediator
from negotiator.replay.script import LogContentError


@dataclass
class Report:
    """The result of a verification."""

    ok: bool
    lines: int
    finished: bool
    message: str
    line: int | None = None
    field: str | None = None
    recorded: Any = None
    recomputed: Any = None
    last_event: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def first_difference(recorded: Any, recomputed: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """The first field (dotted path) where two events differ, ignoring volatile fields."""
    if isinstance(recorded, dict) and isinstance(recomputed, dict):
        for key in sorted(set(recorded) | set(recomputed)):
            if not path and key in VOLATILE_FIELDS:
                continue
            if key not in recorded or key not in recomputed:
                return (f"{path}{key}", recorded.get(key), recomputed.get(key))
            found = first_difference(recorded[key], recomputed[key], f"{path}{key}.")
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(recomputed, list):
        if len(recorded) != len(recomputed):
            return (path.rstrip("."), recorded, recomputed)
        for i, (a, b) in enumerate(zip(recorded, recomputed, strict=True)):
            found = first_difference(a, b, f"{path}{i}.")
            if found:
                return found
        return None
    if recorded != recomputed or type(recorded) is not type(recomputed):
        return (path.rstrip("."), recorded, recomputed)
    return None


#: Last events that record how a run was cut short from outside; re-execution cannot make them.
ENDINGS = ("run_interrupted", "run_aborted")


def verify(path: Path, *, reexecute: bool = False) -> Report:
    """Verify a run's log (see the module docstring). With ``reexecute`` the agents are
    re-created in process from the log's config and seed, fed exactly the messages the mediator
    sends them, and must take every recorded action. Never raises for what the log holds: a
    malformed, torn, re-ordered or inconsistent log gives a failed :class:`Report` naming its
    first bad line (a missing file or an unreadable version is a usage error)."""
    log = resolve(path)
    scan = scan_log(log)
    events = scan.events
    torn = (
        f"; line {len(events) + 1} is torn (cut after {scan.torn} bytes, not verified)"
        if scan.torn
        else ""
    )

    def failed(line: int, message: str, **fields: Any) -> Report:
        return Report(False, len(events), False, message, line=line, **fields)

    if scan.problem is not None:
        line, reason = scan.problem
        return failed(line, f"line {line} {reason}")
    if not events:
        return failed(1, "line 1: the log is empty" + torn)
    if run_start(events) is None:
        return failed(
            1, f"line 1 ({events[0]['event']}): not an event log (it must begin with run_started)"
        )
    try:
        broken = verify_chain(events)
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. a lone surrogate in a string
        line = _unhashable(events)
        return failed(line, f"line {line} cannot be hashed: {type(exc).__name__}: {exc}")
    if broken is not None:
        previous = events[broken - 2]["digest"] if broken > 1 else GENESIS
        return failed(
            broken,
            f"line {broken} ({events[broken - 1].get('event')}) was altered: its digest does "
            "not follow from its content",
            field="digest",
            recorded=events[broken - 1].get("digest"),
            recomputed=chain(previous, events[broken - 1]),
        )
    check_version(log, events)
    finished = events[-1]["event"] == "run_finished"
    other = model_version(events)
    if other is not None:
        return Report(
            True,
            len(events),
            finished,
            f"verified the digest chain of {len(events)} lines; not re-executed: the log was "
            f"written by negotiator {other}, whose model differs from this version's "
            f"({__version__}){torn}",
            last_event=events[-1]["event"],
        )
    try:
        recomputed, bus = reexecute_mediator(events, with_agents=reexecute)
    except LogContentError as exc:
        event = events[exc.line - 1]["event"]
        return failed(exc.line, f"line {exc.line} ({event}): its fields do not fit: {exc.reason}")
    except NegotiatorError as exc:  # e.g. the recorded config is not valid
        return failed(1, f"line 1 (run_started): the run cannot be re-executed: {exc}")
    except Exception as exc:  # a log consistent in form but not in content
        return failed(1, f"the run cannot be re-executed: {type(exc).__name__}: {exc}")
    for i, recorded in enumerate(events):
        cut = i == len(events) - 1 and recorded["event"] in ENDINGS
        if cut and recorded["event"] != _at(recomputed, i):
            if reexecute and bus.mismatches:
                return Report(
                    False,
                    len(events),
                    False,
                    f"re-executed agents diverge: {bus.mismatches[0]}",
                    field="action",
                )
            reason = str(recorded.get("signal") or recorded.get("reason"))
            return Report(
                True,
                len(events),
                False,
                f"verified {i} lines by re-execution and line {i + 1} by its digest: the run was "
                f"cut short ({recorded['event']}: {reason}){torn}",
                last_event=recorded["event"],
            )
        if i >= len(recomputed):
            why = f": re-execution stopped ({bus.failure})" if bus.failure else ""
            return failed(
                i + 1,
                f"line {i + 1} ({recorded['event']}): the replay ended early{why}",
                field="event",
                recorded=recorded["event"],
            )
        diff = first_difference(recorded, recomputed[i])
        if diff is not None:
            name, was, now = diff
            why = f" (re-execution stopped: {bus.failure})" if bus.failure else ""
            return failed(
                i + 1,
                f"line {i + 1} ({recorded['event']}): {name} differs{why}",
                field=name,
                recorded=was,
                recomputed=now,
            )
    if reexecute:
        problems = bus.mismatches + (bus.leftovers() if finished else [])
        if problems:
            return Report(
                False,
                len(events),
                finished,
                f"re-executed agents diverge: {problems[0]}",
                field="action",
                recorded=None,
                recomputed=None,
            )
    last = events[-1]
    where = _position(events)
    agents = " and every agent's decision" if reexecute else ""
    if finished:
        message = f"verified {len(events)} lines{agents}; final digest {last['digest']}{torn}"
    else:
        message = (
            f"verified the first {len(events)} lines{agents}; the run did not finish "
            f"(it got to {where}, last event {last['event']!r}){torn}"
        )
    return Report(True, len(events), finished, message, last_event=last["event"])


def _unhashable(events: list[dict[str, Any]]) -> int:
    """The first line whose canonical form cannot be made (1-based)."""
    for number, event in enumerate(events, start=1):
        try:
            canonical(event)
        except (ValueError, TypeError, RecursionError):
            return number
    return 1


def _at(events: list[dict[str, Any]], i: int) -> str | None:
    return events[i]["event"] if i < len(events) else None


def _position(events: list[dict[str, Any]]) -> str:
    for event in reversed(events):
        if "period" in event and event["event"] in ("period_end", "period"):
            return f"period {event['period']}"
        if "round" in event and event["event"] in ("round_end", "round_start", "request"):
            return f"round {event['round']}"
    return "the start"
