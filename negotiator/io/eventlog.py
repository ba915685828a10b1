"""The tamper-evident event log: structlog → JSON lines, each line chained by SHA-256.

Every line carries ``digest`` = SHA-256(previous digest ‖ canonical JSON of the event without the
volatile fields). Volatile fields are those that depend on the wall clock or the machine
(:data:`VOLATILE_FIELDS`); everything else is covered, so editing any other field breaks the chain,
and the same config and seed give the same final digest on every transport and machine.
Lines are made and written when the mediator waits for messages (:meth:`EventLog.idle`), at
least once per round, so a crash leaves a valid prefix of whole lines.

The canonical JSON and the lines' own JSON are made by :mod:`negotiator.canonical`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import msgpack
import structlog

from negotiator.canonical import CANONICAL, canonical_json, readable_json
from negotiator.errors import OutputError
from negotiator.interrupts import held

#: Fields left out of the digest: wall clock, machine, process ids, paths, the digest itself.
VOLATILE_FIELDS = frozenset({"ts", "pid", "host", "runtime", "wall_ms", "digest"})
GENESIS = "0" * 64


def canonical(event: dict[str, Any]) -> bytes:
    """The bytes that are hashed for one event: sorted keys, no spaces, volatile fields dropped."""
    if VOLATILE_FIELDS.isdisjoint(event):
        return canonical_json(event)
    return canonical_json({k: v for k, v in event.items() if k not in VOLATILE_FIELDS})


def chain(previous: str, event: dict[str, Any]) -> str:
    """The digest of ``event`` following the line whose digest is ``previous``."""
    return hashlib.sha256(previous.encode() + canonical(event)).hexdigest()


class DigestChain:
    """structlog processor: numbers each event (``line``) and adds its chained ``digest``."""

    def __init__(self) -> None:
        self.digest = GENESIS
        self.lines = 0

    def __call__(
        self, logger: object, method: str, event: MutableMapping[str, Any]
    ) -> dict[str, Any]:
        self.lines += 1
        # the event name first, then its fields, for people reading the file
        ordered = {"event": event.pop("event"), **event, "line": self.lines}
        self.digest = chain(self.digest, ordered)
        ordered["digest"] = self.digest
        return ordered


HELD_BYTES = 1 << 20
"""Lines held in memory beyond this are written at the next :meth:`EventLog.idle`."""


class EventLog:
    """Writes one run's ``events.jsonl``. Use :meth:`emit` for every event; :meth:`flush` at
    least once per round (or :meth:`flush_later` and :meth:`idle`); :meth:`close` at the end.

    :meth:`emit` only takes a snapshot of the event (its fields packed with msgpack, which keeps
    every JSON value exactly, and the wall-clock time); the work that makes a line — the
    ``line`` number, the chained digest, the rendering — is done by :meth:`idle`, which the
    mediator calls when it is about to wait for messages, so that it is off the path from one
    request to the next. Each event goes through structlog processors, called directly rather than
    through a bound logger (whose per-call context handling cost more than the rest of the work):
    :class:`DigestChain`, then structlog's JSON renderer. The lines wait in memory until a flush
    writes them with one system call. An event whose fields msgpack cannot hold (none of ours)
    is made into a line at once, after those waiting."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._stream = path.open("wb", buffering=0)
        except OSError as exc:
            raise OutputError(f"cannot write the event log {path}: {_reason(exc)}") from None
        self._written = 0
        """Bytes of whole lines on disk."""
        self.failed: OutputError | None = None
        """Why the log could not be written; nothing is written after that."""
        self._queue: list[tuple[str, bytes, float]] = []
        self._pending = bytearray()
        """Lines made and not yet written, each with its newline. (Copied out of the renderer's
        bytes, which orjson allocates with kilobytes to spare.)"""
        self._due = False
        self._chain = DigestChain()
        self._render = structlog.processors.JSONRenderer(serializer=readable_json)
        self._packer = msgpack.Packer(use_bin_type=True)
        self._second = -1
        self._stamp = ""

    @classmethod
    def null(cls) -> EventLog:
        """A log that writes nowhere (for objects that need one but never emit)."""
        return cls(Path(os.devnull))

    @property
    def digest(self) -> str:
        """Digest of the last line (the final digest once the run is over)."""
        self._make_lines()
        return self._chain.digest

    @property
    def lines(self) -> int:
        self._make_lines()
        return self._chain.lines

    @property
    def busy(self) -> bool:
        """Is there work for :meth:`idle`?"""
        return bool(self._queue) or self._due

    def emit(self, event: str, **fields: Any) -> None:
        stamp = time.time()
        try:
            snapshot = self._packer.pack(fields)
        except (TypeError, ValueError, OverflowError):
            # not plain data: the standard library decides whether (and how) it can be written
            # (it refuses an enum, a dataclass, a date: TypeError, as it always has)
            CANONICAL.encode(fields)
            with held():
                self._make_lines()
                self._line(event, fields, stamp)
            return
        self._queue.append((event, snapshot, stamp))

    def _make_lines(self) -> None:
        """Turn every queued event into its line, in order (Ctrl-C waits: a line numbered and
        chained must be queued for writing, and made once)."""
        if self._queue:
            with held():
                for event, snapshot, stamp in self._queue:
                    self._line(event, msgpack.unpackb(snapshot, strict_map_key=False), stamp)
                self._queue.clear()

    def _line(self, event: str, fields: dict[str, Any], stamp: float) -> None:
        fields["event"] = event
        fields["ts"] = self._format(stamp)
        line = self._render(None, "info", self._chain(None, "info", fields))
        self._pending += line if isinstance(line, bytes) else str(line).encode()
        self._pending += b"\n"

    def _format(self, stamp: float) -> str:
        """An event's time stamp, ISO 8601 in UTC with microseconds (as structlog's TimeStamper
        writes it; the date part is formatted once a second)."""
        second = int(stamp)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._stamp}.{int((stamp - second) * 1e6):06d}Z"

    def flush_later(self) -> None:
        """Ask for a flush at the next :meth:`idle` (the mediator: at the end of a round, so that
        its lines are written once the next requests are out)."""
        self._due = True

    def idle(self) -> None:
        """Make the queued events into lines, and write them if a flush is due or if they have
        grown past :data:`HELD_BYTES` (a flood of refused messages, a very large round)."""
        self._make_lines()
        if self._due or len(self._pending) > HELD_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the lines made so far. If the file system refuses (disk full, file too large,
        device gone), the file is cut back to its last whole line, so that it stays a valid log
        prefix, and :class:`OutputError` is raised; after that the log writes nothing more."""
        self._due = False
        self._make_lines()
        if not self._pending or self.failed is not None:
            self._pending.clear()
            return
        with held():  # a write that Ctrl-C cut in two would leave a torn line before the next
            self._write()

    def _write(self) -> None:
        pending, self._pending = self._pending, bytearray()
        data = memoryview(pending)
        size = len(data)
        try:
            while data:  # an unbuffered write may write only a part
                done = self._stream.write(data)
                if not done:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                data = data[done:]
        except OSError as exc:
            self.failed = OutputError(f"cannot write the event log {self.path}: {_reason(exc)}")
            with contextlib.suppress(OSError):
                self._stream.truncate(self._written)
            raise self.failed from None
        except BaseException:  # anything else between two writes: keep the rest for later
            self._written += size - len(data)
            self._pending[:0] = data
            raise
        self._written += size

    def close(self) -> None:
        if not self._stream.closed:
            try:
                self.flush()
            finally:
                self._stream.close()


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def read_events(path: Path) -> list[dict[str, Any]]:
    """Parse an events.jsonl file (every complete line)."""
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.endswith("\n"):
                out.append(json.loads(line))
    return out


def verify_chain(events: list[dict[str, Any]]) -> int | None:
    """Return the 1-based line number of the first event whose digest does not match, or None."""
    previous = GENESIS
    for i, event in enumerate(events, start=1):
        if event.get("digest") != chain(previous, event):
            return i
        previous = event["digest"]
    return None
