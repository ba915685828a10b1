"""Every message body of the wire protocol as a typed value (docs/protocol.md §5), and the
protocol's shared constants.

Each body is a frozen dataclass with ``to_wire()``, the body as sent (its keys in the order they
have always been sent, its values of the same types: logs and digests depend on it), and the
class method ``from_wire(body)``, which checks an untrusted body and raises
:class:`MessageError` (a :class:`~negotiator.io.wire.WireError`) with a one-line reason when it
does not fit. ``from_wire`` ignores keys it does not know. Outcomes travel as wire outcomes
(issue name → value, docs/protocol.md §6): only ``Domain.encode`` can check one, so they are
checked to be maps here and fully where a domain is at hand. The dispatchers
:func:`parse_from_mediator` and :func:`parse_from_agent` read any body by its message type (and
``kind``).

Longer than 400 lines on purpose: it is the one schema of every body both sides send, and
splitting it would put the halves of one exchange (a request and its answer) in two places.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal, Protocol, Self

from negotiator.io.wire import Codec, WireError
from negotiator.model.domain import Domain, Utility
from negotiator.model.stagegame import Move, StageGame

#: Seconds between heartbeats on an otherwise quiet connection (both ways).
HEARTBEAT_S: Final = 1.0

# message types (the header's ``type``)
HELLO: Final = "hello"
WELCOME: Final = "welcome"
REQUEST: Final = "request"
ACTION: Final = "action"
ERROR: Final = "error"
EVENT: Final = "event"
END: Final = "end"
HEARTBEAT: Final = "heartbeat"

# request kinds
DECLARE: Final = "declare"
PLAN: Final = "plan"
SAOP_TURN: Final = "saop_turn"
VOTE: Final = "vote"
RATIFY: Final = "ratify"
COMPLIANCE: Final = "compliance"

# error codes (mediator → agent)
INVALID_ACTION: Final = "invalid_action"
FORFEITED: Final = "forfeited"
STALE: Final = "stale"
MALFORMED: Final = "malformed"
SENDER: Final = "sender"
#: The error codes that carry the ``turn`` of the rejected action.
TURN_CODES: Final = frozenset({INVALID_ACTION, FORFEITED})

WireOutcome = dict[str, Any]
"""An outcome on the wire: issue name → label, bool or share map (docs/protocol.md §6)."""
ParamValue = float | int | str | bool
"""A strategy parameter's value, as written in the config."""


class MessageError(WireError):
    """A message body that does not fit its schema."""


class Body(Protocol):
    """What every body class offers: its message type and its wire form."""

    message_type: ClassVar[str]

    def to_wire(self) -> dict[str, Any]: ...


def pack(codec: Codec, body: Body, round_: int = 0) -> bytes:
    """Pack ``body`` as a message of its type from ``codec``'s sender."""
    return codec.pack(body.message_type, body.to_wire(), round_=round_)


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


class _Reader:
    """Reads the fields of one untrusted body; every error names the body and the field."""

    def __init__(self, body: object, what: str) -> None:
        if not isinstance(body, dict):
            raise MessageError(f"{what}: the body must be a map, not {_type_name(body)}")
        self.body: dict[Any, Any] = body
        self.what = what

    def has(self, key: str) -> bool:
        """Whether ``key`` is present and not null."""
        return self.body.get(key) is not None

    def raw(self, key: str) -> Any:
        if key not in self.body:
            raise MessageError(f"{self.what}: field {key!r} is missing")
        return self.body[key]

    def _bad(self, key: str, want: str) -> MessageError:
        got = _type_name(self.body[key])
        return MessageError(f"{self.what}: field {key!r} must be {want}, not {got}")

    def integer(self, key: str) -> int:
        value = self.raw(key)
        if type(value) is not int:  # a bool is not an int
            raise self._bad(key, "an int")
        return value

    def number(self, key: str) -> float:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._bad(key, "a number")
        return float(value)

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str):
            raise self._bad(key, "a string")
        return value

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self._bad(key, "true or false")
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.raw(key)
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise self._bad(key, "a map with string keys")
        return value

    def numbers(self, key: str) -> dict[str, float]:
        value = self.mapping(key)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()):
            raise self._bad(key, "a map of numbers")
        return {k: float(v) for k, v in value.items()}

    def flags(self, key: str) -> dict[str, bool]:
        value = self.mapping(key)
        if not all(isinstance(v, bool) for v in value.values()):
            raise self._bad(key, "a map of true or false")
        return dict(value)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._bad(key, "a list of strings")
        return tuple(value)

    def outcome(self, key: str) -> WireOutcome | None:
        """A wire outcome or null (checked against a domain later)."""
        return self.mapping(key) if self.raw(key) is not None else None

    def move(self, key: str) -> Move:
        value = self.raw(key)
        if value not in ("C", "D"):
            raise MessageError(f"{self.what}: field {key!r} must be 'C' or 'D', not {value!r}")
        return "C" if value == "C" else "D"


# -- the parts of a welcome -----------------------------------------------------------------------


@dataclass(frozen=True)
class StrategySpec:
    """A strategy as the config names it: ``{"name", "params"}``."""

    name: str
    params: dict[str, ParamValue] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        r = _Reader(body, "strategy spec")
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
        r = _Reader(body, "declaration spec")
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
        r = _Reader(body, "superior spec")
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
        r = _Reader(body, "negotiation context")
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


def _stage_game(r: _Reader) -> StageGame:
    try:
        return StageGame.from_spec(r.mapping("game"))
    except TypeError as exc:  # a missing or unexpected field
        raise MessageError(f"{r.what}: field 'game' is not a stage game: {exc}") from None


# -- welcome, hello, errors, end, heartbeat -------------------------------------------------------


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
        r = _Reader(body, "welcome")
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
        r = _Reader(body, "welcome")
        return cls(
            r.text("party"),
            r.texts("order"),
            r.integer("seed"),
            SuperiorSpec.from_wire(r.raw("superior")),
        )


Welcome = GovernmentWelcome | SuperiorWelcome


def parse_welcome(body: object) -> Welcome:
    """A welcome of either role."""
    role = _Reader(body, "welcome").text("role")
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
        r = _Reader(body, "error")
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
        return cls(_Reader(body, "agent error").text("message"))


@dataclass(frozen=True)
class End:
    """The run is over."""

    message_type: ClassVar[str] = END
    status: str = "finished"

    def to_wire(self) -> dict[str, Any]:
        return {"status": self.status}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        return cls(_Reader(body, "end").text("status"))


@dataclass(frozen=True)
class Heartbeat:
    """Nothing to say, but alive (an empty body)."""

    message_type: ClassVar[str] = HEARTBEAT

    def to_wire(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        _Reader(body, "heartbeat")
        return cls()


# -- events (mediator → agent) ---------------------------------------------------------------------


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
        r = _Reader(body, "declarations event")
        published = r.mapping("resources")
        return cls(
            r.flag("verified"),
            {p: _Reader(published, "declarations event").numbers(p) for p in published},
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
        r = _Reader(body, "offer event")
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
        r = _Reader(body, "accept event")
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
        r = _Reader(body, "votes event")
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
        r = _Reader(body, "negotiation_end event")
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
        r = _Reader(body, "stage_game event")
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
        r = _Reader(body, "rotation event")
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
        r = _Reader(body, "period_report event")
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
    kind = _Reader(body, "event").text("kind")
    if kind not in _EVENTS:
        raise MessageError(f"event: unknown kind {kind!r}")
    return _EVENTS[kind](body)


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
        r = _Reader(body, "held event")
        return cls(r.integer("round"), parse_event(r.raw("body")))


@dataclass(frozen=True)
class Ready:
    """An agent's only event: it has set up its strategies (read during the join)."""

    message_type: ClassVar[str] = EVENT
    kind: ClassVar[str] = "ready"

    def to_wire(self) -> dict[str, Any]:
        return {"kind": self.kind}

    @classmethod
    def from_wire(cls, body: object) -> Self:
        kind = _Reader(body, "agent event").text("kind")
        if kind != cls.kind:
            raise MessageError(f"agent event: unknown kind {kind!r} (ready)")
        return cls()


# -- requests (mediator → agent) -------------------------------------------------------------------
# Every request may carry the events held back for its recipient (``events``, sent last and only
# when there are some).


def _with_events(body: dict[str, Any], events: tuple[HeldEvent, ...]) -> dict[str, Any]:
    if events:
        body["events"] = [e.to_wire() for e in events]
    return body


def _events(r: _Reader) -> tuple[HeldEvent, ...]:
    if not r.has("events"):
        return ()
    held = r.raw("events")
    if not isinstance(held, list):
        raise r._bad("events", "a list")
    return tuple(HeldEvent.from_wire(e) for e in held)


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
        r = _Reader(body, "declare request")
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
        r = _Reader(body, "planning brief")
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
        r = _Reader(body, "plan request")
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
        r = _Reader(body, "saop_turn request")
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
        r = _Reader(body, "vote request")
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
        r = _Reader(body, "ratify request")
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
        r = _Reader(body, "compliance request")
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
    kind = _Reader(body, "request").text("kind")
    if kind not in _REQUESTS:
        raise MessageError(f"request: unknown kind {kind!r}")
    return _REQUESTS[kind](body)


# -- actions (agent → mediator) --------------------------------------------------------------------
# The mediator's protocols judge an action (its turn, session, outcome); ``from_wire`` only checks
# that the body has the action's shape.


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
        r = _Reader(body, "offer action")
        return cls(r.integer("turn"), r.integer("session"), r.mapping("outcome"))


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
        r = _Reader(body, "accept action")
        return cls(r.integer("turn"), r.integer("session"))


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
        r = _Reader(body, "end action")
        return cls(r.integer("turn"), r.integer("session"))


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
        r = _Reader(body, "vote action")
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
        r = _Reader(body, "move action")
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
        return cls(_Reader(body, "declaration action").numbers("resources"))


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
        r = _Reader(body, "plan action")
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
    kind = _Reader(body, "action").text("kind")
    if kind not in _ACTIONS:
        raise MessageError(f"action: unknown kind {kind!r}")
    return _ACTIONS[kind](body)


# -- by message type -------------------------------------------------------------------------------

FromMediator = Welcome | Request | Event | ErrorNotice | End | Heartbeat
FromAgent = Hello | Action | Ready | AgentError | Heartbeat

_FROM_MEDIATOR: Mapping[str, Callable[[object], FromMediator]] = {
    WELCOME: parse_welcome,
    REQUEST: parse_request,
    EVENT: parse_event,
    ERROR: ErrorNotice.from_wire,
    END: End.from_wire,
    HEARTBEAT: Heartbeat.from_wire,
}
_FROM_AGENT: Mapping[str, Callable[[object], FromAgent]] = {
    HELLO: Hello.from_wire,
    ACTION: parse_action,
    EVENT: Ready.from_wire,
    ERROR: AgentError.from_wire,
    HEARTBEAT: Heartbeat.from_wire,
}


def parse_from_mediator(type_: str, body: object) -> FromMediator:
    """The body of a message of type ``type_`` the mediator sends."""
    if type_ not in _FROM_MEDIATOR:
        raise MessageError(f"the mediator sends no {type_!r} message")
    return _FROM_MEDIATOR[type_](body)


def parse_from_agent(type_: str, body: object) -> FromAgent:
    """The body of a message of type ``type_`` an agent sends."""
    if type_ not in _FROM_AGENT:
        raise MessageError(f"an agent sends no {type_!r} message")
    return _FROM_AGENT[type_](body)
