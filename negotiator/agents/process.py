"""The agent process: one party's :class:`~negotiator.agents.agent.Agent` on a DEALER socket.

The agent says hello, receives its private context in the welcome (its own utility and the public
rules, never anyone else's utility), answers each request with an action, and exits on ``end``,
when its parent process dies, or after ``idle_timeout`` seconds without a message.
Run it as ``python -m negotiator.agents --connect ENDPOINT --name NAME``; tests and the inproc
transport call :func:`run_agent` in a thread with a shared ZeroMQ context. This module is the
hosting:
the socket loop, heartbeats, timeouts, and the optional timing and recording of what it received.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Callable

import zmq

from negotiator.agents.agent import Agent
from negotiator.io.bus import AgentSocket
from negotiator.io.messages import HEARTBEAT_S, Heartbeat, pack
from negotiator.io.security import ClientSecurity
from negotiator.io.wire import Message, WireError

__all__ = [
    "RECORD_ENV",
    "TIMING_ENV",
    "Agent",
    "Liveness",
    "Notify",
    "Timing",
    "from_mediator",
    "recorder",
    "run_agent",
]

POLL_S = 0.5


Notify = Callable[[str], None]
"""Told, in words, that an agent (or a host) joined its run (``"joined"``) and then why it left:
``"run finished"``, ``"expelled"``, ``"mediator gone after 5 s"``, ``"no mediator after 60 s"``,
``"strategy failed"``, ``"parent gone"``. The ``agent`` and ``agent-host`` commands print it; the
agents a local run starts are told nothing and say nothing."""


def ending(status: object) -> str:
    """Why an agent left, from the ``status`` of the mediator's ``end``."""
    return "expelled" if status == "expelled" else "run finished"


def run_agent(
    endpoint: str,
    name: str,
    *,
    context: zmq.Context[zmq.Socket[bytes]] | None = None,
    idle_timeout: float = 5.0,
    join_timeout: float = 60.0,
    watch_parent: bool = False,
    parent: int | None = None,
    serve: bool = False,
    security: ClientSecurity | None = None,
    stop: threading.Event | None = None,
    notify: Notify | None = None,
) -> int:
    """Serve one party until the mediator ends the run. Returns a process exit code: 0 done,
    1 the strategy failed, 3 the mediator went silent (nothing within ``join_timeout`` seconds
    of starting, or within ``idle_timeout`` seconds later: it sends a heartbeat every second) or,
    with ``watch_parent``, the process ``parent`` (default: this one's parent now) is no longer
    its parent. ``notify`` is told when it joined and why it left (:data:`Notify`).

    With ``serve`` the agent plays one run after another (a :class:`negotiator.runtime.pool.Pool`):
    after ``end`` it forgets the run, says ``hello`` again and waits for the next welcome."""
    tell = notify or (lambda _: None)
    sock = AgentSocket(endpoint, name, context, security)
    agent = Agent(name)
    liveness = Liveness(
        f"agent {name}", idle_timeout, join_timeout, watch_parent, parent, say=notify is None
    )
    record = recorder(name)
    timing = Timing(name) if os.environ.get(TIMING_ENV) else None
    joined = False
    try:
        sock.send(agent.hello())
        last_sent = time.monotonic()
        while True:
            if stop is not None and stop.is_set():  # the host (inproc) is shutting down
                return 3
            if time.monotonic() - last_sent >= HEARTBEAT_S:
                sock.send(pack(agent.codec, Heartbeat()))
                last_sent = time.monotonic()
            try:
                data = sock.recv(POLL_S)
            except zmq.ZMQError:  # the context was terminated under us
                return 3
            if data is None:
                if liveness.gone():
                    tell(liveness.why)
                    return 3
                continue
            liveness.hear()
            received = time.perf_counter()
            msg = from_mediator(agent, data)
            if msg is None:
                continue
            if record is not None:
                record(msg)
            replies, done = agent.handle(msg)
            for reply in replies:
                sock.send(reply)
                last_sent = time.monotonic()
            if timing is not None and msg.type == "request":
                timing.add(str(msg.body.get("kind")), time.perf_counter() - received)
            if msg.type == "welcome" and not joined and not agent.failed:
                joined = True
                tell("joined")
            if done and serve and not agent.failed:  # the next run, same numbering
                agent = Agent(name, codec=agent.codec)
                sock.send(agent.hello())
                last_sent = time.monotonic()
                liveness.restart()
            elif done:
                tell("strategy failed" if agent.failed else ending(msg.body.get("status")))
                return 1 if agent.failed else 0
    finally:
        sock.close()
        if timing is not None:
            timing.save()


class Liveness:
    """When an agent process (or a host) leaves although nobody told it to: the mediator silent
    for ``join_timeout`` seconds before its first message, or ``idle_timeout`` seconds after one,
    or, with ``watch_parent``, the process ``parent`` (default: this one's parent now) no longer
    its parent."""

    def __init__(
        self,
        who: str,
        idle_timeout: float,
        join_timeout: float,
        watch_parent: bool = False,
        parent: int | None = None,
        *,
        say: bool = True,
    ) -> None:
        self.who = who
        self.say = say
        """Say on stderr why it leaves (else only :attr:`why` tells)."""
        self.why = ""
        """Why it is time to leave, once :meth:`gone` said so."""
        self.idle_timeout = idle_timeout
        self.join_timeout = join_timeout
        self.parent = (os.getppid() if parent is None else parent) if watch_parent else None
        self.last = time.monotonic()
        self.heard = False

    def hear(self) -> None:
        """A message has arrived."""
        self.last = time.monotonic()
        self.heard = True

    def restart(self) -> None:
        """Waiting for a welcome again (the next run of a pooled agent)."""
        self.last = time.monotonic()
        self.heard = False

    def gone(self) -> bool:
        """Time to leave (asked when a receive timed out)?"""
        if self.parent is not None and os.getppid() != self.parent:
            self.why = "parent gone"
            return True
        limit = self.idle_timeout if self.heard else self.join_timeout
        if time.monotonic() - self.last > limit:
            if self.say:
                print(f"{self.who}: no message for {limit:g} s, leaving", file=sys.stderr)
            gone = "mediator gone after" if self.heard else "no mediator after"
            self.why = f"{gone} {limit:g} s"
            return True
        return False


def from_mediator(agent: Agent, data: bytes) -> Message | None:
    """``data`` read with ``agent``'s codec if it is a well-formed message from the mediator;
    None otherwise (a malformed one is reported on stderr)."""
    try:
        msg = agent.codec.unpack(data)
    except WireError as exc:
        print(f"agent {agent.name}: dropped a malformed message: {exc}", file=sys.stderr)
        return None
    return msg if msg.sender == "mediator" else None


#: Environment variable naming a directory: every agent then writes, when it ends,
#: ``<dir>/<party>-<pid>-<n>.json`` (n: the agent's number in its process, for inproc threads)
#: with the microseconds it took for each request it answered (from receiving the message to
#: having sent the replies), by request kind.
TIMING_ENV = "NEGOTIATOR_TIMING_DIR"
_timings = itertools.count(1)


class Timing:
    """One agent's time per request kind (written when it ends, see :data:`TIMING_ENV`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.number = next(_timings)
        self.spent: dict[str, list[float]] = {}

    def add(self, kind: str, seconds: float) -> None:
        self.spent.setdefault(kind, []).append(round(seconds * 1e6, 1))

    def write(self) -> None:
        folder = os.environ[TIMING_ENV]
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{self.name}-{os.getpid()}-{self.number}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"party": self.name, "microseconds": self.spent}, f)

    def save(self) -> None:
        """:meth:`write`, reporting a failure on stderr (a diagnostic: never why an agent
        fails)."""
        try:
            self.write()
        except OSError as exc:
            print(f"agent {self.name}: could not write its timing: {exc}", file=sys.stderr)


#: Environment variable naming a directory: every agent then appends each message it receives
#: to ``<dir>/<party>.jsonl`` (for tests and audits of what a party could know).
RECORD_ENV = "NEGOTIATOR_RECORD_DIR"


def recorder(name: str) -> Callable[[Message], None] | None:
    folder = os.environ.get(RECORD_ENV)
    if not folder:
        return None
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{name}.jsonl")

    def record(msg: Message) -> None:
        body = msg.body
        lines = []
        if msg.type == "request" and body.get("events"):  # as if they had come one by one
            for event in body["events"]:
                lines.append(
                    {
                        "type": "event",
                        "round": event["round"],
                        "seq": msg.seq,
                        "body": event["body"],
                    }
                )
            body = {k: v for k, v in body.items() if k != "events"}
        lines.append({"type": msg.type, "round": msg.round, "seq": msg.seq, "body": body})
        with open(path, "a", encoding="utf-8") as f:
            for line in lines:
                f.write(json.dumps(line, ensure_ascii=False) + "\n")

    return record
