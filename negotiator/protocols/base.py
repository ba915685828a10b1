"""Shared vocabulary of protocols: events they emit and the error for an invalid action."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from negotiator.canonical import canonical_json


class InvalidAction(ValueError):
    """The action breaks the protocol's rules; the message is sent to the offending party."""


@dataclass(frozen=True)
class ProtocolEvent:
    """Something that happened in the protocol, for the event log (``kind`` + plain data)."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def state_digest(fields: dict[str, Any]) -> str:
    """SHA-256 (hex, first 16 bytes) of a state's canonical JSON: checked again on replay."""
    return hashlib.sha256(canonical_json(fields)).hexdigest()[:32]
