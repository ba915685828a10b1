"""Joining and leaving: the hello, the welcomes and their parts (strategy, declaration and
superior specs, the negotiation context), the ready event, errors, the end and heartbeats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from negotiator.io.messages.core import (
    END,
    ERROR,
    EVENT,
    HEARTBEAT,
    HELLO,
    TURN_CODES,
    WELCOME,
    MessageError,
    ParamValue,
    Reader,
)
from negotiator.model.domain import Domain, Utility


@dataclass(frozen=True)
class StrategySpec:
    """A strategy as the config names it: ``{"name", "params"}``."""

    name: str
    params: dict[str, ParamValue] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "strategy spec")
        return cls(r.text("name"), dict(r.mapping("params")) if r.has("params") else {})


@dataclass(frozen=True)
class DeclarationSpec:
    """How a government answers a ``declare`` request: truthfully, or inflated."""

    mode: str = "truthful"
    """``truthful`` or ``exaggerate``."""
    exaggeration: float = 0.0
    """With ``exaggerate``: the fraction every figure is inflated by."""

    def to_wire(self) -> dict[str, Any]:
        return {"mode": self.mode, "exaggeration": self.exaggeration}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "declaration spec")
        return cls(r.text("mode"), r.number("exaggeration"))


@dataclass(frozen=True)
class SuperiorSpec:
    """The superior's ``[superior]`` section, as its welcome carries it."""

    guidance: str
    cofunding: float
    subsidy: float
    budget: float

    def to_wire(self) -> dict[str, Any]:
        return {
            "guidance": self.guidance,
            "cofunding": self.cofunding,
            "subsidy": self.subsidy,
            "budget": self.budget,
        }

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "superior spec")
        return cls(
            r.text("guidance"), r.number("cofunding"), r.number("subsidy"), r.number("budget")
        )


@dataclass(frozen=True)
class NegotiationContext:
    """A government's private negotiation context: its own utility and the public rules only
    (the ``negotiation`` map of a welcome, and the body of a ``renegotiation`` event)."""

    domain: Domain
    utility: Utility
    protocol: str
    deadline: int
    discounts: dict[str, float]
    strategy: StrategySpec
    session: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "domain": self.domain.to_spec(),
            "utility": self.utility.to_spec(),
            "protocol": self.protocol,
            "deadline": self.deadline,
            "discounts": dict(self.discounts),
            "strategy": self.strategy.to_wire(),
            "session": self.session,
        }

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "negotiation context")
        try:
            domain = Domain.from_spec(r.mapping("domain"))
            utility = Utility.from_spec(r.mapping("utility"))
        except (KeyError, TypeError, ValueError) as exc:  # DomainError is a ValueError
            raise MessageError(
                f"negotiation context: a bad domain or utility spec: {exc!r}"
            ) from None
        return cls(
            domain=domain,
            utility=utility,
            protocol=r.text("protocol"),
            deadline=r.integer("deadline"),
            discounts=r.numbers("discounts"),
            strategy=StrategySpec.from_wire(r.raw("strategy")),
            session=r.integer("session"),
        )


@dataclass(frozen=True)
class GovernmentWelcome:
    """A government's welcome: its party, the turn order, the seed and its private contexts."""

    message_type: ClassVar[str] = WELCOME
    party: str
    order: tuple[str, ...]
    seed: int
    negotiation: NegotiationContext | None
    """Its phase-1 context; None when the run has no phase 1."""
    compliance: StrategySpec
    declaration: DeclarationSpec

    def to_wire(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "role": "government",
            "order": list(self.order),
            "seed": self.seed,
            "negotiation": self.negotiation.to_wire() if self.negotiation is not None else None,
            "compliance": self.compliance.to_wire(),
            "declaration": self.declaration.to_wire(),
        }

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "welcome")
        negotiation = r.raw("negotiation")
        return cls(
            party=r.text("party"),
            order=r.texts("order"),
            seed=r.integer("seed"),
            negotiation=(
                NegotiationContext.from_wire(negotiation) if negotiation is not None else None
            ),
            compliance=StrategySpec.from_wire(r.raw("compliance")),
            declaration=DeclarationSpec.from_wire(r.raw("declaration")),
        )


@dataclass(frozen=True)
class SuperiorWelcome:
    """The superior's welcome: its party, the turn order, the seed and its own section."""

    message_type: ClassVar[str] = WELCOME
    party: str
    order: tuple[str, ...]
    seed: int
    superior: SuperiorSpec

    def to_wire(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "role": "superior",
            "order": list(self.order),
            "seed": self.seed,
            "superior": self.superior.to_wire(),
        }

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "welcome")
        return cls(
            r.text("party"),
            r.texts("order"),
            r.integer("seed"),
            SuperiorSpec.from_wire(r.raw("superior")),
        )


Welcome = GovernmentWelcome | SuperiorWelcome


def parse_welcome(body: object) -> Welcome:
    """A welcome of either role."""
    role = Reader(body, "welcome").text("role")
    if role == "superior":
        return SuperiorWelcome.from_wire(body)
    if role == "government":
        return GovernmentWelcome.from_wire(body)
    raise MessageError(f"welcome: unknown role {role!r} (government or superior)")


@dataclass(frozen=True)
class Hello:
    """An agent's first message: its process id and host (the mediator logs them).
    A hello is never refused for its body: a pid that is not an int is read as None."""

    message_type: ClassVar[str] = HELLO
    pid: int | None
    host: str

    def to_wire(self) -> dict[str, Any]:
        return {"pid": self.pid, "host": self.host}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        values = body if isinstance(body, dict) else {}
        pid = values.get("pid")
        return cls(pid if type(pid) is int else None, str(values.get("host", "")))


@dataclass(frozen=True)
class ErrorNotice:
    """The mediator's ``error``: why an action (or a message) was refused. ``turn`` (the rejected
    action's turn, -1 for a ballot) is sent with the codes of :data:`TURN_CODES` only."""

    message_type: ClassVar[str] = ERROR
    code: str
    message: str
    turn: int | None = None

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.code in TURN_CODES:
            body["turn"] = self.turn
        return body

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = Reader(body, "error")
        code = r.text("code")
        turn = r.integer("turn") if code in TURN_CODES and r.has("turn") else None
        return cls(code, r.text("message"), turn)


@dataclass(frozen=True)
class AgentError:
    """An agent's ``error``: handling a message raised; the agent leaves after sending it."""

    message_type: ClassVar[str] = ERROR
    message: str

    def to_wire(self) -> dict[str, Any]:
        return {"message": self.message}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        return cls(Reader(body, "agent error").text("message"))


@dataclass(frozen=True)
class End:
    """The run is over."""

    message_type: ClassVar[str] = END
    status: str = "finished"

    def to_wire(self) -> dict[str, Any]:
        return {"status": self.status}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        return cls(Reader(body, "end").text("status"))


@dataclass(frozen=True)
class Heartbeat:
    """Nothing to say, but alive (an empty body)."""

    message_type: ClassVar[str] = HEARTBEAT

    def to_wire(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        Reader(body, "heartbeat")
        return cls()


@dataclass(frozen=True)
class Ready:
    """An agent's only event: it has set up its strategies (read during the join)."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "ready"

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        kind = Reader(body, "agent event").text("kind")
        if kind != cls.kind:
            raise MessageError(f"agent event: unknown kind {kind!r} (ready)")
        return cls()
