"""Re-executing the agents in this process: replay's in-process transport of agents.

``replay --verify --reexecute`` and ``replay --branch`` re-create every party's agent here, from
the log's config and seed, and drive it directly through the replay bus (no process, no socket):
the bus hands each agent the messages the mediator sends it and takes its answers. That is why
this module, and no other module of :mod:`negotiator.replay`, imports :mod:`agents` (as the
launcher and the in-process transports of live runs do).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from negotiator.agents.process import Agent
from negotiator.replay.bus import ReplayAgent


def recreate_agents(participants: list[str]) -> dict[str, ReplayAgent]:
    """A fresh agent for each party, as its process would start."""
    return {p: Agent(p) for p in participants}


@contextlib.contextmanager
def no_agents(participants: tuple[str, ...]) -> Iterator[None]:
    """A launcher that starts nothing: the agents are already here, in this process."""
    yield None
