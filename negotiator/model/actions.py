"""The moves a party can make in phase 1, as values shared by protocols and strategies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from negotiator.model.domain import Outcome


@dataclass(frozen=True)
class Accept:
    """Accept the standing offer."""


@dataclass(frozen=True)
class Offer:
    """Reject the standing offer (if any) and table ``outcome`` instead."""

    outcome: Outcome


@dataclass(frozen=True)
class EndNegotiation:
    """Walk away: the negotiation ends without agreement."""


@dataclass(frozen=True)
class Forfeit:
    """Recorded by the mediator for a party that stayed silent or invalid: counts as a reject."""

    reason: str


@dataclass(frozen=True)
class RawAction:
    """An action body sent on the wire exactly as given (fault injection, custom experiments).

    The mediator validates it like any other action; strategies normally never use it.
    """

    body: dict[str, Any]


Action = Accept | Offer | EndNegotiation
