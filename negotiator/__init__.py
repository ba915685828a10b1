"""negotiator: simulate how local governments negotiate a cooperation contract and keep or break it.

The library, one package per layer (docs/architecture.md): ``config``, ``model`` (economy,
domains, contract, stage game, theory, analysis), ``protocols`` (pure state machines), ``io``
(wire, typed messages, bus, security, event log), ``mediator``, ``runtime``, ``replay``,
``experiments`` and ``cli``. Agent strategies and the agent process live in the sibling package
``agents``.
"""

__version__ = "0.2.0"

#: Version of the wire protocol and of the event-log format (see docs/protocol.md).
PROTOCOL_VERSION = 1

__all__ = ["PROTOCOL_VERSION", "__version__"]
