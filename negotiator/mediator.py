"""The mediator: owns the SimPy clock and the bus, runs the protocol, logs every step.

The protocol is a pure state machine; this module is the thin I/O layer around it. Each round is
a SimPy timeout of one time unit, so simulated time never depends on the wall clock; inside a turn
the mediator waits for the acting party until a wall-clock deadline (``negotiation.turn_timeout``).
An invalid action gets an error message and an ``invalid_action`` event, and the party may try
again before the deadline; a party that stays silent or invalid forfeits its turn.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from negotiator.actions import Accept, EndNegotiation, Forfeit, Offer
from negotiator.bus import MediatorSocket
from negotiator.config import Config
from negotiator.contract import Setting
from negotiator.domain import Outcome
from negotiator.errors import DomainError, RunError
from negotiator.eventlog import EventLog
from negotiator.protocols import InvalidAction, SaopState, StackedAlternatingOffers
from negotiator.protocols.saop import SaopAction
from negotiator.wire import Codec, Message, WireError

MEDIATOR = "mediator"


@dataclass
class NegotiationResult:
    """What phase 1 produced, for the summary."""

    state: SaopState
    agreement: Outcome | None
    rounds: int
    invalid_actions: dict[str, int] = field(default_factory=dict)
    forfeits: dict[str, int] = field(default_factory=dict)
    rejected_messages: int = 0
    pids: dict[str, int] = field(default_factory=dict)


class _Stale(InvalidAction):
    """An action for another turn or from a party whose turn it is not (never retried)."""


class Mediator:
    """Runs one negotiation over a bound :class:`MediatorSocket`."""

    def __init__(
        self,
        config: Config,
        setting: Setting,
        socket: MediatorSocket,
        log: EventLog,
        *,
        join_timeout: float = 30.0,
    ) -> None:
        self.config = config
        self.setting = setting
        self.socket = socket
        self.log = log
        self.join_timeout = join_timeout
        self.parties = tuple(config.party_names)
        self.identities = {p.encode(): p for p in self.parties}
        self.codec = Codec(MEDIATOR)
        self.protocol = StackedAlternatingOffers(
            setting.domain, self.parties, config.negotiation.deadline
        )
        self.result = NegotiationResult(self.protocol.initial(), None, 0)
        self.result.invalid_actions = dict.fromkeys(self.parties, 0)
        self.result.forfeits = dict.fromkeys(self.parties, 0)

    # -- messaging -----------------------------------------------------------------------------

    def _send(self, party: str, type_: str, body: dict[str, Any], round_: int = 0) -> None:
        self.socket.send(party.encode(), self.codec.pack(type_, body, round_=round_))

    def _receive(self, timeout_s: float) -> tuple[str, Message] | None:
        """The next well-formed message from a known party (others are logged and dropped)."""
        got = self.socket.recv(timeout_s)
        if got is None:
            return None
        identity, payload = got
        party = self.identities.get(identity)
        if party is None:
            self.result.rejected_messages += 1
            self.log.emit("rejected_message", reason="unknown identity")
            return None
        try:
            msg = self.codec.unpack(payload)
        except WireError as exc:
            self.result.rejected_messages += 1
            self.log.emit("rejected_message", party=party, reason=str(exc))
            self._send(party, "error", {"code": "malformed", "message": str(exc)})
            return None
        if msg.sender != party:
            self.result.rejected_messages += 1
            reason = f"claimed sender {msg.sender!r} differs from the connection's party"
            self.log.emit("rejected_message", party=party, reason=reason)
            self._send(party, "error", {"code": "sender", "message": reason})
            return None
        return party, msg

    # -- phases --------------------------------------------------------------------------------

    def join(self) -> None:
        """Wait for every party's hello, welcome each with its private context, then wait until
        every agent has set up its strategy (its ``ready`` event) before the first round."""
        hellos: dict[str, dict[str, Any]] = {}
        ready: set[str] = set()
        deadline = time.monotonic() + self.join_timeout
        while len(ready) < len(self.parties):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                missing = ", ".join(p for p in self.parties if p not in ready)
                self.log.emit("join_timeout", missing=missing)
                self.log.flush()
                raise RunError(f"agents did not join within {self.join_timeout:g} s: {missing}")
            got = self._receive(remaining)
            if got is None:
                continue
            party, msg = got
            if msg.type == "hello" and party not in hellos:
                hellos[party] = msg.body
                self._send(party, "welcome", self._welcome(party))
            elif msg.type == "event" and msg.body.get("kind") == "ready" and party in hellos:
                ready.add(party)
            elif msg.type == "error":
                self.log.emit("agent_error", party=party, message=str(msg.body.get("message")))
                self.log.flush()
                raise RunError(f"agent {party} failed: {msg.body.get('message', '?')}")
        for party in sorted(hellos):  # log in name order: arrival order is not deterministic
            body = hellos[party]
            pid = body.get("pid") if isinstance(body.get("pid"), int) else None
            if pid is not None:
                self.result.pids[party] = pid
            self.log.emit("agent_joined", party=party, pid=pid, host=str(body.get("host", "")))
        self.log.flush()

    def _welcome(self, party: str) -> dict[str, Any]:
        spec = self.config.parties[party]
        return {
            "party": party,
            "domain": self.setting.domain.to_spec(),
            "utility": self.setting.utilities[party].to_spec(),
            "protocol": self.protocol.name,
            "deadline": self.config.negotiation.deadline,
            "order": list(self.parties),
            "discounts": {p: self.config.parties[p].discount for p in self.parties},
            "seed": self.config.run.seed,
            "strategy": {"name": spec.strategy, "params": dict(spec.params)},
        }

    def run(self) -> NegotiationResult:
        """Join, negotiate on the SimPy clock, tell everyone how it ended."""
        self.join()
        env = simpy.Environment()
        env.process(self._negotiation(env))
        env.run()
        state = self.result.state
        agreed = state.agreement
        agreement = self.protocol.domain.decode(agreed) if agreed is not None else None
        for party in self.parties:
            self._send(
                party,
                "end",
                {"status": state.status, "agreement": agreement, "round": state.round},
                state.round,
            )
        self.log.emit(
            "negotiation_end",
            status=state.status,
            rounds=state.round,
            agreement=agreement,
            t=env.now,
        )
        self.log.flush()
        return self.result

    def _negotiation(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        state = self.protocol.initial()
        while state.open:
            rnd = state.round
            started = time.monotonic()
            self.log.emit("round_start", round=rnd, t=env.now)
            while state.open and state.round == rnd:
                party = self.protocol.actor(state)
                action = self._turn(state, party, env.now)
                state, events = self.protocol.step(state, party, action)
                for event in events:
                    self.log.emit(event.kind, t=env.now, **event.data)
            self.log.emit(
                "round_end",
                round=rnd,
                t=env.now,
                state=state.digest(),
                wall_ms=round((time.monotonic() - started) * 1000, 3),
            )
            self.log.flush()
            self.result.state = state
            self.result.rounds = rnd
            yield env.timeout(1)
        self.result.state = state
        self.result.agreement = state.agreement

    def _turn(self, state: SaopState, party: str, now: float) -> SaopAction:
        """Ask ``party`` to act and wait for a valid action until the turn's deadline."""
        request = {
            "kind": "saop_turn",
            "round": state.round,
            "turn": state.turn,
            "deadline": self.protocol.deadline,
            "standing": self.protocol.domain.decode(state.standing)
            if state.standing is not None
            else None,
            "proposer": state.proposer,
        }
        self.log.emit("request", party=party, round=state.round, turn=state.turn, t=now)
        self._send(party, "request", request, state.round)
        deadline = time.monotonic() + self.config.negotiation.turn_timeout
        invalid = False
        attempts = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            got = self._receive(remaining)
            if got is None:
                continue
            sender, msg = got
            if msg.type == "error":
                self.log.emit("agent_error", party=sender, message=str(msg.body.get("message")))
                continue
            if msg.type != "action":
                continue
            try:
                action = self._decode_action(state, party, sender, msg)
            except _Stale as exc:
                self.result.invalid_actions[sender] += 1
                self.log.emit(
                    "stale_action",
                    party=sender,
                    round=state.round,
                    turn=state.turn,
                    reason=str(exc),
                )
                self._send(sender, "error", {"code": "stale", "message": str(exc)}, state.round)
                continue
            except (InvalidAction, DomainError) as exc:
                self.result.invalid_actions[sender] += 1
                self.log.emit(
                    "invalid_action",
                    party=sender,
                    round=state.round,
                    turn=state.turn,
                    reason=str(exc),
                )
                turn = msg.body.get("turn") if isinstance(msg.body.get("turn"), int) else None
                self._send(
                    sender,
                    "error",
                    {"code": "invalid_action", "message": str(exc), "turn": turn},
                    state.round,
                )
                if sender == party:
                    invalid = True
                    attempts += 1
                    if attempts >= self.config.negotiation.invalid_limit:
                        break
                continue
            return action
        self.result.forfeits[party] += 1
        return Forfeit("invalid" if invalid else "silent")

    def _decode_action(
        self, state: SaopState, party: str, sender: str, msg: Message
    ) -> Accept | Offer | EndNegotiation:
        body = msg.body
        turn = body.get("turn")
        if sender != party:
            raise _Stale(f"not your turn: it is {party}'s turn")
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
            action = Offer(self.protocol.domain.encode(body.get("outcome")))
        else:
            raise InvalidAction(f"unknown action kind {kind!r} (accept, offer or end)")
        self.protocol.check(state, party, action)
        return action
