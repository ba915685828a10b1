"""negotiator: simulate how local governments negotiate a cooperation contract and keep or break it.

The library, one package per layer (docs/architecture.md): ``config``, ``model`` (economy,
domains, contract, stage game, theory, analysis), ``protocols`` (pure state machines), ``io``
(wire, typed messages, bus, security, event log), ``mediator``, ``runtime``, ``replay``,
``experiments`` and ``cli``. Agent strategies and the agent process are ``negotiator.agents``.

The Python API (docs/api.md) is importable from here: :func:`run`, :func:`sweep`,
:func:`analyze` and :func:`load_config` (loaded on first use, so ``import negotiator`` stays
light).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from negotiator.api import analyze, load_config, run, sweep

__version__ = "0.2.0"

#: Version of the wire protocol and of the event-log format (see docs/protocol.md).
PROTOCOL_VERSION = 1

__all__ = ["PROTOCOL_VERSION", "__version__", "analyze", "load_config", "run", "sweep"]

_API = frozenset({"analyze", "load_config", "run", "sweep"})


def __getattr__(name: str) -> Any:
    if name in _API:
        from negotiator import api

        return getattr(api, name)
    raise AttributeError(f"module 'negotiator' has no attribute {name!r}")
