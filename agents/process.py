"""The agent process: one party's :class:`~agents.agent.Agent` on a DEALER socket.

The agent says hello, receives its private context in the welcome (its own utility and the public
rules, never anyone else's utility), answers each request with an action, and exits on ``end``,
when its parent process dies, or after ``idle_timeout`` seconds without a message.
Run it as ``python -m agents --connect ENDPOINT --name NAME``; tests and the inproc transport
call :func:`run_agent` in a thread with a shared ZeroMQ context. This module is the hosting: the
socket loop, heartbeats, timeouts, and the optional timing and recording of what it received.
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

from agents.agent import Agent
from negotiator.io.bus import AgentSocket
from negotiator.io.messages import HEARTBEAT_S, Heartbeat, pack
from negotiator.io.security import ClientSecurity
from negotiator.io.wire import Message, WireError

__all__ = ["RECORD_ENV", "TIMING_ENV", "Agent", "run_agent"]

POLL_S = 0.5


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
) -> int:
    """Serve one party until the mediator ends the run. Returns a process exit code: 0 done,
    1 the strategy failed, 3 the mediator went silent (nothing within ``join_timeout`` seconds
    of starting, or within ``idle_timeout`` seconds later: it sends a heartbeat every second) or,
    with ``watch_parent``, the process ``parent`` (default: this one's parent now) is no longer
    its parent.

    With ``serve`` the agent plays one run after another (a :class:`negotiator.runtime.pool.Pool`):
    after ``end`` it forgets the run, says ``hello`` again and waits for the next welcome."""
    sock = AgentSocket(endpoint, name, context, security)
    agent = Agent(name)
    parent = os.getppid() if parent is None else parent
    record = _recorder(name)
    timing = _Timing(name) if os.environ.get(TIMING_ENV) else None
    try:
        sock.send(agent.hello())
        last = last_sent = time.monotonic()
        heard = False
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
                if watch_parent and os.getppid() != parent:
                    return 3
                limit = idle_timeout if heard else join_timeout
                if time.monotonic() - last > limit:
                    print(f"agent {name}: no message for {limit:g} s, leaving", file=sys.stderr)
                    return 3
                continue
            last = time.monotonic()
            heard = True
            received = time.perf_counter()
            try:
                msg = agent.codec.unpack(data)
            except WireError as exc:
                print(f"agent {name}: dropped a malformed message: {exc}", file=sys.stderr)
                continue
            if msg.sender != "mediator":
                continue
            if record is not None:
                record(msg)
            replies, done = agent.handle(msg)
            for reply in replies:
                sock.send(reply)
                last_sent = time.monotonic()
            if timing is not None and msg.type == "request":
                timing.add(str(msg.body.get("kind")), time.perf_counter() - received)
            if done and serve and not agent.failed:  # the next run, same numbering
                agent = Agent(name, codec=agent.codec)
                sock.send(agent.hello())
                last = last_sent = time.monotonic()
                heard = False
            elif done:
                return 1 if agent.failed else 0
    finally:
        sock.close()
        if timing is not None:
            try:
                timing.write()
            except OSError as exc:  # a diagnostic: never the reason an agent fails
                print(f"agent {name}: could not write its timing: {exc}", file=sys.stderr)


#: Environment variable naming a directory: every agent then writes, when it ends,
#: ``<dir>/<party>-<pid>-<n>.json`` (n: the agent's number in its process, for inproc threads)
#: with the microseconds it took for each request it answered (from receiving the message to
#: having sent the replies), by request kind.
TIMING_ENV = "NEGOTIATOR_TIMING_DIR"
_timings = itertools.count(1)


class _Timing:
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


#: Environment variable naming a directory: every agent then appends each message it receives
#: to ``<dir>/<party>.jsonl`` (for tests and audits of what a party could know).
RECORD_ENV = "NEGOTIATOR_RECORD_DIR"


def _recorder(name: str) -> Callable[[Message], None] | None:
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
