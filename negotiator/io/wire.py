"""The one message codec: build, pack, unpack and check every message on the bus.

A message is a msgpack map ``{v, type, run, round, sender, seq, body}`` (see docs/protocol.md).
Packers and unpackers are built once per codec, not per message. Everything that arrives is
untrusted: :meth:`Codec.unpack` checks the header's types and raises :class:`WireError` with a
one-line reason for anything malformed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import msgpack

from negotiator import PROTOCOL_VERSION

MESSAGE_TYPES = frozenset(
    {"hello", "welcome", "request", "action", "error", "event", "end", "heartbeat"}
)
#: Default bound on one message's size (bytes); the mediator also sets ZMQ_MAXMSGSIZE to it.
MAX_MESSAGE_BYTES = 1 << 20

_HEADER_TYPES: dict[str, type | tuple[type, ...]] = {
    "v": int,
    "type": str,
    "run": str,
    "round": int,
    "sender": str,
    "seq": int,
    "body": dict,
}


_HEADER_KEYS = frozenset(_HEADER_TYPES)
_MAP7 = b"\x87"  # msgpack fixmap of 7 entries (the header's six start with 0x86)
_BODY_KEY = msgpack.packb("body")


class WireError(ValueError):
    """A message could not be decoded or its header is malformed."""


class Message(NamedTuple):
    """One message. ``round`` is the protocol round it belongs to (0 outside rounds).
    (A named tuple: built for every message received, it must be cheap to make.)"""

    type: str
    sender: str
    body: dict[str, Any]
    run: str = ""
    round: int = 0
    seq: int = 0
    v: int = PROTOCOL_VERSION


class Codec:
    """Packs and unpacks :class:`Message` values; numbers each sent message (``seq``)."""

    def __init__(self, sender: str, run: str = "", max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.sender = sender
        self.run = run
        self.max_bytes = max_bytes
        self._seq = 0
        self._packer = msgpack.Packer(use_bin_type=True)

    @property
    def seq(self) -> int:
        """The number of the last message packed (0: none yet)."""
        return self._seq

    def continue_after(self, seq: int) -> None:
        """Number the next message after ``seq`` if that is later than this codec's own count
        (a branch's live agent continues the numbering of the replayed one)."""
        self._seq = max(self._seq, seq)

    def pack(self, type_: str, body: dict[str, Any] | None = None, *, round_: int = 0) -> bytes:
        """Pack a message from this sender; ``seq`` increases by one per message."""
        message = self._header(type_, round_)
        message["body"] = body or {}
        data: bytes = self._packer.pack(message)
        return data

    def pack_same(
        self, type_: str, body: dict[str, Any], count: int, *, round_: int = 0
    ) -> list[bytes]:
        """``count`` messages with the same body (a broadcast), each with its own ``seq``: the
        body is packed once. Byte for byte what ``count`` calls of :meth:`pack` return."""
        tail = _BODY_KEY + self._packer.pack(body)
        # a map of the header's six entries, made a map of seven by the body appended
        return [
            _MAP7 + self._packer.pack(self._header(type_, round_))[1:] + tail for _ in range(count)
        ]

    def _header(self, type_: str, round_: int) -> dict[str, Any]:
        """The next message's header (its ``seq`` taken), the fields in wire order."""
        if type_ not in MESSAGE_TYPES:
            raise ValueError(f"unknown message type {type_!r}")
        self._seq += 1
        return {
            "v": PROTOCOL_VERSION,
            "type": type_,
            "run": self.run,
            "round": round_,
            "sender": self.sender,
            "seq": self._seq,
        }

    def unpack(self, data: bytes) -> Message:
        """Decode and check one message; :class:`WireError` if it is not a valid message."""
        if len(data) > self.max_bytes:
            raise WireError(f"message of {len(data)} bytes exceeds the limit of {self.max_bytes}")
        try:
            obj = msgpack.unpackb(data, raw=False, strict_map_key=True)
        except Exception as exc:  # msgpack raises several unrelated types
            raise WireError(f"not msgpack: {type(exc).__name__}") from None
        if not isinstance(obj, dict):
            raise WireError("a message must be a map")
        if obj.keys() != _HEADER_KEYS:
            for key in _HEADER_TYPES:
                if key not in obj:
                    raise WireError(f"header field {key!r} is missing")
            extra = set(obj) - _HEADER_KEYS
            raise WireError(f"unknown header field(s) {sorted(map(str, extra))}")
        v, type_, run, round_, sender, seq, body = (
            obj["v"],
            obj["type"],
            obj["run"],
            obj["round"],
            obj["sender"],
            obj["seq"],
            obj["body"],
        )
        if not (  # exact types, as msgpack decodes them (so no bool passes for an int)
            type(v) is int
            and type(type_) is str
            and type(run) is str
            and type(round_) is int
            and type(sender) is str
            and type(seq) is int
            and type(body) is dict
        ):
            for key, want in _HEADER_TYPES.items():
                if type(obj[key]) is not want:
                    raise WireError(f"header field {key!r} has the wrong type")
        if v != PROTOCOL_VERSION:
            raise WireError(f"protocol version {v} is not supported (this is {PROTOCOL_VERSION})")
        if type_ not in MESSAGE_TYPES:
            raise WireError(f"unknown message type {type_!r}")
        return Message(type_, sender, body, run, round_, seq, v)
