"""Negotiation protocols as pure state machines: state + action → next state + events, no I/O."""

from negotiator.protocols.base import InvalidAction, ProtocolEvent
from negotiator.protocols.saop import SaopState, StackedAlternatingOffers

__all__ = ["InvalidAction", "ProtocolEvent", "SaopState", "StackedAlternatingOffers"]
