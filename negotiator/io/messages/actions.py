"""The actions agents send (docs/protocol.md §5, ``action``). The mediator's protocols judge an
action (its turn, its session, its outcome); ``from_wire`` only checks that the body has the
action's shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

from negotiator.io.messages.core import ACTION, MessageError, Reader, WireOutcome, by_kind
from negotiator.model.stagegame import Move


def _session(r: Reader) -> int:
    """A SAOP action's ``session``: an action without one counts as session 0 (docs/protocol.md
    §9)."""
    return r.integer("session") if r.has("session") else 0


@dataclass(frozen=True)
class OfferAction:
    """SAOP: reject the standing offer and table ``outcome``."""

    message_type: ClassVar[str] = ACTION
    kind: ClassVar[str] = "offer"
    turn: int
    session: int
    outcome: WireOutcome

    def to_wire(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "turn": self.turn,
            "session": self.session,
            "outcome": self.outcome,
        }

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "offer action")
        return cls(r.integer("turn"), _session(r), r.mapping("outcome"))


@dataclass(frozen=True)
class AcceptAction:
    """SAOP: accept the standing offer."""

    message_type: ClassVar[str] = ACTION
    kind: ClassVar[str] = "accept"
    turn: int
    session: int

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "turn": self.turn, "session": self.session}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "accept action")
        return cls(r.integer("turn"), _session(r))


@dataclass(frozen=True)
class EndAction:
    """SAOP: walk away."""

    message_type: ClassVar[str] = ACTION
    kind: ClassVar[str] = "end"
    turn: int
    session: int

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "turn": self.turn, "session": self.session}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "end action")
        return cls(r.integer("turn"), _session(r))


@dataclass(frozen=True)
class VoteAction:
    """A vote (``kind`` ``vote``) or a ratification (``ratify``) on the request's text;
    ``voter``, if not None, must be the sender (sent only when not None)."""

    message_type: ClassVar[str] = ACTION
    kind: Literal["vote", "ratify"]
    accept: bool
    session: int
    round: int
    text_id: str
    voter: str | None = None

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "accept": self.accept,
            "session": self.session,
            "round": self.round,
            "text_id": self.text_id,
        }
        if self.voter is not None:
            body["voter"] = self.voter
        return body

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "vote action")
        kind = r.text("kind")
        if kind not in ("vote", "ratify"):
            raise MessageError(f"vote action: unknown kind {kind!r} (vote or ratify)")
        return cls(
            "vote" if kind == "vote" else "ratify",
            r.flag("accept"),
            r.integer("session"),
            r.integer("round"),
            r.text("text_id"),
            r.text("voter") if r.has("voter") else None,
        )


@dataclass(frozen=True)
class MoveAction:
    """Phase 2: comply (``C``) or defect (``D``) in ``period``."""

    message_type: ClassVar[str] = ACTION
    kind: ClassVar[str] = "move"
    period: int
    move: Move

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "period": self.period, "move": self.move}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "move action")
        return cls(r.integer("period"), r.move("move"))


@dataclass(frozen=True)
class DeclarationAction:
    """A government's declared endowment."""

    message_type: ClassVar[str] = ACTION
    kind: ClassVar[str] = "declaration"
    resources: dict[str, float]

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind, "resources": dict(self.resources)}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        return cls(Reader(body, "declaration action").numbers("resources"))


@dataclass(frozen=True)
class PlanAction:
    """The superior's decision: the plan to table (None: none) and the money it commits (a
    missing figure counts as 0)."""

    message_type: ClassVar[str] = ACTION
    kind: ClassVar[str] = "plan"
    text: WireOutcome | None
    cofunding: float = 0.0
    subsidy: float = 0.0
    budget: float = 0.0

    def to_wire(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "cofunding": self.cofunding,
            "subsidy": self.subsidy,
            "budget": self.budget,
        }

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "plan action")
        return cls(
            r.outcome("text") if r.has("text") else None,
            *(r.number(k) if r.has(k) else 0.0 for k in ("cofunding", "subsidy", "budget")),
        )


Action = (
    OfferAction
    | AcceptAction
    | EndAction
    | VoteAction
    | MoveAction
    | DeclarationAction
    | PlanAction
)
_ACTIONS: dict[str, Callable[[object], Action]] = {
    "offer": OfferAction.from_wire,
    "accept": AcceptAction.from_wire,
    "end": EndAction.from_wire,
    "vote": VoteAction.from_wire,
    "ratify": VoteAction.from_wire,
    "move": MoveAction.from_wire,
    "declaration": DeclarationAction.from_wire,
    "plan": PlanAction.from_wire,
}


def parse_action(body: object) -> Action:
    """An action, by its ``kind``."""
    return by_kind(_ACTIONS, body, "action", MessageError)
