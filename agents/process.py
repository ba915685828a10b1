"""The agent process: one party's strategy on a DEALER socket.

The agent says hello, receives its private context in the welcome (its own utility and the public
rules, never anyone else's utility), answers each request with an action, and exits on ``end``,
when its parent process dies, or after ``idle_timeout`` seconds without a message.
Run it as ``python -m agents --connect ENDPOINT --name NAME``; tests and the inproc transport
call :func:`run_agent` in a thread with a shared ZeroMQ context.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import Any

import zmq

from agents.base import AgentContext, NegotiationStrategy, TurnObservation
from agents.registry import resolve
from negotiator.actions import Accept, EndNegotiation, Offer, RawAction
from negotiator.bus import AgentSocket
from negotiator.domain import Domain, Utility
from negotiator.wire import Codec, Message, WireError

POLL_S = 0.5


def context_from_welcome(body: dict[str, Any]) -> AgentContext:
    """Build the agent's context from a welcome body (see docs/protocol.md)."""
    return AgentContext(
        party=str(body["party"]),
        domain=Domain.from_spec(body["domain"]),
        utility=Utility.from_spec(body["utility"]),
        protocol=str(body["protocol"]),
        deadline=int(body["deadline"]),
        order=tuple(body["order"]),
        discounts={str(k): float(v) for k, v in body["discounts"].items()},
        seed=int(body["seed"]),
    )


def strategy_from_welcome(body: dict[str, Any]) -> NegotiationStrategy:
    ctx = context_from_welcome(body)
    cls = resolve(str(body["strategy"]["name"]))
    return cls(ctx, cls.make_params(dict(body["strategy"].get("params", {}))))


def observation_from_request(body: dict[str, Any], domain: Domain) -> TurnObservation:
    standing = body.get("standing")
    return TurnObservation(
        round=int(body["round"]),
        turn=int(body["turn"]),
        standing=domain.encode(standing) if standing is not None else None,
        proposer=body.get("proposer"),
    )


def encode_action(action: object, turn: int, domain: Domain) -> dict[str, Any] | None:
    """The wire body of a strategy's move (None: send nothing)."""
    if action is None:
        return None
    if isinstance(action, RawAction):
        return dict(action.body)
    if isinstance(action, Accept):
        return {"kind": "accept", "turn": turn}
    if isinstance(action, Offer):
        return {"kind": "offer", "turn": turn, "outcome": domain.decode(action.outcome)}
    if isinstance(action, EndNegotiation):
        return {"kind": "end", "turn": turn}
    raise TypeError(f"a strategy returned {action!r}, not an action")


class Agent:
    """The message handling of one agent, independent of how it is hosted (process or thread)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.codec = Codec(sender=name)
        self.strategy: NegotiationStrategy | None = None
        self.last_obs: TurnObservation | None = None
        self.last_round = 0

    def hello(self) -> bytes:
        return self.codec.pack("hello", {"pid": os.getpid(), "host": socket.gethostname()})

    def handle(self, msg: Message) -> tuple[list[bytes], bool]:
        """Messages to send in reply, and whether the agent is done."""
        if msg.type == "welcome":
            self.codec.run = msg.run
            try:
                self.strategy = strategy_from_welcome(msg.body)
            except Exception as exc:  # report, then leave: the mediator treats us as absent
                text = f"{self.name}: cannot start strategy: {exc}"
                return [self.codec.pack("error", {"message": text})], True
            return [self.codec.pack("event", {"kind": "ready"})], False
        if msg.type == "end":
            return [], True
        if self.strategy is None or msg.type not in ("request", "error"):
            return [], False
        domain = self.strategy.ctx.domain
        if msg.type == "request":
            self.last_obs = observation_from_request(msg.body, domain)
            self.last_round = msg.round
            move = self.strategy.respond(self.last_obs)
        elif (
            self.last_obs is not None
            and msg.body.get("code") == "invalid_action"
            and msg.body.get("turn") == self.last_obs.turn
        ):
            move = self.strategy.on_error(self.last_obs, str(msg.body.get("message", "")))
        else:
            return [], False
        assert self.last_obs is not None
        body = encode_action(move, self.last_obs.turn, domain)
        if body is None:
            return [], False
        return [self.codec.pack("action", body, round_=self.last_round)], False


def run_agent(
    endpoint: str,
    name: str,
    *,
    context: zmq.Context[zmq.Socket[bytes]] | None = None,
    idle_timeout: float = 300.0,
    watch_parent: bool = False,
) -> int:
    """Serve one party until the mediator ends the run. Returns a process exit code."""
    sock = AgentSocket(endpoint, name, context)
    agent = Agent(name)
    parent = os.getppid()
    try:
        sock.send(agent.hello())
        last = time.monotonic()
        while True:
            data = sock.recv(POLL_S)
            if data is None:
                if watch_parent and os.getppid() != parent:
                    return 3
                if time.monotonic() - last > idle_timeout:
                    print(
                        f"agent {name}: no message for {idle_timeout:g} s, leaving", file=sys.stderr
                    )
                    return 3
                continue
            last = time.monotonic()
            try:
                msg = agent.codec.unpack(data)
            except WireError as exc:
                print(f"agent {name}: dropped a malformed message: {exc}", file=sys.stderr)
                continue
            if msg.sender != "mediator":
                continue
            replies, done = agent.handle(msg)
            for reply in replies:
                sock.send(reply)
            if done:
                return 0
    finally:
        sock.close()
