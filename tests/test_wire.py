"""The message codec: round trips, and every malformed input is a WireError."""

import contextlib

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from negotiator import PROTOCOL_VERSION
from negotiator.io.wire import Codec, WireError


def test_round_trip_and_sequence_numbers():
    codec = Codec("mediator", run="r1")
    first = codec.unpack(codec.pack("request", {"turn": 3}, round_=2))
    second = codec.unpack(codec.pack("end"))
    assert (first.type, first.sender, first.run, first.round, first.body) == (
        "request",
        "mediator",
        "r1",
        2,
        {"turn": 3},
    )
    assert (first.seq, second.seq) == (1, 2) and first.v == PROTOCOL_VERSION


def header(**over):
    msg = {
        "v": PROTOCOL_VERSION,
        "type": "action",
        "run": "",
        "round": 1,
        "sender": "a",
        "seq": 1,
        "body": {},
    }
    msg.update(over)
    return msgpack.packb(msg)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xc1garbage", "not msgpack"),
        (msgpack.packb([1, 2]), "must be a map"),
        (header(type="bribe"), "unknown message type"),
        (header(round="1"), "'round' has the wrong type"),
        (header(seq=True), "'seq' has the wrong type"),
        (header(v=PROTOCOL_VERSION + 1), "not supported"),
        (header(extra=1), "unknown header"),
        (msgpack.packb({"v": 1}), "missing"),
    ],
)
def test_malformed_messages_are_rejected_with_a_reason(payload, reason):
    with pytest.raises(WireError, match=reason):
        Codec("m").unpack(payload)


def test_oversized_messages_are_rejected():
    codec = Codec("m", max_bytes=100)
    with pytest.raises(WireError, match="exceeds"):
        codec.unpack(header(body={"x": "y" * 200}))


@given(st.binary(max_size=200))
def test_random_bytes_never_crash_the_decoder(data):
    with contextlib.suppress(WireError):
        Codec("m").unpack(data)


def test_a_broadcast_is_byte_for_byte_what_separate_packs_give():
    body = {"kind": "vote", "text": {"a": {"x": 0.5, "y": 0.5}}, "round": 3, "ok": True}
    one, many = Codec("mediator", run="r1"), Codec("mediator", run="r1")
    assert many.pack_same("request", body, 3, round_=3) == [
        one.pack("request", body, round_=3) for _ in range(3)
    ]
    decoded = [Codec("x").unpack(m) for m in many.pack_same("event", body, 2)]
    assert [m.seq for m in decoded] == [4, 5] and all(m.body == body for m in decoded)
