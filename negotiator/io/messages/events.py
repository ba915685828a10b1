"""The events the mediator sends (docs/protocol.md §5, ``event``), and an event held back for a
party's next request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from negotiator.io.messages.core import (
    EVENT,
    MessageError,
    Reader,
    WireOutcome,
    by_kind,
)
from negotiator.io.messages.session import NegotiationContext, StrategySpec
from negotiator.model.stagegame import Move, StageGame


def _stage_game(r: Reader) -> StageGame:
    try:
        return StageGame.from_spec(r.mapping("game"))
    except TypeError as exc:  # a missing or unexpected field
        raise MessageError(f"{r.what}: field 'game' is not a stage game: {exc}") from None


@dataclass(frozen=True)
class DeclarationsEvent:
    """The published declarations (claims under ``public``, verified figures under ``audited``)."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "declarations"
    verified: bool
    resources: dict[str, dict[str, float]]

    def to_wire(self) -> dict[str, Any]:
        resources = {p: dict(r) for p, r in self.resources.items()}
        return {"kind": self.kind, "verified": self.verified, "resources": resources}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "declarations event")
        published = r.mapping("resources")
        return cls(
            r.flag("verified"),
            {p: Reader(published, "declarations event").numbers(p) for p in published},
        )


@dataclass(frozen=True)
class OfferEvent:
    """Another party's offer (published under ``public`` and ``audited``)."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "offer"
    party: str
    round: int
    turn: int
    outcome: WireOutcome

    def to_wire(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "party": self.party,
            "round": self.round,
            "turn": self.turn,
            "outcome": self.outcome,
        }

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "offer event")
        return cls(r.text("party"), r.integer("round"), r.integer("turn"), r.mapping("outcome"))


@dataclass(frozen=True)
class AcceptEvent:
    """Another party's acceptance (published under ``public`` and ``audited``)."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "accept"
    party: str
    round: int
    turn: int

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "party": self.party, "round": self.round, "turn": self.turn}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "accept event")
        return cls(r.text("party"), r.integer("round"), r.integer("turn"))


@dataclass(frozen=True)
class VotesEvent:
    """A single-text round's votes (published under ``public`` and ``audited``)."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "votes"
    round: int
    votes: dict[str, bool]
    accepted: bool

    def to_wire(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "round": self.round,
            "votes": dict(self.votes),
            "accepted": self.accepted,
        }

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "votes event")
        return cls(r.integer("round"), r.flags("votes"), r.flag("accepted"))


@dataclass(frozen=True)
class NegotiationEndEvent:
    """A negotiation (phase 1 or a renegotiation) is over."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "negotiation_end"
    session: int
    status: str
    agreement: WireOutcome | None
    round: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "session": self.session,
            "status": self.status,
            "agreement": self.agreement,
            "round": self.round,
        }

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "negotiation_end event")
        return cls(
            r.integer("session"), r.text("status"), r.outcome("agreement"), r.integer("round")
        )


@dataclass(frozen=True)
class RenegotiationEvent:
    """The contract is reopened: the government's new negotiation context."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "renegotiation"
    context: NegotiationContext

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.context.to_wire()}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        return cls(NegotiationContext.from_wire(body))


@dataclass(frozen=True)
class StageGameEvent:
    """The government's phase-2 game and the terms in force; ``fresh_start``: a new contract
    begins and past conduct is forgiven (sent only when true)."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "stage_game"
    game: StageGame
    periods: int
    fresh_start: bool = False

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "game": self.game.to_spec(),
            "periods": self.periods,
        }
        if self.fresh_start:
            body["fresh_start"] = True
        return body

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "stage_game event")
        fresh = r.flag("fresh_start") if r.has("fresh_start") else False
        return cls(_stage_game(r), r.integer("periods"), fresh)


@dataclass(frozen=True)
class RotationEvent:
    """The government's official was replaced: its new game, and its new compliance strategy
    (None: the same one, started afresh)."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "rotation"
    compliance: StrategySpec | None
    game: StageGame

    def to_wire(self) -> dict[str, Any]:
        compliance = self.compliance.to_wire() if self.compliance is not None else None
        return {"kind": self.kind, "compliance": compliance, "game": self.game.to_spec()}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "rotation event")
        compliance = r.raw("compliance")
        spec = StrategySpec.from_wire(compliance) if compliance is not None else None
        return cls(spec, _stage_game(r))


@dataclass(frozen=True)
class PeriodReport:
    """A ``period_report`` event: what a government is told after a period. The optional
    figures are sent only when they are not None."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "period_report"
    period: int
    my_move: Move
    payoff: float
    fines_paid: float = 0.0
    fines_received: float = 0.0
    subsidy: float = 0.0
    incident_cost: float = 0.0
    next_fine: float | None = None
    """Its own fine for its next detected offence (graduated sanctions)."""
    detected: tuple[str, ...] | None = None
    """Published detected defectors (None under ``private``)."""
    peer_fine: float | None = None
    """Where detections are published: the others' mean fine for their next offence."""
    budget_left: float | None = None
    """Where detections are published: the superior's subsidy budget left."""

    @property
    def stage_plus_noise(self) -> float:
        """The realised payoff without the transfers: stage payoff + market noise."""
        return (
            self.payoff + self.fines_paid - self.fines_received - self.subsidy + self.incident_cost
        )

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "period": self.period,
            "my_move": self.my_move,
            "payoff": self.payoff,
            "fines_paid": self.fines_paid,
            "fines_received": self.fines_received,
            "subsidy": self.subsidy,
            "incident_cost": self.incident_cost,
        }
        if self.next_fine is not None:
            body["next_fine"] = self.next_fine
        if self.detected is not None:
            body["detected"] = list(self.detected)
        if self.peer_fine is not None:
            body["peer_fine"] = self.peer_fine
        if self.budget_left is not None:
            body["budget_left"] = self.budget_left
        return body

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "period_report event")
        return cls(
            period=r.integer("period"),
            my_move=r.move("my_move"),
            payoff=r.number("payoff"),
            fines_paid=r.number("fines_paid"),
            fines_received=r.number("fines_received"),
            subsidy=r.number("subsidy"),
            incident_cost=r.number("incident_cost"),
            next_fine=r.number("next_fine") if r.has("next_fine") else None,
            detected=r.texts("detected") if r.has("detected") else None,
            peer_fine=r.number("peer_fine") if r.has("peer_fine") else None,
            budget_left=r.number("budget_left") if r.has("budget_left") else None,
        )


Event = (
    DeclarationsEvent
    | OfferEvent
    | AcceptEvent
    | VotesEvent
    | NegotiationEndEvent
    | RenegotiationEvent
    | StageGameEvent
    | RotationEvent
    | PeriodReport
)
_EVENTS: dict[str, Callable[[object], Event]] = {
    cls.kind: cls.from_wire
    for cls in (
        DeclarationsEvent,
        OfferEvent,
        AcceptEvent,
        VotesEvent,
        NegotiationEndEvent,
        RenegotiationEvent,
        StageGameEvent,
        RotationEvent,
        PeriodReport,
    )
}


def parse_event(body: object) -> Event:
    """An event the mediator sends, by its ``kind``."""
    return by_kind(_EVENTS, body, "event")


@dataclass(frozen=True)
class HeldEvent:
    """An event held back for a party and delivered inside its next request, with the header
    ``round`` it would have had."""

    round: int
    event: Event

    def to_wire(self) -> dict[str, Any]:
        return {"round": self.round, "body": self.event.to_wire()}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "held event")
        return cls(r.integer("round"), parse_event(r.raw("body")))
