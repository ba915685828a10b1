"""negotiator: simulate how local governments negotiate a cooperation contract and keep or break it.

The library: scenario model, negotiation domains, protocols (pure state machines), the mediator
(clock, bus, transparency, enforcement), the event log, analysis and the command line.
Agent strategies and the agent process live in the sibling package ``agents``.
"""

__version__ = "0.2.0"

#: Version of the wire protocol and of the event-log format (see docs/protocol.md).
PROTOCOL_VERSION = 1

__all__ = ["PROTOCOL_VERSION", "__version__"]
