"""The mediator: owns the SimPy clock and the bus, runs the protocols, logs every step.

Protocols are pure state machines; this module is the thin I/O layer around them. Each round of
phase 1 and each period of phase 2 is a SimPy timeout of one time unit, so simulated time never
depends on the wall clock; inside a turn the mediator waits for the acting party until a
wall-clock deadline (``negotiation.turn_timeout``). An invalid action gets an error message and an
``invalid_action`` event, and the party may try again before the deadline; a party that stays
silent or invalid forfeits its turn. Phase 2 lives in :mod:`negotiator.mediator.implementation`.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import simpy

from negotiator.config import Config
from negotiator.errors import DomainError, RunError
from negotiator.io.bus import Bus, Recorded
from negotiator.io.eventlog import EventLog
from negotiator.io.wire import Codec, Message, WireError
from negotiator.mediator.planning import (
    Declarations,
    Plan,
    ask_superior,
    collect_declarations,
    planning_brief,
)
from negotiator.mediator.transparency import Transparency
from negotiator.model.actions import Accept, EndNegotiation, Forfeit, Offer
from negotiator.model.contract import Setting
from negotiator.model.domain import Domain, Outcome, Utility
from negotiator.protocols import (
    InvalidAction,
    ProtocolEvent,
    SaopState,
    StackedAlternatingOffers,
)
from negotiator.protocols.saop import SaopAction
from negotiator.protocols.single_text import SingleTextProtocol, SingleTextState

MEDIATOR = "mediator"
#: Seconds between heartbeats on an otherwise quiet connection (both ways).
HEARTBEAT_S = 1.0


@dataclass
class NegotiationResult:
    """What phase 1 produced, for the summary."""

    state: Any
    """The final protocol state (:class:`SaopState` or :class:`SingleTextState`)."""
    agreement: Outcome | None
    rounds: int
    discount_exponent: int | None = None
    """Periods of discounting of the agreement (SAOP: the offer's turn; single text: round − 1)."""
    invalid_actions: dict[str, int] = field(default_factory=dict)
    forfeits: dict[str, int] = field(default_factory=dict)
    rejected_messages: int = 0
    auth_refused: int = 0
    pids: dict[str, int] = field(default_factory=dict)
    last_change_round: int = 0
    """Single text: the round whose accepted mutation gave the final text (0: the start text)."""


@dataclass
class Branch:
    """A what-if: from after ``step`` of ``phase`` on, the run goes on under ``config``
    (set by ``replay --branch``; ``go_live`` hands the agents' decisions back to them)."""

    phase: int
    step: int
    config: Config
    overrides: list[str]
    go_live: Callable[[], None]
    applied: bool = False

    def due(self, phase: int, step: int) -> bool:
        if self.applied:
            return False
        return phase > self.phase or (phase == self.phase and step > self.step)


class _Stale(InvalidAction):
    """An action for another turn or from a party whose turn it is not (never retried)."""


class Mediator:
    """Runs one run (phase 1, then phase 2 if configured) over a bound :class:`MediatorSocket`."""

    def __init__(
        self,
        config: Config,
        setting: Setting | None,
        socket: Bus,
        log: EventLog,
        *,
        join_timeout: float = 30.0,
        run_id: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.clock = clock
        """Wall clock for waiting deadlines (replay substitutes a virtual one)."""
        self.setting = setting
        self.socket = socket
        self.log = log
        self.join_timeout = join_timeout
        self.parties = tuple(config.party_names)
        self.superior = config.superior_name
        self.participants = self.parties + ((self.superior,) if self.superior else ())
        self.identities = {p.encode(): p for p in self.participants}
        self.transparency = Transparency(config.mediator.transparency)
        self.plan: Plan | None = None
        self.declarations: Declarations | None = None
        self.codec = Codec(MEDIATOR, run=run_id)
        self.session = 0
        """Negotiation session: 0 for phase 1, k for the k-th renegotiation."""
        self.result = NegotiationResult(SaopState(), None, 0)
        self.result.invalid_actions = dict.fromkeys(self.participants, 0)
        self.result.forfeits = dict.fromkeys(self.parties, 0)
        self.implementation: Any = None
        self.branch: Branch | None = None
        self.last_heard: dict[str, float] = {}
        self.last_sent: dict[str, float] = {}
        self.last_seq: dict[str, int] = {}
        self._next_keepalive = 0.0
        self.absent: set[str] = set()
        self.rejected_in_row: dict[str, int] = {}
        """Parties found gone (silent past ``mediator.heartbeat_timeout``): their turns are
        forfeited at once, and in phase 2 they count as not complying."""
        self.joined = False
        self.rejoining: dict[str, dict[str, Any]] = {}
        """Parties whose agent was restarted (a new process said hello under their key): their
        old connection is gone; they are welcomed again at the next round or period."""
        self._deferred: deque[tuple[str, Message]] = deque()
        """Messages received while waiting for a rejoining agent, handed out again later."""
        self.outbox: dict[str, list[dict[str, Any]]] = {}
        """Events held back for each party until its next request (see :meth:`send`)."""
        self.contexts: dict[str, dict[str, Any]] = {}
        """Each government's negotiation context as last sent (welcome or renegotiation)."""
        self.on_waiting: Callable[[list[str]], None] | None = None
        """Told who is still missing whenever that changes during the join (a live display)."""
        self.watchdog: Callable[[], str | None] | None = None
        """Reports agent processes that died before joining (set by the launcher's owner)."""

    # -- messaging -----------------------------------------------------------------------------

    def send(self, party: str, type_: str, body: dict[str, Any], round_: int = 0) -> None:
        """Send one message. An ``event`` for a present party is held back and delivered inside
        its next ``request`` (field ``events``), or as ``event`` messages just before ``end``:
        agents only act on requests, so they see the same things in the same order, and every
        party gets one message per request instead of several (docs/protocol.md §5)."""
        if type_ == "event" and self.joined and party not in self.absent:
            self.outbox.setdefault(party, []).append({"round": round_, "body": body})
            return
        if type_ == "request":
            held = self.outbox.pop(party, None)
            if held:
                body = {**body, "events": held}
        elif type_ in ("event", "end"):  # whatever is held back goes first, in order
            for event in self.outbox.pop(party, ()):
                self._transmit(party, "event", event["body"], event["round"])
        # heartbeats, errors and welcomes leave the held events where they are
        self._transmit(party, type_, body, round_)

    def _transmit(self, party: str, type_: str, body: dict[str, Any], round_: int) -> None:
        self.socket.send(party.encode(), self.codec.pack(type_, body, round_=round_))
        self.last_sent[party] = self.clock()

    def send_all(
        self, parties: Iterable[str], type_: str, body: dict[str, Any], round_: int = 0
    ) -> None:
        """Send the same message to each of ``parties`` (its body packed once when no party has
        events held back for it)."""
        parties = list(parties)
        if type_ == "event" or any(self.outbox.get(p) for p in parties):
            for party in parties:
                self.send(party, type_, body, round_)
            return
        now = self.clock()
        payloads = self.codec.pack_same(type_, body, len(parties), round_=round_)
        for party, payload in zip(parties, payloads, strict=True):
            self.socket.send(party.encode(), payload)
            self.last_sent[party] = now

    def _keepalive(self, parties: Iterable[str] | None = None) -> None:
        """Heartbeats to every joined party we have not written to for a while (not logged).
        Looks at most ten times per heartbeat interval."""
        now = self.clock()
        if now < self._next_keepalive:
            return
        self._next_keepalive = now + HEARTBEAT_S / 10
        if parties is None:
            if not self.joined:
                return
            parties = self.participants
        for party in parties:
            quiet = now - self.last_sent.get(party, 0.0) >= HEARTBEAT_S
            if quiet and (party not in self.absent or party in self.rejoining):
                self.send(party, "heartbeat", {})

    def is_lost(self, party: str) -> bool:
        """Has ``party`` been silent (no message, not even a heartbeat) for longer than the
        heartbeat timeout? Replay answers from the log (its bus knows who was lost)."""
        scripted = getattr(self.socket, "lost", None)
        if scripted is not None:
            return party in scripted
        if party in self.rejoining:  # its old process is gone: a new one has said hello
            return True
        heard = self.last_heard.get(party)
        return heard is None or self.clock() - heard > self.config.mediator.heartbeat_timeout

    def _maybe_expel(self, party: str) -> None:
        """Expel a party that keeps misbehaving: ``mediator.expel_after`` rejected actions in a
        row, with no accepted one in between."""
        if party in self.absent or party not in self.result.invalid_actions:
            return
        streak = self.rejected_in_row.get(party, 0) + 1
        self.rejected_in_row[party] = streak
        if streak >= self.config.mediator.expel_after:
            self.absent.add(party)
            self.log.emit("expelled", party=party, rejected=streak)

    def accepted(self, party: str) -> None:
        """An action of ``party`` was accepted: its run of rejections is over."""
        self.rejected_in_row[party] = 0

    def mark_absent(self, party: str, now: float) -> None:
        if party not in self.absent:
            self.absent.add(party)
            self.log.emit("agent_lost", party=party, t=now)

    def _note_refusals(self) -> None:
        """Log connections the ZAP allow-list refused since the last look (unknown keys)."""
        auth = getattr(self.socket, "authenticator", None)
        refused = getattr(auth, "refused", 0)
        if refused > self.result.auth_refused:
            self.log.emit(
                "auth_refused",
                new=refused - self.result.auth_refused,
                total=refused,
                reason="unknown CURVE key",
            )
            self.result.auth_refused = refused

    def _refuse(
        self,
        reason: str,
        party: str | None = None,
        *,
        payload: bytes,
        identity: bytes | None = None,
        reply: str | None = None,
    ) -> None:
        """Count and log a message refused before it reached any protocol: why, from whom (the
        routing identity in hex when it names no party), its size and SHA-256 (the bytes are not
        kept), and the code of the ``error`` sent back, if one is (docs/protocol.md §17)."""
        fields: dict[str, Any] = {"reason": reason}
        if party is not None:
            fields["party"] = party
        if identity is not None:
            fields["identity"] = identity.hex()
        fields["size"] = len(payload)
        fields["sha256"] = hashlib.sha256(payload).hexdigest()
        if reply is not None:
            fields["reply"] = reply
        self._refused(fields)

    def _refused(self, fields: dict[str, Any]) -> None:
        """Log a refusal (made now, or :class:`Recorded` in the log being replayed) and send the
        ``error`` it calls for."""
        self.result.rejected_messages += 1
        self.log.emit("rejected_message", **fields)
        party, reply = fields.get("party"), fields.get("reply")
        if isinstance(reply, str) and party in self.participants:
            self.send(str(party), "error", {"code": reply, "message": str(fields.get("reason"))})

    def receive(self, timeout_s: float) -> tuple[str, Message] | None:
        """The next well-formed message from a known party (others are logged and dropped).
        Waits at most one heartbeat interval, so callers loop until their own deadline."""
        self._keepalive()
        if self._deferred:
            return self._deferred.popleft()
        if self.log.busy:
            self.log.idle()  # the log's lines, made while the agents think
        got = self.socket.recv(min(timeout_s, HEARTBEAT_S))
        self._note_refusals()
        if got is None:
            return None
        identity, payload, authenticated = got
        if isinstance(payload, Recorded):  # replay: a refusal as the log records it
            self._refused(payload.fields)
            return None
        party = self.identities.get(identity)
        if party is None:
            self._refuse("unknown identity", payload=payload, identity=identity)
            return None
        if authenticated is not None and authenticated != party:
            reason = f"the key of {authenticated!r} claims to be {party!r}"
            self._refuse(reason, party, payload=payload)
            return None
        try:
            msg = self.codec.unpack(payload)
        except WireError as exc:
            self._refuse(str(exc), party, payload=payload, reply="malformed")
            return None
        if msg.sender != party:
            reason = f"claimed sender {msg.sender!r} differs from the connection's party"
            self._refuse(reason, party, payload=payload, reply="sender")
            return None
        self.last_heard[party] = self.clock()
        if msg.type == "hello":
            if msg.seq == 1 and self.joined:  # a restarted agent: welcomed at the next round
                self.last_seq[party] = 1
                self.rejoining.setdefault(party, dict(msg.body))
            else:
                reason = f"a hello with sequence number {msg.seq} from a party already joined"
                self._refuse(reason, party, payload=payload)
            return None
        if msg.seq <= self.last_seq.get(party, 0):
            reason = f"replayed or out-of-order sequence number {msg.seq}"
            self._refuse(reason, party, payload=payload)
            return None
        self.last_seq[party] = msg.seq
        if msg.type == "heartbeat":
            return None
        if msg.type == "error":
            self.log.emit("agent_error", party=party, message=str(msg.body.get("message")))
            return None
        return party, msg

    # -- joining -------------------------------------------------------------------------------

    def join(self) -> None:
        """Wait for every party's hello, welcome each with its private context, then wait until
        every agent has set up its strategy (its ``ready`` event) before the first round."""
        hellos: dict[str, dict[str, Any]] = {}
        ready: set[str] = set()
        deadline = self.clock() + self.join_timeout
        shown: list[str] | None = None
        while len(ready) < len(self.participants):
            missing_now = [p for p in self.participants if p not in ready]
            if self.on_waiting is not None and missing_now != shown:
                shown = missing_now
                self.on_waiting(missing_now)
            remaining = deadline - self.clock()
            if remaining <= 0:
                missing = ", ".join(p for p in self.participants if p not in ready)
                self.log.emit("join_timeout", missing=missing, seconds=self.join_timeout)
                self.log.flush()
                raise RunError(f"agents did not join within {self.join_timeout:g} s: {missing}")
            self._keepalive(list(hellos))
            if self.log.busy:  # refusals logged while waiting: bounded memory under a flood
                self.log.idle()
            raw = self.socket.recv(min(remaining, 0.5))
            if raw is None:
                gone = self.watchdog() if self.watchdog is not None else None
                if gone:
                    self.log.emit("join_failed", agents=gone)
                    self.log.flush()
                    raise RunError(f"agent processes exited before joining: {gone}")
                continue
            identity, payload, authenticated = raw
            if isinstance(payload, Recorded):  # replay: a refusal as the log records it
                self._refused(payload.fields)
                continue
            party = self.identities.get(identity)
            if party is not None and authenticated is not None and authenticated != party:
                reason = f"the key of {authenticated!r} claims to be {party!r}"  # another's name
                self._refuse(reason, party, payload=payload)
                continue
            try:
                msg = self.codec.unpack(payload) if party else None
            except WireError:
                msg = None
            if party is None or msg is None or msg.sender != party:
                self._refuse(
                    "malformed or unknown during join",
                    party,
                    payload=payload,
                    identity=identity if party is None else None,
                )
                continue
            self.last_heard[party] = self.clock()
            if msg.type == "hello" and party not in ready:
                # the newest hello counts: a restarted agent's numbering starts again, and the
                # welcome sent to the connection it replaced may have been lost
                self.last_seq[party] = msg.seq
                hellos[party] = msg.body
                self.send(party, "welcome", self._welcome(party))
                continue
            if msg.seq > self.last_seq.get(party, 0):
                self.last_seq[party] = msg.seq
            if msg.type == "event" and msg.body.get("kind") == "ready" and party in hellos:
                ready.add(party)
            elif msg.type == "error":  # logged; a dead agent is caught by the watchdog/timeout
                self.log.emit("agent_error", party=party, message=str(msg.body.get("message")))
        for party in sorted(hellos):  # log in name order: arrival order is not deterministic
            body = hellos[party]
            pid = body.get("pid") if isinstance(body.get("pid"), int) else None
            if pid is not None:
                self.result.pids[party] = pid
            self.log.emit("agent_joined", party=party, pid=pid, host=str(body.get("host", "")))
        self.log.flush()
        self.joined = True

    def _welcome(self, party: str) -> dict[str, Any]:
        if party == self.superior:
            assert self.config.superior is not None
            return {
                "party": party,
                "role": "superior",
                "order": list(self.parties),
                "seed": self.config.run.seed,
                "superior": self.config.superior.model_dump(mode="json"),
            }
        spec = self.config.parties[party]
        body: dict[str, Any] = {
            "party": party,
            "role": "government",
            "order": list(self.parties),
            "seed": self.config.run.seed,
            "negotiation": None,
            "compliance": {"name": spec.compliance, "params": dict(spec.compliance_params)},
            "declaration": {"mode": spec.declaration, "exaggeration": spec.exaggeration},
        }
        if self.config.negotiates and self.setting is not None:
            body["negotiation"] = self._negotiation_context(
                party, self.setting.domain, self.setting.utilities[party]
            )
        return body

    def _negotiation_context(self, party: str, domain: Domain, utility: Utility) -> dict[str, Any]:
        """A party's private negotiation context: its own utility and the public rules only."""
        spec = self.config.parties[party]
        self.contexts[party] = context = {
            "domain": domain.to_spec(),
            "utility": utility.to_spec(),
            "protocol": self.config.negotiation.protocol,
            "deadline": self.config.negotiation.deadline,
            "discounts": {p: self.config.parties[p].discount for p in self.parties},
            "strategy": {"name": spec.strategy, "params": dict(spec.params)},
            "session": self.session,
        }
        return context

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> NegotiationResult:
        """Join, then run both phases on one SimPy clock, then tell everyone it is over."""
        self.join()
        env = simpy.Environment()
        env.process(self._main(env))
        env.run()
        for party in self.participants:
            self.send(party, "end", {"status": "finished"})
        self.log.flush()
        return self.result

    def _main(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        if self.config.negotiates:
            self._prepare(env.now)
            if self.config.negotiation.protocol == "single_text":
                yield from self._single_text(env)
            else:
                yield from self._negotiation(env)
        if self.config.implementation is not None:
            from negotiator.mediator.implementation import ImplementationPhase

            self.implementation = ImplementationPhase(self, self.result.agreement)
            yield from self.implementation.process(env)

    def checkpoint(self, phase: int, step: int, now: float) -> None:
        """Called before round ``step`` of phase 1 and before period ``step`` of phase 2: where
        restarted agents rejoin, and where a branch takes effect (first negotiation only)."""
        self._admit_rejoining(phase, step, now)
        branch = self.branch
        if branch is None or (phase == 1 and self.session > 0) or not branch.due(phase, step):
            return
        branch.applied = True
        self.config = branch.config
        self.transparency = Transparency(branch.config.mediator.transparency)
        self.log.emit(
            "branch_applied",
            phase=branch.phase,
            after=branch.step,
            overrides=branch.overrides,
            t=now,
        )
        if self.implementation is not None:
            self.implementation.reconfigure(branch.config, now)
        branch.go_live()

    def _admit_rejoining(self, phase: int, step: int, now: float) -> None:
        """Welcome again each party whose agent was restarted, with the context it needs from
        now on (its negotiation context as last sent; in phase 2 its stage game), and wait for
        it to be ready. Its memory of earlier rounds is not restored: it resumes from here.
        Replay takes the rejoins from the log (its bus says who rejoined before this point)."""
        scripted: set[str] | None = getattr(self.socket, "rejoining", None)
        pending = sorted(scripted if scripted is not None else self.rejoining)
        for party in pending:
            hello = self.rejoining.pop(party, {})
            if scripted is not None:
                scripted.discard(party)
                getattr(self.socket, "lost", set()).discard(party)
            self.outbox.pop(party, None)  # a new process: what the old one missed stays missed
            body = self._welcome(party)
            if party in self.contexts:
                body["negotiation"] = self.contexts[party]
            self.send(party, "welcome", body)
            if not self._ready(party):
                self.log.emit("rejoin_failed", party=party, phase=phase, step=step, t=now)
                continue
            self.absent.discard(party)
            self.rejected_in_row[party] = 0
            pid = hello.get("pid") if isinstance(hello.get("pid"), int) else None
            self.log.emit(
                "agent_rejoined",
                party=party,
                phase=phase,
                step=step,
                session=self.session,
                pid=pid,
                t=now,
            )
            if phase == 2 and self.implementation is not None:
                self.implementation.tell_terms(party)
        if pending:
            self.log.flush()

    def _ready(self, party: str) -> bool:
        """Wait (up to the join timeout) for ``party``'s ready event; other messages that arrive
        meanwhile are kept for later."""
        deadline = self.clock() + self.join_timeout
        kept: list[tuple[str, Message]] = []
        try:
            while (remaining := deadline - self.clock()) > 0:
                got = self.receive(remaining)
                if got is None:
                    continue
                sender, msg = got
                if sender == party and msg.type == "event" and msg.body.get("kind") == "ready":
                    return True
                kept.append(got)
            return False
        finally:
            self._deferred.extend(kept)

    def _prepare(self, now: float) -> None:
        """Declarations (with a derived domain, if anything uses them) and the superior's plan."""
        config = self.config
        if config.scenario is not None and (
            config.mediator.transparency == "audited" or self.superior is not None
        ):
            self.declarations = collect_declarations(self, now)
        if self.superior is not None:
            used = self.declarations.used if self.declarations is not None else None
            brief = planning_brief(config, used)
            based_on = "verified" if config.mediator.transparency == "audited" else "declared"
            self.plan = ask_superior(self, brief, based_on if used else "true", now)

    def collect(
        self,
        kind: str,
        parties: set[str],
        timeout: float,
        check: Callable[[str, dict[str, Any]], Any],
    ) -> dict[str, Any]:
        """Wait (up to ``timeout`` s) for one ``kind`` action from each of ``parties``; answer
        invalid ones with an error and let the sender try again. Returns party → checked value."""
        answers: dict[str, Any] = {}
        attempts = dict.fromkeys(parties, 0)
        waiting = set(parties)  # a party that used up its attempts is no longer waited for
        for sender, msg in self.actions(timeout, lambda: len(answers) < len(waiting)):
            if sender not in waiting or sender in answers or msg.body.get("kind") != kind:
                self.reject(
                    sender,
                    "stale",
                    f"no {msg.body.get('kind')!r} action expected now",
                    msg.round,
                    -1,
                    body=msg.body,
                )
                continue
            try:
                answers[sender] = check(sender, msg.body)
                self.accepted(sender)
            except (InvalidAction, DomainError, KeyError, TypeError, ValueError) as exc:
                attempts[sender] += 1
                last = attempts[sender] >= self.config.negotiation.invalid_limit
                self.reject(
                    sender,
                    "forfeited" if last else "invalid_action",
                    str(exc),
                    msg.round,
                    -1,
                    turn=-1,
                    body=msg.body,
                )
                if last:
                    waiting.discard(sender)
        return answers

    def actions(
        self, timeout: float, wanted: Callable[[], bool] = lambda: True
    ) -> Iterator[tuple[str, Message]]:
        """Each action message that arrives within ``timeout`` seconds, while ``wanted()``
        holds (checked before every wait). The wait loop of every request the mediator makes."""
        deadline = self.clock() + timeout
        while wanted():
            remaining = deadline - self.clock()
            if remaining <= 0:
                return
            got = self.receive(remaining)
            if got is not None and got[1].type == "action":
                yield got

    def _negotiation(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        assert self.setting is not None
        protocol = StackedAlternatingOffers(
            self.setting.domain, self.parties, self.config.negotiation.deadline
        )
        plan = self.plan.text if self.plan is not None else None
        state = protocol.initial(plan, self.superior)
        if plan is not None:
            self.log.emit(
                "offer",
                party=self.superior,
                round=1,
                turn=-1,
                t=env.now,
                outcome=protocol.domain.decode(plan),
            )
        while state.open:
            state = self.play_round(protocol, state, env.now)
            self.result.state = state
            self.result.rounds = state.round
            yield env.timeout(1)
        self.result.agreement = state.agreement
        self.result.discount_exponent = state.offer_turn if state.agreement else None
        self._announce(protocol.domain, state, env.now)

    # -- the mediated single text -----------------------------------------------------------------

    def _single_text(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        assert self.setting is not None
        plan = self.plan.text if self.plan is not None else None
        state = yield from self._single_text_session(self.setting.domain, plan, env)
        self.result.agreement = state.agreement
        self.result.discount_exponent = (
            state.agreement_round - 1 if state.agreement_round is not None else None
        )

    def _single_text_session(
        self,
        domain: Domain,
        start: Outcome | None,
        env: simpy.Environment | None,
        now: float = 0,
        *,
        source: str | None = None,
        package: int = 1,
        admissible: Callable[[Outcome], bool] | None = None,
    ) -> Generator[simpy.Event, Any, SingleTextState]:
        """Rounds of mutation and vote, then ratification; one SimPy timeout per round when
        ``env`` is given (phase 1), none for a renegotiation."""
        protocol = SingleTextProtocol(
            domain,
            self.parties,
            self.config.negotiation.deadline,
            self.config.negotiation.stall,
            self.config.run.seed,
            self.session,
            package=package,
            admissible=admissible,
        )
        state = protocol.initial(start)
        t = env.now if env is not None else now
        if source is None:
            source = "plan" if start is not None else "neutral"
        self.log.emit(
            "text_start", session=self.session, source=source, text=domain.decode(state.text), t=t
        )
        while state.status == "voting":
            t = env.now if env is not None else now
            state = self._vote_round(protocol, state, t)
            if env is not None:  # phase 1 (a renegotiation leaves phase 1's record alone)
                self.result.state = state
                self.result.rounds = state.round
                yield env.timeout(1)
        t = env.now if env is not None else now
        state = self._ratification(protocol, state, t)
        if env is not None:
            self.result.state = state
        self._announce(domain, state, t)
        return state

    def _vote_round(
        self, protocol: SingleTextProtocol, state: SingleTextState, now: float
    ) -> SingleTextState:
        rnd = state.round
        self.checkpoint(1, rnd, now)
        started = time.monotonic()
        self.log.emit("round_start", session=self.session, round=rnd, t=now)
        assert state.proposal is not None
        request = {
            "kind": "vote",
            "session": self.session,
            "round": rnd,
            "text_id": state.text_id,
            "text": protocol.domain.decode(state.text),
            "proposal": protocol.domain.decode(state.proposal),
        }
        votes = self._ballot("vote", request, state, now)
        before = state.accepted
        state, events = protocol.vote(state, votes)
        if state.accepted > before and self.session == 0:
            self.result.last_change_round = rnd
        self._publish(events, rnd, now)
        self._end_round(rnd, state.digest(), started, now)
        return state

    def _publish(self, events: list[ProtocolEvent], rnd: int, now: float) -> None:
        """Log protocol events and send each party what the transparency level shows it."""
        for event in events:
            self.log.emit(event.kind, t=now, **event.data)
            recipients, body = self.transparency.protocol_event(event, self.parties)
            if recipients:
                self.send_all(recipients, "event", body, rnd)

    def _end_round(self, rnd: int, digest: str, started: float, now: float) -> None:
        self.log.emit(
            "round_end",
            session=self.session,
            round=rnd,
            t=now,
            state=digest,
            wall_ms=round((time.monotonic() - started) * 1000, 3),
        )
        self.log.flush_later()

    def _ratification(
        self, protocol: SingleTextProtocol, state: SingleTextState, now: float
    ) -> SingleTextState:
        request = {
            "kind": "ratify",
            "session": self.session,
            "round": state.round,
            "text_id": state.text_id,
            "text": protocol.domain.decode(state.text),
        }
        votes = self._ballot("ratify", request, state, now)
        state, events = protocol.ratify(state, votes)
        for event in events:
            self.log.emit(event.kind, t=now, **event.data)
        self.log.emit(
            "round_end",
            session=self.session,
            round=state.round,
            t=now,
            state=state.digest(),
            stage="ratification",
        )
        self.log.flush()
        return state

    def _ballot(
        self, kind: str, request: dict[str, Any], state: SingleTextState, now: float
    ) -> dict[str, bool]:
        """Send ``request`` to every government and collect their votes (barrier); a missing
        vote is a forfeit (a rejection). Votes are logged in party-name order."""
        present = [p for p in self.parties if p not in self.absent]
        self.log.emit("request", kind=kind, round=state.round, parties=present, t=now)
        self.send_all(present, "request", request, state.round)

        def check(sender: str, body: dict[str, Any]) -> bool:
            if body.get("voter", sender) != sender:
                raise InvalidAction(f"a vote for another party ({body.get('voter')!r})")
            if body.get("session") != self.session or body.get("round") != state.round:
                raise InvalidAction(f"a vote for another round; this is round {state.round}")
            if body.get("text_id") != state.text_id:
                raise InvalidAction("a vote on a stale text")
            accept = body.get("accept")
            if not isinstance(accept, bool):
                raise InvalidAction("`accept` must be true or false")
            return accept

        votes = self.collect(kind, set(present), self.config.negotiation.turn_timeout, check)
        for p in self.parties:
            if p not in votes:
                self.result.forfeits[p] += 1
                reason = "absent" if p in self.absent else "silent"
                self.log.emit(
                    "forfeit", party=p, round=state.round, stage=kind, reason=reason, t=now
                )
                if reason == "silent" and self.is_lost(p):
                    self.mark_absent(p, now)
        return votes

    def renegotiate(
        self,
        domain: Domain,
        utilities: dict[str, Utility],
        start: Outcome,
        now: float,
        *,
        package: int,
        admissible: Callable[[Outcome], bool],
    ) -> Outcome | None:
        """Reopen the contract (instantly in simulated time): every government gets its new
        context (the reopened domain, its cash utility, its breakdown value as reservation),
        then a mediated single text from ``start`` with mutations of up to ``package`` issues,
        admissible ones only, and ratification. Returns the agreement, if any."""
        self.session += 1
        for party in self.parties:
            context = self._negotiation_context(party, domain, utilities[party])
            context["protocol"] = "single_text"
            self.send(party, "event", {"kind": "renegotiation", **context})
        session = self._single_text_session(
            domain, start, None, now, source="mediator", package=package, admissible=admissible
        )
        try:
            while True:
                next(session)
        except StopIteration as done:
            final: SingleTextState = done.value
        return final.agreement

    def _announce(self, domain: Domain, state: Any, now: float) -> None:
        agreed = state.agreement
        agreement = domain.decode(agreed) if agreed is not None else None
        for party in self.parties:
            self.send(
                party,
                "event",
                {
                    "kind": "negotiation_end",
                    "session": self.session,
                    "status": state.status,
                    "agreement": agreement,
                    "round": state.round,
                },
                state.round,
            )
        self.log.emit(
            "negotiation_end",
            session=self.session,
            status=state.status,
            rounds=state.round,
            agreement=agreement,
            t=now,
        )
        self.log.flush()

    def play_round(
        self, protocol: StackedAlternatingOffers, state: SaopState, now: float
    ) -> SaopState:
        """Play every turn of the current round; log and flush at its end."""
        rnd = state.round
        self.checkpoint(1, rnd, now)
        started = time.monotonic()
        self.log.emit("round_start", session=self.session, round=rnd, t=now)
        while state.open and state.round == rnd:
            party = protocol.actor(state)
            action = self._turn(protocol, state, party, now)
            state, events = protocol.step(state, party, action)
            self._publish(events, rnd, now)
        self._end_round(rnd, state.digest(), started, now)
        return state

    def _turn(
        self, protocol: StackedAlternatingOffers, state: SaopState, party: str, now: float
    ) -> SaopAction:
        """Ask ``party`` to act and wait for a valid action until the turn's deadline."""
        domain = protocol.domain
        request = {
            "kind": "saop_turn",
            "session": self.session,
            "round": state.round,
            "turn": state.turn,
            "deadline": protocol.deadline,
            "standing": domain.decode(state.standing) if state.standing is not None else None,
        }
        if self.transparency.publishes_offers:
            request["proposer"] = state.proposer
        else:  # not who proposed it, only whether it is the recipient's own offer
            request["own_offer"] = state.standing is not None and state.proposer == party
        if party in self.absent:  # gone: no request, the turn is forfeited at once
            self.result.forfeits[party] += 1
            return Forfeit("absent")
        self.log.emit("request", party=party, round=state.round, turn=state.turn, t=now)
        self.send(party, "request", request, state.round)
        invalid = False
        attempts = 0
        for sender, msg in self.actions(self.config.negotiation.turn_timeout):
            try:
                action = self._decode_action(protocol, state, party, sender, msg)
            except _Stale as exc:
                self.reject(
                    sender,
                    "stale",
                    str(exc),
                    state.round,
                    state.turn,
                    body=msg.body,
                    sent_round=msg.round,
                )
                continue
            except (InvalidAction, DomainError) as exc:
                attempts += 1
                invalid = True
                last = attempts >= self.config.negotiation.invalid_limit
                self.reject(
                    sender,
                    "forfeited" if last else "invalid_action",
                    str(exc),
                    state.round,
                    state.turn,
                    turn=msg.body.get("turn"),
                    body=msg.body,
                    sent_round=msg.round,
                )
                if last:
                    break
                continue
            self.accepted(party)
            return action
        self.result.forfeits[party] += 1
        if not invalid and self.is_lost(party):
            self.mark_absent(party, now)
        return Forfeit("invalid" if invalid else "silent")

    def reject(
        self,
        party: str,
        code: str,
        reason: str,
        round_: int,
        position: int,
        turn: Any = None,
        body: dict[str, Any] | None = None,
        sent_round: int | None = None,
    ) -> None:
        """Log and count an invalid or stale action and tell its sender why. Only an error with
        code ``invalid_action`` invites the sender to try again within the same turn. The
        rejected ``body`` is logged as received, and so is the round of its header
        (``sent_round``) when it is not the ``round`` logged, so that a replay can send it
        again."""
        self.result.invalid_actions[party] += 1
        kind = "stale_action" if code == "stale" else "invalid_action"
        extra = {} if sent_round is None or sent_round == round_ else {"sent_round": sent_round}
        self.log.emit(
            kind, party=party, round=round_, turn=position, reason=reason, body=body, **extra
        )
        self._maybe_expel(party)
        error: dict[str, Any] = {"code": code, "message": reason}
        if code in ("invalid_action", "forfeited"):
            error["turn"] = turn if isinstance(turn, int) and not isinstance(turn, bool) else None
        self.send(party, "error", error, round_)

    def _decode_action(
        self,
        protocol: StackedAlternatingOffers,
        state: SaopState,
        party: str,
        sender: str,
        msg: Message,
    ) -> Accept | Offer | EndNegotiation:
        body = msg.body
        turn = body.get("turn")
        if sender != party:
            raise _Stale(f"not your turn: it is {party}'s turn")
        if body.get("session", 0) != self.session:
            raise _Stale(f"action for negotiation session {body.get('session')!r}")
        if turn != state.turn or msg.round != state.round:
            raise _Stale(
                f"stale or future action for round {msg.round} turn {turn!r}; "
                f"the current turn is {state.turn} of round {state.round}"
            )
        kind = body.get("kind")
        action: Accept | Offer | EndNegotiation
        if kind == "accept":
            action = Accept()
        elif kind == "end":
            action = EndNegotiation()
        elif kind == "offer":
            action = Offer(protocol.domain.encode(body.get("outcome")))
        else:
            raise InvalidAction(f"unknown action kind {kind!r} (accept, offer or end)")
        protocol.check(state, party, action)
        return action
