"""Phase 1 on the clock: the loop every negotiation mechanism shares, and its two mechanisms.

:class:`Mechanism` is a template (as NegMAS's ``Mechanism.step()``): it runs one negotiation
session round by round (checkpoint, ``round_start``, the round, ``round_end``, one SimPy time unit
per round in phase 1, none in a renegotiation), then concludes and announces the result. A
mechanism only says how it starts, whether it is still open and what one round does, by driving
its pure protocol (:mod:`negotiator.protocols`) over the mediator's
:class:`~negotiator.mediator.channel.Channel`.
A new protocol is a subclass with those three methods; renegotiation reuses :class:`SingleText`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

import simpy

from negotiator.errors import DomainError
from negotiator.io.messages import NegotiationEndEvent, RatifyRequest, VoteRequest
from negotiator.mediator import rules
from negotiator.mediator.channel import Channel, Host
from negotiator.model.actions import Forfeit
from negotiator.model.domain import Domain, Outcome
from negotiator.protocols import InvalidAction, ProtocolEvent, SaopState, StackedAlternatingOffers
from negotiator.protocols.saop import SaopAction
from negotiator.protocols.single_text import SingleTextProtocol, SingleTextState

S = TypeVar("S", SaopState, SingleTextState)


class Record:
    """What phase 1 produced so far (a renegotiation leaves it alone)."""

    def __init__(self) -> None:
        self.state: SaopState | SingleTextState = SaopState()
        """The latest protocol state."""
        self.rounds = 0
        self.last_change_round = 0
        """Single text: the round whose accepted mutation gave the final text (0: the start)."""


class Mechanism(ABC, Generic[S]):
    """One negotiation session of the governments, on the mediator's clock."""

    def __init__(
        self,
        host: Host,
        channel: Channel,
        domain: Domain,
        *,
        session: int = 0,
        record: Record | None = None,
    ) -> None:
        self.host = host
        self.channel = channel
        self.log = channel.log
        self.domain = domain
        self.parties = host.parties
        self.session = session
        self.record = record
        """Phase 1's record to keep up to date (None for a renegotiation)."""

    @abstractmethod
    def start(self, start: Outcome | None, now: float) -> S:
        """The initial state (``start``: a text or offer tabled before the first round)."""

    @abstractmethod
    def is_open(self, state: S) -> bool: ...

    @abstractmethod
    def round(self, state: S, now: float) -> S:
        """Play one round: ask, collect, apply the protocol, publish its events."""

    def conclude(self, state: S, now: float) -> S:
        """What happens once the rounds are over (single text: ratification)."""
        return state

    def run(
        self, tabled: Outcome | None, env: simpy.Environment | None, now: float = 0
    ) -> Generator[simpy.Event, Any, S]:
        """Rounds from ``tabled`` (if a text or offer is tabled) until the mechanism closes, one
        SimPy time unit each when ``env`` is given (phase 1), none otherwise (a renegotiation,
        instant in simulated time)."""
        state = self.start(tabled, env.now if env is not None else now)
        while self.is_open(state):
            t = env.now if env is not None else now
            rnd = state.round
            self.host.checkpoint(1, rnd, t)
            started = time.monotonic()
            self.log.emit("round_start", session=self.session, round=rnd, t=t)
            state = self.round(state, t)
            self.log.emit(
                "round_end",
                session=self.session,
                round=rnd,
                t=t,
                state=state.digest(),
                wall_ms=round((time.monotonic() - started) * 1000, 3),
            )
            self.log.flush_later()
            if self.record is not None:
                self.record.state = state
                self.record.rounds = state.round
            if env is not None:
                yield env.timeout(1)
        t = env.now if env is not None else now
        state = self.conclude(state, t)
        if self.record is not None:
            self.record.state = state
        self._announce(state, t)
        return state

    def publish(self, events: list[ProtocolEvent], rnd: int, now: float) -> None:
        """Log protocol events and send each party what the transparency level shows it."""
        for event in events:
            self.log.emit(event.kind, t=now, **event.data)
            recipients, body = self.host.transparency.protocol_event(event, self.parties)
            if recipients and body is not None:
                self.channel.send_all(recipients, body, rnd)

    def _announce(self, state: S, now: float) -> None:
        agreed = state.agreement
        agreement = self.domain.decode(agreed) if agreed is not None else None
        for party in self.parties:
            end = NegotiationEndEvent(self.session, state.status, agreement, state.round)
            self.channel.send(party, end, state.round)
        self.log.emit(
            "negotiation_end",
            session=self.session,
            status=state.status,
            rounds=state.round,
            agreement=agreement,
            t=now,
        )
        self.log.flush()


class Saop(Mechanism[SaopState]):
    """Stacked alternating offers: each round, every government in turn accepts the standing
    offer, makes a new one or ends the negotiation (docs/protocol.md §9)."""

    def __init__(
        self, host: Host, channel: Channel, domain: Domain, *, superior: str | None, **kw: Any
    ) -> None:
        super().__init__(host, channel, domain, **kw)
        self.superior = superior
        self.protocol = StackedAlternatingOffers(
            domain, self.parties, host.config.negotiation.deadline
        )

    def start(self, start: Outcome | None, now: float) -> SaopState:
        state = self.protocol.initial(start, self.superior)
        if start is not None:  # the superior's plan is the standing offer
            self.log.emit(
                "offer",
                party=self.superior,
                round=1,
                turn=-1,
                t=now,
                outcome=self.domain.decode(start),
            )
        return state

    def is_open(self, state: SaopState) -> bool:
        return state.open

    def round(self, state: SaopState, now: float) -> SaopState:
        rnd = state.round
        while state.open and state.round == rnd:
            party = self.protocol.actor(state)
            action = self._turn(state, party, now)
            state, events = self.protocol.step(state, party, action)
            self.publish(events, rnd, now)
        return state

    def _turn(self, state: SaopState, party: str, now: float) -> SaopAction:
        """Ask ``party`` to act and wait for a valid action until the turn's deadline."""
        channel, config = self.channel, self.host.config
        request = self.host.transparency.turn_request(
            self.domain, state, party, self.protocol.deadline, self.session
        )
        if party in channel.absent:  # gone: no request, the turn is forfeited at once
            channel.tally.forfeits[party] += 1
            return Forfeit("absent")
        self.log.emit("request", party=party, round=state.round, turn=state.turn, t=now)
        channel.send(party, request, state.round)
        invalid = False
        attempts = rules.Attempts(config.negotiation.invalid_limit)
        for sender, msg in channel.actions(config.negotiation.turn_timeout):
            try:
                action = rules.saop_action(
                    self.protocol, state, party, sender, msg.round, msg.body, self.session
                )
            except rules.Stale as exc:
                channel.reject(
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
                invalid = True
                last = attempts.fail(party)
                channel.reject(
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
            channel.accepted(party)
            return action
        channel.tally.forfeits[party] += 1
        if not invalid and channel.is_lost(party):
            channel.mark_absent(party, now)
        return Forfeit("invalid" if invalid else "silent")


class SingleText(Mechanism[SingleTextState]):
    """The mediated single text: each round the mediator proposes a mutation of the text and
    the governments vote; then they ratify the final text (docs/protocol.md §10)."""

    def __init__(
        self,
        host: Host,
        channel: Channel,
        domain: Domain,
        *,
        source: str | None = None,
        package: int = 1,
        admissible: Callable[[Outcome], bool] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(host, channel, domain, **kw)
        config = host.config
        self.source = source
        self.protocol = SingleTextProtocol(
            domain,
            self.parties,
            config.negotiation.deadline,
            config.negotiation.stall,
            config.run.seed,
            self.session,
            package=package,
            admissible=admissible,
        )

    def start(self, start: Outcome | None, now: float) -> SingleTextState:
        state = self.protocol.initial(start)
        source = self.source or ("plan" if start is not None else "neutral")
        self.log.emit(
            "text_start",
            session=self.session,
            source=source,
            text=self.domain.decode(state.text),
            t=now,
        )
        return state

    def is_open(self, state: SingleTextState) -> bool:
        return state.status == "voting"

    def round(self, state: SingleTextState, now: float) -> SingleTextState:
        rnd = state.round
        assert state.proposal is not None
        request = VoteRequest(
            session=self.session,
            round=rnd,
            text_id=state.text_id,
            text=self.domain.decode(state.text),
            proposal=self.domain.decode(state.proposal),
        )
        votes = self._ballot(request, state, now)
        before = state.accepted
        state, events = self.protocol.vote(state, votes)
        if state.accepted > before and self.record is not None:
            self.record.last_change_round = rnd
        self.publish(events, rnd, now)
        return state

    def conclude(self, state: SingleTextState, now: float) -> SingleTextState:
        """Ratification of the final text, logged as the last round's second stage."""
        request = RatifyRequest(
            session=self.session,
            round=state.round,
            text_id=state.text_id,
            text=self.domain.decode(state.text),
        )
        votes = self._ballot(request, state, now)
        state, events = self.protocol.ratify(state, votes)
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
        self, request: VoteRequest | RatifyRequest, state: SingleTextState, now: float
    ) -> dict[str, bool]:
        """Send ``request`` to every government and collect their votes (barrier); a missing
        vote is a forfeit (a rejection). Votes are logged in party-name order."""
        channel, kind = self.channel, request.kind
        present = [p for p in self.parties if p not in channel.absent]
        self.log.emit("request", kind=kind, round=state.round, parties=present, t=now)
        channel.send_all(present, request, state.round)

        def check(sender: str, body: dict[str, Any]) -> bool:
            return rules.vote(sender, body, state, self.session)

        timeout = self.host.config.negotiation.turn_timeout
        votes = channel.collect(kind, set(present), timeout, check)
        for p in self.parties:
            if p not in votes:
                channel.tally.forfeits[p] += 1
                reason = rules.forfeit_reason(p, channel.absent)
                self.log.emit(
                    "forfeit", party=p, round=state.round, stage=kind, reason=reason, t=now
                )
                if reason == "silent" and channel.is_lost(p):
                    channel.mark_absent(p, now)
        return votes
