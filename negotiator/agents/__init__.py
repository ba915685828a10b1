"""Agents: negotiation strategies, the strategy registry and the agent process.

A strategy is a small class with a name and one decision method; it sees only an
:class:`~negotiator.agents.base.AgentContext` (its own utility, the public rules) and the
observations the mediator sends it. The agent process (``python -m negotiator.agents``) hosts one
strategy on a DEALER socket.

In the repository the package is also reachable as the folder ``agents/`` (a link to
``negotiator/agents/``); installed, it is only ``negotiator.agents``, so it cannot shadow another
distribution's top-level ``agents``.
"""

if __name__ == "agents":  # imported through the repository's `agents` link, from its root
    raise ImportError(
        "the strategies are the package negotiator.agents: import negotiator.agents "
        "(the repository's agents/ is a link to negotiator/agents/)"
    )

#: Environment variable the launcher sets to its own pid: with ``--watch-parent`` an agent whose
#: parent is no longer that process (the launcher died while the agent was starting) leaves.
PARENT_ENV = "NEGOTIATOR_PARENT_PID"
