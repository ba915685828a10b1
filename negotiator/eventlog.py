"""The tamper-evident event log: structlog → JSON lines, each line chained by SHA-256.

Every line carries ``digest`` = SHA-256(previous digest ‖ canonical JSON of the event without the
volatile fields). Volatile fields are those that depend on the wall clock or the machine
(:data:`VOLATILE_FIELDS`); everything else is covered, so editing any other field breaks the chain,
and the same config and seed give the same final digest on every transport and machine.
Lines are buffered and written once per round (:meth:`EventLog.flush`), so a crash leaves a valid
prefix of whole lines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, TextIO

import structlog

#: Fields left out of the digest: wall clock, machine, process ids, paths, the digest itself.
VOLATILE_FIELDS = frozenset({"ts", "pid", "host", "runtime", "wall_ms", "digest"})
GENESIS = "0" * 64


def canonical(event: dict[str, Any]) -> bytes:
    """The bytes that are hashed for one event: sorted keys, no spaces, volatile fields dropped."""
    kept = {k: v for k, v in event.items() if k not in VOLATILE_FIELDS}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


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


class _LineBuffer:
    """A structlog logger that keeps rendered lines until :meth:`flush`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.pending: list[str] = []

    def msg(self, line: str) -> None:
        self.pending.append(line)

    info = msg

    def flush(self) -> None:
        if self.pending:
            self.stream.write("\n".join(self.pending) + "\n")
            self.pending.clear()
        self.stream.flush()


class EventLog:
    """Writes one run's ``events.jsonl``. Use :meth:`emit` for every event; :meth:`flush` at
    least once per round; :meth:`close` at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream = path.open("w", encoding="utf-8")
        self._buffer = _LineBuffer(self._stream)
        self._chain = DigestChain()
        self._log = structlog.wrap_logger(
            self._buffer,
            wrapper_class=structlog.BoundLogger,
            processors=[
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
                self._chain,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )

    @classmethod
    def null(cls) -> EventLog:
        """A log that writes nowhere (for objects that need one but never emit)."""
        import os

        return cls(Path(os.devnull))

    @property
    def digest(self) -> str:
        """Digest of the last line written (the final digest once the run is over)."""
        return self._chain.digest

    @property
    def lines(self) -> int:
        return self._chain.lines

    def emit(self, event: str, **fields: Any) -> None:
        self._log.msg(event, **fields)

    def flush(self) -> None:
        self._buffer.flush()

    def close(self) -> None:
        if not self._stream.closed:
            self.flush()
            self._stream.close()


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
