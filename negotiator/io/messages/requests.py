"""The requests the mediator sends (docs/protocol.md §5, ``request``); every request may carry
the events held back for its recipient (``events``, sent last and only when there are some)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from negotiator.io.messages.core import (
    COMPLIANCE,
    DECLARE,
    PLAN,
    RATIFY,
    REQUEST,
    SAOP_TURN,
    VOTE,
    Reader,
    UnknownKind,
    WireOutcome,
    by_kind,
)
from negotiator.io.messages.events import HeldEvent


def _with_events(body: dict[str, Any], events: tuple[HeldEvent, ...]) -> dict[str, Any]:
    if events:
        body["events"] = [e.to_wire() for e in events]
    return body


def _events(r: Reader) -> tuple[HeldEvent, ...]:
    if not r.has("events"):
        return ()
    held = r.raw("events")
    if not isinstance(held, list):
        raise r.bad("events", "a list")
    known = []
    for event in held:  # one of a kind this version does not know is left out
        with contextlib.suppress(UnknownKind):
            known.append(HeldEvent.from_wire(event))
    return tuple(known)


@dataclass(frozen=True)
class DeclareRequest:
    """Declare own data: ``truth`` is the government's own true endowment."""

    message_type: ClassVar[str] = REQUEST
    kind: ClassVar[str] = DECLARE
    truth: dict[str, float]
    fields: tuple[str, ...] = ("resources",)
    events: tuple[HeldEvent, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        body = {"kind": self.kind, "fields": list(self.fields), "truth": dict(self.truth)}
        return _with_events(body, self.events)

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "declare request")
        return cls(r.numbers("truth"), r.texts("fields"), _events(r))


@dataclass(frozen=True)
class PlanningBrief:
    """The superior's planning brief: the asymmetric-Nash outcome and the bargaining weights."""

    asymmetric_nash: WireOutcome | None
    power: dict[str, float]

    def to_wire(self) -> dict[str, Any]:
        return {"asymmetric_nash": self.asymmetric_nash, "power": dict(self.power)}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "planning brief")
        return cls(r.outcome("asymmetric_nash"), r.numbers("power"))


@dataclass(frozen=True)
class PlanRequest:
    """The superior's request: decide what to table, given the brief."""

    message_type: ClassVar[str] = REQUEST
    kind: ClassVar[str] = PLAN
    brief: PlanningBrief
    events: tuple[HeldEvent, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return _with_events({"kind": self.kind, "brief": self.brief.to_wire()}, self.events)

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "plan request")
        return cls(PlanningBrief.from_wire(r.raw("brief")), _events(r))


@dataclass(frozen=True)
class SaopTurnRequest:
    """A SAOP turn. Who tabled ``standing`` is told under public transparency (``proposer``);
    under private only whether it is the recipient's own offer (``own_offer``, not None, sent
    instead of ``proposer``)."""

    message_type: ClassVar[str] = REQUEST
    kind: ClassVar[str] = SAOP_TURN
    session: int
    round: int
    turn: int
    deadline: int
    standing: WireOutcome | None
    proposer: str | None = None
    own_offer: bool | None = None
    events: tuple[HeldEvent, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "session": self.session,
            "round": self.round,
            "turn": self.turn,
            "deadline": self.deadline,
            "standing": self.standing,
        }
        if self.own_offer is None:
            body["proposer"] = self.proposer
        else:
            body["own_offer"] = self.own_offer
        return _with_events(body, self.events)

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "saop_turn request")
        private = "own_offer" in r.body
        return cls(
            session=r.integer("session"),
            round=r.integer("round"),
            turn=r.integer("turn"),
            deadline=r.integer("deadline"),
            standing=r.outcome("standing"),
            proposer=r.text("proposer") if r.has("proposer") else None,
            own_offer=r.flag("own_offer") if private else None,
            events=_events(r),
        )


@dataclass(frozen=True)
class VoteRequest:
    """A single-text round: vote on ``proposal`` against ``text``."""

    message_type: ClassVar[str] = REQUEST
    kind: ClassVar[str] = VOTE
    session: int
    round: int
    text_id: str
    text: WireOutcome
    proposal: WireOutcome
    events: tuple[HeldEvent, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        body = {
            "kind": self.kind,
            "session": self.session,
            "round": self.round,
            "text_id": self.text_id,
            "text": self.text,
            "proposal": self.proposal,
        }
        return _with_events(body, self.events)

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "vote request")
        return cls(
            r.integer("session"),
            r.integer("round"),
            r.text("text_id"),
            r.mapping("text"),
            r.mapping("proposal"),
            _events(r),
        )


@dataclass(frozen=True)
class RatifyRequest:
    """The single text's last step: ratify the final ``text``."""

    message_type: ClassVar[str] = REQUEST
    kind: ClassVar[str] = RATIFY
    session: int
    round: int
    text_id: str
    text: WireOutcome
    events: tuple[HeldEvent, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        body = {
            "kind": self.kind,
            "session": self.session,
            "round": self.round,
            "text_id": self.text_id,
            "text": self.text,
        }
        return _with_events(body, self.events)

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "ratify request")
        return cls(
            r.integer("session"),
            r.integer("round"),
            r.text("text_id"),
            r.mapping("text"),
            _events(r),
        )


@dataclass(frozen=True)
class ComplianceRequest:
    """Phase 2: comply or defect in ``period``."""

    message_type: ClassVar[str] = REQUEST
    kind: ClassVar[str] = COMPLIANCE
    period: int
    events: tuple[HeldEvent, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return _with_events({"kind": self.kind, "period": self.period}, self.events)

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "compliance request")
        return cls(r.integer("period"), _events(r))


Request = (
    DeclareRequest | PlanRequest | SaopTurnRequest | VoteRequest | RatifyRequest | ComplianceRequest
)
_REQUESTS: dict[str, Callable[[object], Request]] = {
    cls.kind: cls.from_wire
    for cls in (
        DeclareRequest,
        PlanRequest,
        SaopTurnRequest,
        VoteRequest,
        RatifyRequest,
        ComplianceRequest,
    )
}


def parse_request(body: object) -> Request:
    """A request, by its ``kind``."""
    return by_kind(_REQUESTS, body, "request")
