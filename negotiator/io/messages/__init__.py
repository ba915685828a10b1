"""Every message body of the wire protocol as a typed value (docs/protocol.md §5), and the
protocol's shared constants: the one schema both the mediator and the agents use.

Each body is a frozen dataclass with ``to_wire()``, the body as sent (its keys in the order they
have always been sent, its values of the same types: logs and digests depend on it), and the
class method ``from_wire(body)``, which checks an untrusted body and raises
:class:`MessageError` (a :class:`~negotiator.io.wire.WireError`) with a one-line reason when it
does not fit. ``from_wire`` ignores keys it does not know. Outcomes travel as wire outcomes
(issue name → value, docs/protocol.md §6): only ``Domain.encode`` can check one, so they are
checked to be maps here and fully where a domain is at hand.

The modules: :mod:`.core` (constants, :class:`MessageError`, :func:`pack`), :mod:`.session`
(hello, welcomes, ready, errors, end, heartbeat), :mod:`.events`, :mod:`.requests` and
:mod:`.actions`. Import everything from here; :func:`parse_from_mediator` and
:func:`parse_from_agent` read any body by its message type (and ``kind``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from negotiator.io.messages.actions import (
    AcceptAction,
    Action,
    DeclarationAction,
    EndAction,
    MoveAction,
    OfferAction,
    PlanAction,
    VoteAction,
    parse_action,
)
from negotiator.io.messages.core import (
    ACTION,
    COMPLIANCE,
    DECLARE,
    END,
    ERROR,
    EVENT,
    FORFEITED,
    HEARTBEAT,
    HEARTBEAT_S,
    HELLO,
    INVALID_ACTION,
    MALFORMED,
    PLAN,
    RATIFY,
    REQUEST,
    SAOP_TURN,
    SENDER,
    STALE,
    TURN_CODES,
    VOTE,
    WELCOME,
    Body,
    MessageError,
    ParamValue,
    UnknownKind,
    WireOutcome,
    pack,
)
from negotiator.io.messages.events import (
    AcceptEvent,
    DeclarationsEvent,
    Event,
    HeldEvent,
    NegotiationEndEvent,
    OfferEvent,
    PeriodReport,
    RenegotiationEvent,
    RotationEvent,
    StageGameEvent,
    VotesEvent,
    parse_event,
)
from negotiator.io.messages.requests import (
    ComplianceRequest,
    DeclareRequest,
    PlanningBrief,
    PlanRequest,
    RatifyRequest,
    Request,
    SaopTurnRequest,
    VoteRequest,
    parse_request,
)
from negotiator.io.messages.session import (
    AgentError,
    DeclarationSpec,
    End,
    ErrorNotice,
    GovernmentWelcome,
    Heartbeat,
    Hello,
    NegotiationContext,
    Ready,
    StrategySpec,
    SuperiorSpec,
    SuperiorWelcome,
    Welcome,
    parse_welcome,
)

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


__all__ = [
    "ACTION",
    "COMPLIANCE",
    "DECLARE",
    "END",
    "ERROR",
    "EVENT",
    "FORFEITED",
    "HEARTBEAT",
    "HEARTBEAT_S",
    "HELLO",
    "INVALID_ACTION",
    "MALFORMED",
    "PLAN",
    "RATIFY",
    "REQUEST",
    "SAOP_TURN",
    "SENDER",
    "STALE",
    "TURN_CODES",
    "VOTE",
    "WELCOME",
    "AcceptAction",
    "AcceptEvent",
    "Action",
    "AgentError",
    "Body",
    "ComplianceRequest",
    "DeclarationAction",
    "DeclarationSpec",
    "DeclarationsEvent",
    "DeclareRequest",
    "End",
    "EndAction",
    "ErrorNotice",
    "Event",
    "FromAgent",
    "FromMediator",
    "GovernmentWelcome",
    "Heartbeat",
    "HeldEvent",
    "Hello",
    "MessageError",
    "MoveAction",
    "NegotiationContext",
    "NegotiationEndEvent",
    "OfferAction",
    "OfferEvent",
    "ParamValue",
    "PeriodReport",
    "PlanAction",
    "PlanRequest",
    "PlanningBrief",
    "RatifyRequest",
    "Ready",
    "RenegotiationEvent",
    "Request",
    "RotationEvent",
    "SaopTurnRequest",
    "StageGameEvent",
    "StrategySpec",
    "SuperiorSpec",
    "SuperiorWelcome",
    "UnknownKind",
    "VoteAction",
    "VoteRequest",
    "VotesEvent",
    "Welcome",
    "WireOutcome",
    "pack",
    "parse_action",
    "parse_event",
    "parse_from_agent",
    "parse_from_mediator",
    "parse_request",
    "parse_welcome",
]
