"""Agents: negotiation strategies, the strategy registry and the agent process.

A strategy is a small class with a name and one decision method; it sees only an
:class:`~agents.base.AgentContext` (its own utility, the public rules) and the observations the
mediator sends it. The agent process (``python -m agents``) hosts one strategy on a DEALER socket.
"""

#: Environment variable the launcher sets to its own pid: with ``--watch-parent`` an agent whose
#: parent is no longer that process (the launcher died while the agent was starting) leaves.
PARENT_ENV = "NEGOTIATOR_PARENT_PID"
