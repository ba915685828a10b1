"""The ``direct`` transport: every agent in the mediator's process, called synchronously.

No ZeroMQ, no thread, no process: :class:`DirectBus` stands where the mediator's socket stands and
hands each payload the mediator sends to the addressee's :class:`negotiator.agents.agent.Agent`
(the same class an agent process runs), whose packed replies wait in a queue for the mediator's next
receive. The bytes are the same as on a socket, made and read by the same codec, and the mediator
is the same, so a config and seed give the same final digest as over ipc, tcp or inproc. JADE
delivers messages within one container the same way, by direct reference.

Time: the mediator waits on :attr:`DirectBus.clock`, a clock that moves only when the mediator
waits and the queue is empty. Then nothing can come any more (every agent has already answered
what it was sent), so the wait runs to its deadline at once: a silent party costs no wall time.
Heartbeats are not needed either; the bus says who is gone (``lost``, the mediator's
:class:`negotiator.io.bus.Scripted` hook): an agent whose strategy raised. Such an agent reports
its error (``agent_error`` in the log), plays no more, and is treated as a party gone silent.

As agent processes do, each agent records what it receives when ``NEGOTIATOR_RECORD_DIR`` is set
and times its requests when ``NEGOTIATOR_TIMING_DIR`` is (:mod:`negotiator.agents.process`).

What direct mode does not protect (the process transports do): a strategy that never returns
stops the whole run, one that exhausts memory or crashes the interpreter takes the mediator with
it, and agents share the mediator's memory, so a strategy could read what it was not sent. It is
for trusted strategies: sweeps, tournaments, benchmarks and very large negotiations.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from negotiator.agents.agent import Agent
from negotiator.agents.process import TIMING_ENV, Timing, recorder
from negotiator.io.bus import Recorded, VirtualClock
from negotiator.io.wire import Message, WireError
from negotiator.mediator.channel import MEDIATOR

ENDPOINT = "direct://"


@dataclass
class _Watch:
    """An agent's diagnostics, when asked for (recording, timing)."""

    record: Callable[[Message], None] | None
    timing: Timing | None


class DirectBus:
    """The mediator's bus with its agents inside (see the module's docstring)."""

    endpoint = ENDPOINT
    authenticator = None

    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.agents: dict[bytes, Agent] = {}
        self.queue: deque[tuple[bytes, bytes, None]] = deque()
        self.lost: set[str] = set()
        """Parties whose agent failed (its strategy raised): gone, as a silent agent is."""
        self.rejoining: set[str] = set()
        """Always empty: an agent here is never restarted."""
        self.watches: dict[bytes, _Watch] = {}

    @contextmanager
    def launch(self, participants: tuple[str, ...]) -> Iterator[DirectBus]:
        """Start one agent per participant (each says hello); on exit, forget them."""
        timed = bool(os.environ.get(TIMING_ENV))
        for name in participants:
            agent = Agent(name)
            identity = name.encode()
            self.agents[identity] = agent
            record, timing = recorder(name), Timing(name) if timed else None
            if record is not None or timing is not None:
                self.watches[identity] = _Watch(record, timing)
            self.queue.append((identity, agent.hello(), None))
        try:
            yield self
        finally:
            self.agents.clear()
            self.queue.clear()
            for watch in self.watches.values():
                if watch.timing is not None:
                    watch.timing.save()
            self.watches.clear()

    def dead(self) -> str | None:
        """Agents that failed (the join's watchdog)."""
        return ", ".join(sorted(self.lost)) or None

    def send(self, identity: bytes, payload: bytes) -> None:
        """Hand ``payload`` to its addressee's agent now; queue the agent's replies."""
        agent = self.agents.get(identity)
        if agent is None:  # never started, or gone: a message to nobody, as on a socket
            return
        try:
            msg = agent.codec.unpack(payload)
        except WireError:  # as an agent process drops a malformed message
            return
        if msg.sender != MEDIATOR:
            return
        watch = self.watches.get(identity) if self.watches else None
        if watch is not None:
            started = time.perf_counter()
            if watch.record is not None:
                watch.record(msg)
        replies, done = agent.handle(msg)
        self.queue.extend((identity, reply, None) for reply in replies)
        if watch is not None and watch.timing is not None and msg.type == "request":
            watch.timing.add(str(msg.body.get("kind")), time.perf_counter() - started)
        if done:
            del self.agents[identity]
            if agent.failed:
                self.lost.add(agent.name)

    def recv(self, timeout_s: float) -> tuple[bytes, bytes | Recorded, str | None] | None:
        """The next reply, or (none waiting: none can come) None after ``timeout_s`` seconds of
        the bus's clock, which pass at once."""
        if self.queue:
            return self.queue.popleft()
        self.clock.now += max(timeout_s, 0.0)
        return None

    def close(self) -> None:
        self.agents.clear()
        self.queue.clear()
