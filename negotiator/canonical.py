"""Canonical JSON: the bytes every digest is computed over (event log, protocol states).

The canonical JSON is the standard library's (sorted keys, ``(",", ":")`` separators, no ASCII
escaping). orjson (3.11.7 or later, which writes ``1e+16`` as the standard library does) writes
the same bytes more than ten times faster except for a few values — a float below 1e-4 in
magnitude, NaN and infinities (it writes ``null``), an integer beyond 64 bits, a key that is not
a string — so :func:`canonical_json` uses orjson and falls back to the standard library whenever
its output could hold one of them (the tests check that the two agree on arbitrary values).
Values of other types than JSON's — subclasses, dataclasses, dates, which orjson would write its
own way — go to the standard library too (which refuses most of them, as before), and
at import a sample of values decides whether orjson may be used at all.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

#: Encoders built once (``json.dumps`` with options builds a new encoder on every call).
CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_READABLE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


#: Types orjson would write but the standard library writes otherwise or refuses: given back
#: (``TypeError``), so that the standard library decides.
_PASS = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
_SORTED = orjson.OPT_SORT_KEYS | _PASS
#: A one-digit negative exponent, where orjson writes ``e-7`` for the standard library's ``e-07``.
_SHORT_EXPONENT = re.compile(rb"e-\d(?!\d)")


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON — ``json.dumps(value, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` encoded in UTF-8 — by orjson where it writes the same bytes."""
    if not _FAST:
        return CANONICAL.encode(value).encode()
    try:
        out = orjson.dumps(value, option=_SORTED)
    except TypeError:  # an integer beyond 64 bits, a key that is not a string, another type
        return CANONICAL.encode(value).encode()
    # where the two may differ: ``null`` (also NaN and the infinities), a decimal below 1e-4
    # (``0.00001`` for ``1e-05``), a one-digit negative exponent; in a string, this only costs
    # the slower encoder
    if (
        b"null" in out
        or b"0.0000" in out
        or (b"e-" in out and _SHORT_EXPONENT.search(out) is not None)
    ):
        return CANONICAL.encode(value).encode()
    return out


def readable_json(event: Any, **_: Any) -> bytes:
    """structlog's JSONRenderer serializer: one line, fields in the order given. orjson unless
    the line could hold NaN or an infinity (orjson writes ``null``: the line would no longer
    verify) or a value orjson cannot write."""
    if not _FAST:
        return _READABLE.encode(event).encode()
    try:
        out = orjson.dumps(event, option=_PASS)
    except TypeError:
        return _READABLE.encode(event).encode()
    if b"null" in out:
        return _READABLE.encode(event).encode()
    return out


def _orjson_agrees() -> bool:
    """Does this orjson write a sample of awkward values as the standard library does, through
    :func:`canonical_json`'s checks? (Older releases wrote ``1e16`` for ``1e+16``.)"""
    sample: list[Any] = [
        1e16, 1.5e22, -1e300, 1e-4, 1.5e-7, 1e-5, 5e-324, -0.0, 0.1, 2.5, 100.0,
        2**63 - 1, -(2**63), 2**64 - 1, True, None, "\x00\x1f\u2028é😀",
        {"b": 1, "a": [1.0, "e-5"]},
    ]  # fmt: skip
    try:
        return all(canonical_json(v) == CANONICAL.encode(v).encode() for v in sample)
    except Exception:  # any surprise means: do not use it
        return False


_FAST = True  # on while the sample goes through canonical_json, which reads it
_FAST = _orjson_agrees()
