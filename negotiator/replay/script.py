"""The script of a run: what its log records the mediator receiving, request by request.

Re-execution answers the mediator from this script (:mod:`negotiator.replay.bus`): the join as
logged (refusals, agents' error reports, who never joined), then one :class:`Exchange` per
``request`` line with the actions, silences, refused messages, absences and rejoins logged while
that request was open.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from negotiator.errors import NegotiatorError
from negotiator.io.eventlog import VOLATILE_FIELDS
from negotiator.replay.logfile import config_of, participants

Template = dict[str, Any] | None
"""A recorded response body (None: the party stayed silent)."""


@dataclass(frozen=True)
class Inject:
    """Something the log records the mediator receiving that is not an answer to a request: a
    refused message (``party`` None, ``fields`` the ``rejected_message`` line) or an agent's
    ``error`` report (``fields``: its body)."""

    party: str | None
    fields: dict[str, Any]


@dataclass(frozen=True)
class Sent:
    """An action the mediator refused as invalid or stale, as received: its sender, its body
    and the round in its header."""

    party: str
    body: dict[str, Any] | None
    round: int


Response = tuple[str, Template] | Sent | Inject
"""A recorded answer (party, body; body None: silence), a refused action, or an
:class:`Inject`."""


@dataclass
class Exchange:
    """One request as logged, and the messages the mediator handled in answer, in order."""

    line: int
    kind: str
    parties: tuple[str, ...]
    responses: list[Response] = field(default_factory=list)
    lost: set[str] = field(default_factory=set)
    """Parties the mediator found gone while handling this request."""
    refused: int = 0
    """Connections the allow-list refused (logged while this request was open)."""
    rejoined: set[str] = field(default_factory=set)
    """Parties whose restarted agent was welcomed again right after this request's round."""
    unready: set[str] = field(default_factory=set)
    """Of those, the ones that never said they were ready (``rejoin_failed``)."""


def _valid_action(event: dict[str, Any], session: int) -> tuple[str, dict[str, Any]] | None:
    kind = event["event"]
    if kind == "offer" and event.get("turn", -1) >= 0:
        return event["party"], {
            "kind": "offer",
            "turn": event["turn"],
            "session": session,
            "outcome": event["outcome"],
        }
    if kind == "accept":
        return event["party"], {"kind": "accept", "turn": event["turn"], "session": session}
    if kind == "end_negotiation":
        return event["party"], {"kind": "end", "turn": event["turn"], "session": session}
    return None


class LogContentError(NegotiatorError):
    """A line whose fields are not what its event needs; ``line`` is its 1-based number
    (exit code 4, as for a log that fails verification)."""

    exit_code = 4

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: its fields do not fit: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class Script:
    """What a log records the mediator receiving: the join, then one :class:`Exchange` per
    request."""

    exchanges: deque[Exchange]
    early: list[Inject] = field(default_factory=list)
    """Refusals and agents' error reports logged before the first request, in order."""
    withheld: set[str] = field(default_factory=set)
    """Parties that never joined (the join timed out without them, or agents died)."""
    dead: str | None = None
    """The agents the launcher reported dead before joining (``join_failed``), as logged."""
    join_timeout: float = 30.0
    """How long the join could take, when the log says it timed out (``join_timeout``)."""


def script_from_log(events: list[dict[str, Any]]) -> Script:
    """The join, the requests of a run and the responses the mediator handled, from its log (a
    line whose fields do not fit its event raises :class:`LogContentError`)."""
    reading = _Cursor()
    try:
        return _script(events, reading)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LogContentError(reading.line, f"{type(exc).__name__}: {exc}") from None


@dataclass
class _Cursor:
    """The line :func:`_script` is reading (1-based), for the error that names it."""

    line: int = 0


def _script(events: list[dict[str, Any]], reading: _Cursor) -> Script:
    exchanges: deque[Exchange] = deque()
    script = Script(exchanges)
    current: Exchange | None = None
    session = 0
    silent: set[str] = set()
    early_refused = 0
    known = set(participants(config_of(events)))
    for line, event in enumerate(events, start=1):
        reading.line = line
        kind = event["event"]
        if kind == "auth_refused" and current is None:
            early_refused += int(event.get("new", 1))
            continue
        if kind == "agent_error" and event["party"] not in known:
            raise LogContentError(
                line, f"an error report from {event['party']!r}, who takes no part"
            )
        if kind in ("rejected_message", "agent_error"):
            fields = {k: v for k, v in event.items() if k not in _LINE_FIELDS}
            inject = (
                Inject(None, fields)
                if kind == "rejected_message"
                else Inject(str(event["party"]), {"message": str(event["message"])})
            )
            (current.responses if current is not None else script.early).append(inject)
            continue
        if current is None and kind == "join_failed":
            script.dead = str(event["agents"])
            script.withheld = set(known)
            continue
        if current is None and kind == "join_timeout":
            script.withheld = {p.strip() for p in str(event["missing"]).split(",")}
            script.join_timeout = float(event["seconds"])
            continue
        if kind == "round_start":
            session = event.get("session", 0)
        if kind == "request":
            parties = (event["party"],) if "party" in event else tuple(event["parties"])
            current = Exchange(line, event.get("kind", "saop_turn"), parties, refused=early_refused)
            early_refused = 0
            exchanges.append(current)
            silent = set()
            continue
        if current is None:
            continue
        if kind == "agent_lost":
            current.lost.add(event["party"])
        elif kind == "agent_rejoined":
            current.rejoined.add(event["party"])
        elif kind == "rejoin_failed":  # welcomed again, never ready (e.g. a stolen identity)
            current.rejoined.add(event["party"])
            current.unready.add(event["party"])
        elif kind == "auth_refused":
            current.refused += int(event.get("new", 1))
        elif kind in ("invalid_action", "stale_action"):
            sent = event.get("sent_round", event["round"])
            current.responses.append(Sent(str(event["party"]), event.get("body"), int(sent)))
        elif kind == "forfeit":
            silent.add(event["party"])
        elif (action := _valid_action(event, session)) is not None:
            current.responses.append(action)
        elif kind == "plan":
            current.responses.append(
                (
                    event["superior"],
                    {
                        "kind": "plan",
                        "text": event["text"],
                        "cofunding": event["cofunding"],
                        "subsidy": event["subsidy"],
                        "budget": event["budget"],
                    },
                )
            )
        elif kind == "declaration" and event["party"] not in silent:
            current.responses.append(
                (event["party"], {"kind": "declaration", "resources": event["resources"]})
            )
        elif kind in ("votes", "ratify_votes"):
            ballot = "vote" if kind == "votes" else "ratify"
            for party, accept in event["votes"].items():
                if party not in silent:
                    current.responses.append((party, {"kind": ballot, "accept": accept}))
        elif kind == "period":  # the moves chosen (before any tremble)
            for party, move in (event.get("intended") or event["moves"]).items():
                if party not in silent:
                    current.responses.append(
                        (party, {"kind": "move", "period": event["period"], "move": move})
                    )
    return script


_LINE_FIELDS = frozenset({"event", "line", *VOLATILE_FIELDS})
"""What a line adds to the fields of its event."""
