"""The protocol's shared constants, the error of a malformed body, and the reader that checks
the fields of an untrusted body (every error names the body and the field)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Final, Protocol, TypeVar

from negotiator.io.wire import Codec, WireError
from negotiator.model.stagegame import Move

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


class UnknownKind(MessageError):
    """An event or request of a kind this version does not know: a receiver ignores it
    (docs/protocol.md §2), so that a newer mediator may add kinds."""


class Body(Protocol):
    """What every body class offers: its message type and its wire form."""

    message_type: ClassVar[str]

    def to_wire(self) -> dict[str, Any]: ...


def pack(codec: Codec, body: Body, round_: int = 0) -> bytes:
    """Pack ``body`` as a message of its type from ``codec``'s sender."""
    return codec.pack(body.message_type, body.to_wire(), round_=round_)


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _all_of(items: Iterable[object], kind: type) -> bool:
    """Is every item an instance of ``kind``?"""
    types = set(map(type, items))
    return types <= {kind} or all(issubclass(t, kind) for t in types)


def _numbers(items: Iterable[object]) -> bool:
    """Is every item an int or a float (a bool is not a number here)?"""
    types = set(map(type, items))
    return types <= _NUMBER_TYPES or all(
        issubclass(t, int | float) and not issubclass(t, bool) for t in types
    )


_NUMBER_TYPES = {int, float}


class Reader:
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

    def bad(self, key: str, want: str) -> MessageError:
        got = _type_name(self.body[key])
        return MessageError(f"{self.what}: field {key!r} must be {want}, not {got}")

    def integer(self, key: str) -> int:
        value = self.raw(key)
        if type(value) is not int:  # a bool is not an int
            raise self.bad(key, "an int")
        return value

    def number(self, key: str) -> float:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.bad(key, "a number")
        return float(value)

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.bad(key, "a string")
        return value

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self.bad(key, "true or false")
        return value

    # The checks of collections look at the set of their items' exact types first (one pass in C:
    # a welcome to one of 1,000 parties lists 1,000 names and discounts), and item by item only
    # when a type is not one msgpack decodes to (a subclass, from a body not read off the wire).

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.raw(key)
        if not isinstance(value, dict) or not _all_of(value, str):
            raise self.bad(key, "a map with string keys")
        return value

    def numbers(self, key: str) -> dict[str, float]:
        value = self.mapping(key)
        if not _numbers(value.values()):
            raise self.bad(key, "a map of numbers")
        return {k: float(v) for k, v in value.items()}

    def flags(self, key: str) -> dict[str, bool]:
        value = self.mapping(key)
        if not _all_of(value.values(), bool):
            raise self.bad(key, "a map of true or false")
        return dict(value)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw(key)
        if not isinstance(value, list) or not _all_of(value, str):
            raise self.bad(key, "a list of strings")
        return tuple(value)

    def outcome(self, key: str) -> WireOutcome | None:
        """A wire outcome or null (checked against a domain later)."""
        return self.mapping(key) if self.raw(key) is not None else None

    def move(self, key: str) -> Move:
        value = self.raw(key)
        if value not in ("C", "D"):
            raise MessageError(f"{self.what}: field {key!r} must be 'C' or 'D', not {value!r}")
        return "C" if value == "C" else "D"


T = TypeVar("T")


def by_kind(
    readers: Mapping[str, Callable[[object], T]],
    body: object,
    what: str,
    unknown: type[MessageError] = UnknownKind,
) -> T:
    """``body`` read by the reader its ``kind`` names in ``readers``; a kind not there raises
    ``unknown`` (:class:`UnknownKind`, which receivers of events and requests ignore)."""
    kind = Reader(body, what).text("kind")
    if kind not in readers:
        raise unknown(f"{what}: unknown kind {kind!r}")
    return readers[kind](body)
