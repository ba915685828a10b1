"""Replay: verify a run from its event log, without agent processes.

Verification has two layers:

1. **The digest chain**, line by line: an edited line breaks it there.
2. **Re-execution of the mediator**: the run's own code path (:func:`runtime.runner.execute`,
   the protocols, enforcement, shocks, renegotiation, the summary) runs again from the config in
   the first event, over a :class:`ReplayBus` that answers every request with the actions the log
   records (and re-sends the rejected ones), on a virtual clock (a silent party costs no wall
   time). The recomputed log must equal the recorded one line by line, apart from wall-clock and
   machine fields; the first difference is reported with its line, field, recorded and recomputed
   values. Every state digest (``round_end``, ``period_end``) and the final outcome are covered.

A log cut short (a killed mediator) verifies up to its last complete line; the report says how far
the run got and that it did not finish.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from negotiator import PROTOCOL_VERSION, __version__
from negotiator.config import Config, config_from_dict
from negotiator.errors import ConfigError, NegotiatorError
from negotiator.io.bus import Recorded
from negotiator.io.eventlog import (
    GENESIS,
    VOLATILE_FIELDS,
    EventLog,
    canonical,
    chain,
    read_events,
    verify_chain,
)
from negotiator.io.wire import Codec, Message
from negotiator.runtime.run_summary import BranchOrigin, RunSummary, build_summary

Template = dict[str, Any] | None
"""A recorded response body (None: the party stayed silent)."""


class ReplayExhausted(Exception):
    """The log has no more recorded actions: it was cut short."""


class ReplayDivergence(Exception):
    """The mediator asked for something the log does not record at this point."""


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
    try:
        return _script(events)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LogContentError(_SCRIPT_LINE[0], f"{type(exc).__name__}: {exc}") from None


_SCRIPT_LINE = [0]
"""The line :func:`_script` is reading (for the error above)."""


def _script(events: list[dict[str, Any]]) -> Script:
    exchanges: deque[Exchange] = deque()
    script = Script(exchanges)
    current: Exchange | None = None
    session = 0
    silent: set[str] = set()
    early_refused = 0
    for line, event in enumerate(events, start=1):
        _SCRIPT_LINE[0] = line
        kind = event["event"]
        if kind == "auth_refused" and current is None:
            early_refused += int(event.get("new", 1))
            continue
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
            script.withheld = set(_participants(config_of(events)))
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


class VirtualClock:
    """A clock that only moves when the replay bus waits in vain."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ReplayBus:
    """Stands in for the mediator's socket: answers each request from the recorded script.

    With ``agents`` (in-process :class:`agents.process.Agent` objects) every message the mediator
    sends is also handed to the addressee's agent: in re-execution their answers are compared with
    the recorded ones; after :meth:`go_live` (a branch) their answers are what the mediator gets.
    """

    endpoint = "replay://"

    def __init__(
        self,
        participants: list[str],
        script: Script,
        clock: VirtualClock,
        agents: dict[str, Any] | None = None,
        welcomes: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.script = script.exchanges
        self.clock = clock
        self.codecs = {p: Codec(sender=p) for p in participants}
        self.reader = Codec("replay")
        self.queue: deque[tuple[bytes, bytes | Recorded, str | None]] = deque()
        self.dead = script.dead
        """What the launcher's watchdog reported (``join_failed``), if it did."""
        self.pending: dict[str, Message] = {}
        self.agents = agents
        self.welcomes = welcomes or {}
        self.live = False
        self.expected: dict[str, deque[tuple[int, Template]]] = {p: deque() for p in participants}
        self.produced: dict[str, deque[dict[str, Any]]] = {p: deque() for p in participants}
        self.mismatches: list[str] = []
        self.lost: set[str] = set()
        """Who the log says was gone (the mediator asks instead of timing heartbeats)."""
        self.rejoining: set[str] = set()
        """Who the log says came back (welcomed again at the next round or period)."""
        self.unready: set[str] = set()
        """Of those, who the log says never got ready (``rejoin_failed``)."""
        self.authenticator = _ScriptedRefusals()
        """Stands in for the ZAP authenticator: refusals as the log records them."""
        self.ended: set[str] = set()
        """Re-created agents that have left."""
        self.failure: str | None = None
        """Why re-execution stopped, if the mediator met what the log could not answer."""
        self.check_from = 0
        """Agents' decisions are compared from this log line on (a branch's own part)."""
        for inject in script.early:  # the join as logged: refusals and errors, then the hellos
            self._inject(inject)
        for p in sorted(participants):
            if p not in script.withheld:
                hello = self.codecs[p].pack("hello", {"pid": 0, "host": "replay"})
                self.queue.append((p.encode(), hello, None))

    def go_live(self) -> None:
        """From now on the in-process agents answer (a branch continues live). Each agent's
        message numbering continues after the replayed one's, as the mediator expects."""
        self.live = True
        self.script.clear()
        self.pending.clear()
        for party, agent in (self.agents or {}).items():
            agent.codec._seq = max(agent.codec._seq, self.codecs[party]._seq)

    def send(self, identity: bytes, payload: bytes) -> None:
        party = identity.decode()
        msg = self.reader.unpack(payload)
        if not self.live:
            if msg.type == "welcome" and party in self.unready:
                self.unready.discard(party)  # the log says it never got ready
            elif msg.type == "welcome":
                self._push(party, "event", {"kind": "ready"}, 0)
            elif msg.type == "request":
                self.pending[party] = msg
                if all(p in self.pending for p in self._expected().parties):
                    self._answer()
        if self.agents is not None and party in self.agents:
            self._feed(party, msg, payload)

    def _feed(self, party: str, msg: Message, payload: bytes) -> None:
        agent = self.agents[party] if self.agents is not None else None
        if agent is None or party in self.ended:
            return  # an agent that has left (its strategy failed, or the run ended) hears nothing
        if msg.type == "welcome" and party in self.welcomes:
            msg = Message(
                type="welcome",
                sender=msg.sender,
                body=self.welcomes[party],
                run=msg.run,
                round=msg.round,
                seq=msg.seq,
            )
        replies, done = agent.handle(msg)
        if done:
            self.ended.add(party)
        for reply in replies:
            answer = self.reader.unpack(reply)
            if answer.type == "event" and answer.body.get("kind") == "ready":
                if self.live:
                    self.queue.append((party.encode(), reply, None))
                continue
            if self.live:
                self.queue.append((party.encode(), reply, None))
            else:
                self.produced[party].append({"type": answer.type, **answer.body})
                self._match(party)

    def _match(self, party: str) -> None:
        expected, produced = self.expected[party], self.produced[party]
        while expected and produced:
            line, want = expected.popleft()
            got = produced.popleft()
            if line < self.check_from:
                continue  # before a branch point: the parent's agents decided
            if want is None:
                self.mismatches.append(
                    f"line {line}: {party} was silent in the log but would now send {got}"
                )
            elif want.get("type") == "error":  # it failed in the log: it must fail again
                if got.get("type") != "error":
                    self.mismatches.append(
                        f"line {line}: {party} reported an error in the log but would now "
                        f"send {_brief(got)}"
                    )
            elif got.get("type") != "action" or any(got.get(k) != v for k, v in want.items()):
                self.mismatches.append(
                    f"line {line}: {party} would send {_brief(got)} instead of the recorded "
                    f"{_brief(want)}"
                )
        while expected and expected[0][1] is None and not produced:
            expected.popleft()  # silence recorded, silence produced

    def _expected(self) -> Exchange:
        if not self.script:
            raise ReplayExhausted
        return self.script[0]

    def _answer(self) -> None:
        exchange = self.script.popleft()
        self.lost |= exchange.lost
        self.rejoining |= exchange.rejoined
        self.unready |= exchange.unready
        self.authenticator.refused += exchange.refused
        requests = {p: self.pending.pop(p) for p in exchange.parties}
        answered: set[str] = set()
        for response in exchange.responses:
            if isinstance(response, Inject):
                self._inject(response, exchange.line)
                continue
            if isinstance(response, Sent):
                answered.add(response.party)
                self.expected[response.party].append((exchange.line, response.body))
                if response.body is not None:
                    self._push(response.party, "action", response.body, response.round)
                continue
            party, body = response
            answered.add(party)
            self.expected[party].append((exchange.line, body))
            if body is None:
                continue
            request = requests.get(party) or next(iter(requests.values()))
            filled = dict(body)
            if filled.get("kind") in ("vote", "ratify") and "text_id" not in filled:
                filled |= {k: request.body[k] for k in ("session", "round", "text_id")}
            self._push(party, "action", filled, request.round)
        for party in exchange.parties:
            if party not in answered:  # the log says this party stayed silent
                self.expected[party].append((exchange.line, None))
        for party in exchange.parties:
            self._match(party)

    def _inject(self, inject: Inject, line: int = 0) -> None:
        """Queue a recorded refusal, or a party's error report (which its re-created agent, if
        any, must also send)."""
        if inject.party is None:
            self.queue.append((b"", Recorded(inject.fields), None))
            return
        if inject.party not in self.codecs:
            raise ReplayDivergence(f"an error report from {inject.party!r}, who takes no part")
        self.expected[inject.party].append((line, {"type": "error"}))
        self._push(inject.party, "error", inject.fields, 0)

    def _push(self, party: str, type_: str, body: dict[str, Any], round_: int) -> None:
        payload = self.codecs[party].pack(type_, body, round_=round_)
        self.queue.append((party.encode(), payload, None))

    def recv(self, timeout_s: float) -> tuple[bytes, bytes | Recorded, str | None] | None:
        if self.queue:
            return self.queue.popleft()
        if not self.live and self.pending and not self.script:
            raise ReplayExhausted
        self.clock.now += max(timeout_s, 1e-6)  # nobody answers: the wait runs out at once
        return None

    def leftovers(self) -> list[str]:
        """Recorded actions no agent produced, and actions produced where the log has none."""
        out = []
        for party in self.expected:
            for line, want in self.expected[party]:
                if want is not None:
                    out.append(f"line {line}: {party} did not send the recorded {_brief(want)}")
            for got in self.produced[party]:
                out.append(f"{party} would send {_brief(got)} where the log records nothing")
        return out

    def close(self) -> None:
        pass


class _ScriptedRefusals:
    refused = 0


def _brief(body: dict[str, Any]) -> str:
    keys = ("kind", "accept", "move", "turn", "period", "outcome", "resources", "text")
    return json.dumps({k: body[k] for k in keys if k in body}, ensure_ascii=False)[:300]


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


@dataclass
class Scan:
    """An event log read line by line without trusting it."""

    events: list[dict[str, Any]]
    torn: int = 0
    """Bytes of a last line cut before its end (0: none)."""
    problem: tuple[int, str] | None = None
    """The first line that is not an event (1-based) and why."""


def scan_log(log: Path) -> Scan:
    """Read ``log``: every complete line must be a JSON object with an ``event`` name, a
    ``line`` number and a ``digest``; the first one that is not stops the scan."""
    events: list[dict[str, Any]] = []
    data = log.read_bytes()
    lines = data.split(b"\n")
    torn = len(lines[-1])  # what follows the last newline: empty unless cut mid-line
    for number, raw in enumerate(lines[:-1], start=1):
        try:
            event = json.loads(raw)
        except json.JSONDecodeError as exc:
            return Scan(events, torn, (number, f"is not JSON ({exc.msg})"))
        except UnicodeDecodeError:
            return Scan(events, torn, (number, "is not UTF-8 text"))
        except (ValueError, RecursionError) as exc:  # a huge integer, nesting too deep
            return Scan(events, torn, (number, f"cannot be read ({type(exc).__name__})"))
        if not isinstance(event, dict):
            return Scan(events, torn, (number, "is not a JSON object"))
        if not isinstance(event.get("event"), str) or not isinstance(event.get("digest"), str):
            return Scan(events, torn, (number, "is not an event (no event name or digest)"))
        if event.get("line") != number:
            return Scan(
                events,
                torn,
                (
                    number,
                    f"is numbered {event.get('line')!r}: a line was removed, repeated or moved "
                    "before it",
                ),
            )
        events.append(event)
    return Scan(events, torn)


def _resolve(path: Path) -> Path:
    """RUN: a run directory or an events.jsonl."""
    log = path / "events.jsonl" if path.is_dir() else path
    if not log.is_file():
        raise ConfigError(f"{path}: no events.jsonl here")
    return log


def _check_version(log: Path, events: list[dict[str, Any]]) -> None:
    start = _start(events) or {}
    versions = start.get("versions")
    version = versions.get("protocol") if isinstance(versions, dict) else None
    if not isinstance(version, int) or version > PROTOCOL_VERSION:
        raise ConfigError(
            f"{log}: written with protocol version {version!r}; this negotiator reads versions "
            f"up to {PROTOCOL_VERSION}"
        )


def load_log(path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """Resolve RUN (a run directory or an events.jsonl) and read its complete lines; a log that
    is not one (or not whole up to its last complete line) is a one-line error."""
    log = _resolve(path)
    scan = scan_log(log)
    if scan.problem is not None:
        line, reason = scan.problem
        raise ConfigError(f"{log}: line {line} {reason}")
    events = scan.events
    if _start(events) is None:
        raise ConfigError(f"{log}: not an event log (it must begin with run_started)")
    _check_version(log, events)
    return log, events


def _start(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The run_started event (the first line, or the second after branched_from)."""
    for event in events[:2]:
        if event.get("event") == "run_started":
            return event
        if event.get("event") != "branched_from":
            return None
    return None


def model_version(events: list[dict[str, Any]]) -> str | None:
    """The negotiator version that wrote a log, when its model differs from this version's
    (another major.minor release: runs re-execute only under the model that made them)."""
    start = _start(events)
    written = str((start or {}).get("versions", {}).get("negotiator", ""))
    if written.split(".")[:2] == __version__.split(".")[:2]:
        return None
    return written or "an unknown version"


def config_of(events: list[dict[str, Any]]) -> Config:
    start = _start(events)
    assert start is not None
    other = model_version(events)
    if other is not None:
        raise ConfigError(
            f"the log was written by negotiator {other}, whose model differs from this "
            f"version's ({__version__}): its digest chain can be verified (replay --verify), "
            "its runs re-executed only with that version"
        )
    return config_from_dict(dict(start["config"]), source="the log's config")


def _branch_of(events: list[dict[str, Any]], bus: ReplayBus | None) -> Any:
    """The branch a branched log records (re-applied at the same point on replay)."""
    from negotiator.config import apply_overrides
    from negotiator.mediator.coordinator import Branch

    first = events[0]
    if first.get("event") != "branched_from":
        return None
    start = _start(events)
    assert start is not None
    child = config_from_dict(
        apply_overrides(dict(start["config"]), list(first["overrides"])),
        source="the branch's overrides",
    )
    return Branch(first["phase"], first["after"], child, list(first["overrides"]), lambda: None)


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
    log = _resolve(path)
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
    if _start(events) is None:
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
    _check_version(log, events)
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


def reexecute_mediator(
    events: list[dict[str, Any]], *, with_agents: bool = False
) -> tuple[list[dict[str, Any]], ReplayBus]:
    """Run the mediator again over the recorded actions; return the events it logs (and the bus,
    whose ``mismatches`` list, with ``with_agents``, what the re-created agents would have done
    differently)."""
    from negotiator.runtime.runner import execute, prepare

    config = config_of(events)
    participants = _participants(config)
    clock = VirtualClock()
    agents = _agents(participants) if with_agents else None
    script = script_from_log(events)
    bus = ReplayBus(participants, script, clock, agents)
    start = _start(events)
    assert start is not None
    runtime = dict(start.get("runtime", {}))
    point = _branch_of(events, bus)
    if point is not None and agents is not None:
        # a branch's agents played the child config after the branch point
        from negotiator.mediator.coordinator import Mediator

        welcomer = Mediator(point.config, prepare(point.config).setting, bus, EventLog.null())
        bus.welcomes = {p: welcomer._welcome(p) for p in participants}
        bus.check_from = next(
            (e["line"] for e in events if e["event"] == "branch_applied"), len(events) + 1
        )
    with tempfile.TemporaryDirectory(prefix="negotiator-replay-") as tmp:
        log = EventLog(Path(tmp) / "events.jsonl")
        if point is not None:
            first = events[0]
            log.emit(
                "branched_from",
                **{k: v for k, v in first.items() if k not in ("event", "line", "digest", "ts")},
            )
        try:
            execute(
                config,
                prepare(config),
                log,
                bus,
                _recorded_agents(bus),
                runtime=runtime,
                join_timeout=script.join_timeout,
                clock=clock,
                branch=point,
            )
        except (ReplayExhausted, NegotiatorError):
            pass
        except Exception as exc:  # the log's content does not hold together from here on
            bus.failure = f"{type(exc).__name__}: {exc}"
        finally:
            log.close()
        return read_events(Path(tmp) / "events.jsonl"), bus


def _participants(config: Config) -> list[str]:
    participants = list(config.party_names)
    if config.superior_name is not None:
        participants.append(config.superior_name)
    return participants


def _agents(participants: list[str]) -> dict[str, Any]:
    from agents.process import Agent

    return {p: Agent(p) for p in participants}


@contextlib.contextmanager
def _no_agents(participants: tuple[str, ...]) -> Iterator[None]:
    yield None


class _Watchdog:
    """The launcher's report of agents that died before joining, as the log records it."""

    def __init__(self, bus: ReplayBus) -> None:
        self.bus = bus

    def dead(self) -> str | None:
        return self.bus.dead


def _recorded_agents(
    bus: ReplayBus,
) -> Callable[[tuple[str, ...]], contextlib.AbstractContextManager[object]]:
    """A launcher that starts nothing but reports the deaths the log records."""

    @contextlib.contextmanager
    def launch(participants: tuple[str, ...]) -> Iterator[object]:
        yield _Watchdog(bus)

    return launch


def timeline(events: list[dict[str, Any]], until: int | None = None) -> list[dict[str, Any]]:
    """Who did what, when, who could see it, and what it was worth to each party (normalised
    utility of every offer, text and agreement), from a log alone."""
    from negotiator.model.contract import build_setting

    config = config_of(events)
    setting = build_setting(config) if (config.scenario or config.domain) else None
    level = config.mediator.transparency

    def worth(outcome: Any) -> dict[str, float] | None:
        if setting is None or outcome is None:
            return None
        o = setting.domain.encode(outcome)
        return {p: round(u.normalize(u(o)), 4) for p, u in setting.utilities.items()}

    def seen_by(party: str | None, kind: str) -> str:
        if kind in ("invalid_action", "forfeit", "declaration"):
            return f"mediator, {party}" if party else "mediator"
        if kind in ("misreport_detected", "plan"):
            return "mediator" if level == "private" else "everyone"
        if level != "private":
            return "everyone"
        if kind in ("offer", "accept"):
            return "the next party to act only"
        if kind in ("votes", "period"):
            return "each government its own part"
        return "mediator" if party is None else party

    rows: list[dict[str, Any]] = []
    phase = 1
    for event in events:
        kind = event["event"]
        if kind == "implementation_start":
            phase = 2
        step = event.get("period") if phase == 2 else event.get("round")
        if until is not None and isinstance(step, int) and step > until:
            break
        row: dict[str, Any] | None = None
        party = event.get("party")
        if kind in ("offer", "accept", "end_negotiation", "forfeit", "invalid_action"):
            row = {
                "party": party,
                "action": kind,
                "outcome": event.get("outcome"),
                "detail": event.get("reason"),
            }
            row["utilities"] = worth(event.get("outcome"))
        elif kind in ("votes", "ratify_votes"):
            row = {
                "party": None,
                "action": kind,
                "votes": event["votes"],
                "outcome": event.get("proposal"),
                "utilities": worth(event.get("proposal")),
                "detail": "accepted" if event.get("accepted") else None,
            }
        elif kind in (
            "agreement",
            "text_start",
            "plan",
            "declaration",
            "misreport_detected",
            "shock",
            "renegotiation",
            "negotiation_end",
        ):
            outcome = event.get("outcome") or event.get("text") or event.get("agreement")
            row = {
                "party": party or event.get("superior") or event.get("government"),
                "action": kind,
                "outcome": outcome,
                "utilities": worth(outcome),
                "detail": {
                    k: v
                    for k, v in event.items()
                    if k
                    in (
                        "reason",
                        "kind",
                        "factor",
                        "status",
                        "changed",
                        "claimed",
                        "resources",
                        "session",
                        "source",
                    )
                }
                or None,
            }
        elif kind == "period":
            row = {
                "party": None,
                "action": "period",
                "moves": event["moves"],
                "detected": event["detected"],
                "payoffs": event["payoffs"],
            }
        if row is None:
            continue
        row = {
            "phase": phase,
            "step": step,
            **row,
            "visible_to": seen_by(party, kind),
            "line": event["line"],
        }
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def parse_point(text: str, config: Config) -> tuple[int, int]:
    """``R`` (a round of phase 1, or a period if the run has no phase 1), ``round:R`` or
    ``period:R`` → (phase, step)."""
    kind, _, number = text.rpartition(":")
    try:
        step = int(number)
    except ValueError:
        raise ConfigError(f"--branch {text!r}: expected R, round:R or period:R") from None
    if kind == "":
        kind = "round" if config.negotiates else "period"
    if kind not in ("round", "period") or step < 0:
        raise ConfigError(f"--branch {text!r}: expected R, round:R or period:R")
    return (1 if kind == "round" else 2), step


def branch(
    path: Path, at: str, overrides: list[str], out: Path, run_id: str | None = None
) -> RunSummary:
    """Restore a run at round/period R from its log, apply ``overrides`` and continue live in a
    new run directory (agents re-created in process and fast-forwarded on the recorded
    observations). The new log starts with ``branched_from``; up to R it repeats the parent's
    events, then ``branch_applied`` records the change."""
    import time as _time

    from negotiator.config import apply_overrides
    from negotiator.mediator.coordinator import Branch, Mediator
    from negotiator.runtime.runner import execute, new_run_id, prepare

    started = _time.monotonic()
    log_path, events = load_log(path)
    broken = verify_chain(events)
    if broken is not None:
        raise ConfigError(f"{log_path}: digest chain broken at line {broken}; not branching")
    parent = config_of(events)
    child = config_from_dict(
        apply_overrides(dict(parent.model_dump(mode="json")), overrides),
        source="--branch overrides",
    )
    phase, step = parse_point(at, parent)
    boundary = next(
        (
            e["line"]
            for e in events
            if (
                phase == 1
                and e["event"] == "round_end"
                and e.get("session", 0) == 0
                and e.get("round") == step
            )
            or (phase == 2 and e["event"] == "period_end" and e.get("period") == step)
        ),
        None,
    )
    if step == 0:
        boundary = next((e["line"] for e in events if e["event"] == "round_start"), None)
    if boundary is None:
        what = "round" if phase == 1 else "period"
        raise ConfigError(f"--branch {at!r}: the parent run has no complete {what} {step}")
    participants = _participants(parent)
    if _participants(child) != participants:
        raise ConfigError("--branch: the overrides may not change who takes part")
    script = script_from_log(events)
    script.exchanges = deque(x for x in script.exchanges if x.line < boundary)
    clock = VirtualClock()
    agents = _agents(participants)
    bus = ReplayBus(participants, script, clock, agents)
    run_id = run_id or f"{new_run_id(child)}-branch"
    run_dir = out / run_id
    run_dir.mkdir(parents=True, exist_ok=False)
    log = EventLog(run_dir / "events.jsonl")
    # the agents start from the child config (e.g. another strategy), fed the parent's history
    welcomer = Mediator(child, prepare(child).setting, bus, log)
    bus.welcomes = {p: welcomer._welcome(p) for p in participants}
    log.emit(
        "branched_from",
        parent=events[0].get("runtime", {}).get("run_id"),
        parent_digest=events[-1]["digest"],
        phase=phase,
        after=step,
        overrides=overrides,
        runtime={"parent_log": str(log_path)},
    )
    point = Branch(phase, step, child, list(overrides), bus.go_live)
    try:
        metrics, mediator = execute(
            parent,
            prepare(parent),
            log,
            bus,
            _no_agents,
            runtime={"run_id": run_id, "branched": True},
            clock=clock,
            branch=point,
        )
    finally:
        log.close()
    if not point.applied:
        raise ConfigError(f"--branch {at!r}: the run ended before anything could change")
    summary = build_summary(
        child,
        run_id,
        metrics,
        final_digest=log.digest,
        log=str(log.path),
        started=started,
        origin=BranchOrigin(
            events[0].get("runtime", {}).get("run_id"), phase, step, tuple(overrides)
        ),
    )
    del mediator
    (run_dir / "summary.json").write_text(
        json.dumps(summary.to_json(), indent=2, ensure_ascii=False, default=str) + "\n"
    )
    return summary
