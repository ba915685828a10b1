"""The agent process: one party's strategy on a DEALER socket.

The agent says hello, receives its private context in the welcome (its own utility and the public
rules, never anyone else's utility), answers each request with an action, and exits on ``end``,
when its parent process dies, or after ``idle_timeout`` seconds without a message.
Run it as ``python -m agents --connect ENDPOINT --name NAME``; tests and the inproc transport
call :func:`run_agent` in a thread with a shared ZeroMQ context.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import socket
import sys
import threading
import time
from typing import Any

import zmq

from agents.base import (
    AgentContext,
    NegotiationStrategy,
    TurnObservation,
    VoteObservation,
    make_params,
)
from agents.compliance import ComplianceStrategy, Move, PeriodObservation, StageGame
from agents.inference import PeriodReport, mode, posterior
from agents.registry import resolve, resolve_compliance
from agents.superior import Province
from negotiator.io.bus import AgentSocket
from negotiator.io.security import ClientSecurity
from negotiator.io.wire import Codec, Message, WireError
from negotiator.model.actions import Accept, EndNegotiation, Offer, RawAction
from negotiator.model.domain import Domain, Utility
from negotiator.seeding import rng_for

POLL_S = 0.5
#: Seconds between heartbeats when the agent has nothing else to say.
HEARTBEAT_S = 1.0


def negotiation_context(
    party: str, order: list[str], seed: int, body: dict[str, Any]
) -> AgentContext:
    """Build the agent's phase-1 context from a welcome's or renegotiation's ``negotiation``
    body (see docs/protocol.md)."""
    return AgentContext(
        party=party,
        domain=Domain.from_spec(body["domain"]),
        utility=Utility.from_spec(body["utility"]),
        protocol=str(body["protocol"]),
        deadline=int(body["deadline"]),
        order=tuple(order),
        discounts={str(k): float(v) for k, v in body["discounts"].items()},
        seed=seed,
    )


def negotiation_strategy(
    party: str, order: list[str], seed: int, body: dict[str, Any]
) -> NegotiationStrategy:
    ctx = negotiation_context(party, order, seed, body)
    cls = resolve(str(body["strategy"]["name"]))
    return cls(ctx, cls.make_params(dict(body["strategy"].get("params", {}))))


def observation_from_request(body: dict[str, Any], domain: Domain, me: str = "") -> TurnObservation:
    standing = body.get("standing")
    proposer = body.get("proposer")
    if proposer is None and body.get("own_offer"):
        proposer = me  # under private transparency: only "it is your own offer" is said
    return TurnObservation(
        round=int(body["round"]),
        turn=int(body["turn"]),
        standing=domain.encode(standing) if standing is not None else None,
        proposer=proposer,
    )


def encode_action(action: object, turn: int, session: int, domain: Domain) -> dict[str, Any] | None:
    """The wire body of a strategy's move (None: send nothing)."""
    if action is None:
        return None
    if isinstance(action, RawAction):  # sent as given; session and turn filled in if absent
        return {"turn": turn, "session": session, **action.body}
    if isinstance(action, Accept):
        return {"kind": "accept", "turn": turn, "session": session}
    if isinstance(action, Offer):
        outcome = domain.decode(action.outcome)
        return {"kind": "offer", "turn": turn, "session": session, "outcome": outcome}
    if isinstance(action, EndNegotiation):
        return {"kind": "end", "turn": turn, "session": session}
    raise TypeError(f"a strategy returned {action!r}, not an action")


class Agent:
    """The message handling of one agent, independent of how it is hosted (process or thread).

    It keeps only what it was sent: its own context, the offers it was asked to answer, and its
    own phase-2 history (moves, payoffs, the defections it was shown)."""

    def __init__(self, name: str, codec: Codec | None = None) -> None:
        self.name = name
        self.failed = False
        self.codec = codec or Codec(sender=name)
        """Its message numbering (kept across the runs of an agent that serves several)."""
        self.order: list[str] = []
        self.seed = 0
        self.strategy: NegotiationStrategy | None = None
        self.session = 0
        self.last_obs: TurnObservation | None = None
        self.last_round = 0
        self.compliance_spec: dict[str, Any] = {}
        self.compliance: ComplianceStrategy | None = None
        self.game: StageGame | None = None
        self.province: Province | None = None
        self.ballot: tuple[dict[str, Any], int] | None = None
        self.declaration: dict[str, Any] = {"mode": "truthful"}
        self.my_moves: list[Move] = []
        self.others_defected: list[bool] = []
        self.payoffs: list[float] = []
        self.defectors: list[int] = []
        self.beliefs: list[dict[int, float]] = []
        self.reports: list[PeriodReport] = []
        self.caught: list[bool] = []
        self.generation = 0
        """How many compliance strategy instances it has started."""

    def hello(self) -> bytes:
        return self.codec.pack("hello", {"pid": os.getpid(), "host": socket.gethostname()})

    def handle(self, msg: Message) -> tuple[list[bytes], bool]:
        """Messages to send in reply, and whether the agent is done."""
        try:
            return self._handle(msg)
        except Exception as exc:  # report, then leave (exit code 1)
            self.failed = True
            text = f"{self.name}: {type(exc).__name__}: {exc}"
            return [self.codec.pack("error", {"message": text})], True

    def _handle(self, msg: Message) -> tuple[list[bytes], bool]:
        body = msg.body
        if msg.type == "request" and body.get("events"):
            for event in body["events"]:  # held back by the mediator for this request
                self._on_event(event["body"])
        if msg.type == "welcome":
            self.codec.run = msg.run
            self.order = list(body["order"])
            self.seed = int(body["seed"])
            if body.get("role") == "superior":
                self.province = Province.from_spec(body["superior"])
                return [self.codec.pack("event", {"kind": "ready"})], False
            self.compliance_spec = dict(body["compliance"])
            self.declaration = dict(body.get("declaration") or {"mode": "truthful"})
            if body.get("negotiation") is not None:
                self._start_negotiation(body["negotiation"])
            resolve_compliance(str(self.compliance_spec["name"]))  # fail early, before round 1
            return [self.codec.pack("event", {"kind": "ready"})], False
        if msg.type == "end":
            return [], True
        if msg.type == "event":
            self._on_event(body)
            return [], False
        kind = body.get("kind")
        if msg.type == "request" and kind == "compliance":
            return self._move(int(body["period"])), False
        if msg.type == "request" and kind == "declare":
            return [self._reply(self._declare(body), msg.round)], False
        if msg.type == "request" and kind == "plan" and self.province is not None:
            return [self._reply(self.province.decide(dict(body["brief"])), msg.round)], False
        if self.strategy is None:
            return [], False
        if msg.type == "request" and kind in ("vote", "ratify"):
            self.ballot = (body, msg.round)
            return [self._reply(self._vote(body), msg.round)], False
        if (
            msg.type == "error"
            and body.get("code") == "invalid_action"
            and self.ballot is not None
            and self.ballot[1] == msg.round
        ):
            return [self._reply(self._vote(self.ballot[0], retry=True), msg.round)], False
        domain = self.strategy.ctx.domain
        if msg.type == "request" and body.get("kind") == "saop_turn":
            self.last_obs = observation_from_request(body, domain, self.name)
            self.last_round = msg.round
            move = self.strategy.respond(self.last_obs)
        elif (
            msg.type == "error"
            and self.last_obs is not None
            and body.get("code") == "invalid_action"
            and body.get("turn") == self.last_obs.turn
        ):
            move = self.strategy.on_error(self.last_obs, str(body.get("message", "")))
        else:
            return [], False
        assert self.last_obs is not None
        action = encode_action(move, self.last_obs.turn, self.session, domain)
        if action is None:
            return [], False
        return [self.codec.pack("action", action, round_=self.last_round)], False

    def _reply(self, body: dict[str, Any], round_: int) -> bytes:
        return self.codec.pack("action", body, round_=round_)

    def _declare(self, body: dict[str, Any]) -> dict[str, Any]:
        """Declare own data: as it is, or inflated by ``exaggeration`` (a misreporter)."""
        truth = {str(k): float(v) for k, v in body["truth"].items()}
        factor = 1.0
        if self.declaration.get("mode") == "exaggerate":
            factor += float(self.declaration.get("exaggeration", 0.0))
        return {"kind": "declaration", "resources": {k: v * factor for k, v in truth.items()}}

    def _vote(self, body: dict[str, Any], retry: bool = False) -> dict[str, Any]:
        assert self.strategy is not None
        domain = self.strategy.ctx.domain
        text = domain.encode(body["text"])
        common = {"session": self.session, "round": body["round"], "text_id": body["text_id"]}
        if body["kind"] == "ratify":
            vote = {"kind": "ratify", "accept": self.strategy.ratify(text), **common}
        else:
            obs = VoteObservation(int(body["round"]), text, domain.encode(body["proposal"]))
            vote = {"kind": "vote", "accept": self.strategy.vote(obs), **common}
        return self.strategy.vote_message(vote, retry)

    def _start_negotiation(self, body: dict[str, Any]) -> None:
        self.session = int(body.get("session", 0))
        self.strategy = negotiation_strategy(self.name, self.order, self.seed, body)
        self.last_obs = None

    def _on_event(self, body: dict[str, Any]) -> None:
        kind = body.get("kind")
        if kind == "renegotiation":
            self._start_negotiation(body)
        elif kind == "offer" and self.strategy is not None:
            outcome = self.strategy.ctx.domain.encode(body["outcome"])
            self.strategy.observe_offer(str(body["party"]), outcome)
        elif kind == "stage_game":
            self.game = StageGame.from_spec(body["game"])
            if body.get("fresh_start"):  # a new contract: past conduct is forgiven
                self._forget_conduct()
                self._start_compliance()
            elif self.compliance is None:
                self._start_compliance()
            else:
                self.compliance.game = self.game
        elif kind == "rotation":
            self.game = StageGame.from_spec(body["game"])
            if body.get("compliance"):
                self.compliance_spec = dict(body["compliance"])
            self._start_compliance()
        elif kind == "period_report":
            self._observe(PeriodReport.from_body(body))

    def _forget_conduct(self) -> None:
        """Start phase-2 memory afresh (its own moves and what it saw of the others)."""
        self.my_moves.clear()
        self.others_defected.clear()
        self.payoffs.clear()
        self.defectors.clear()
        self.beliefs.clear()
        self.reports.clear()
        self.caught.clear()

    def _observe(self, report: PeriodReport) -> None:
        """Remember a period: its own move and payoff, the number of other defectors it infers
        (:mod:`agents.inference`), whether it was caught; then bring its picture of the terms up
        to date: its next fine (graduated sanctions), and, where detections are published, the
        others' mean next fine and the subsidy budget left (under ``private`` it projects the
        budget as if nobody were caught and prices the others' fines at the base fine)."""
        game = self.game
        self.my_moves.append("D" if report.my_move == "D" else "C")
        self.payoffs.append(report.payoff)
        self.reports.append(report)
        caught = report.fines_paid > 0 or (
            report.detected is not None and self.name in report.detected
        )
        self.caught.append(caught)
        if game is None:
            self.beliefs.append({0: 1.0})
            self.defectors.append(0)
            self.others_defected.append(False)
            return
        belief = posterior(game, report, self.name)
        count = mode(belief)
        self.beliefs.append(belief)
        self.defectors.append(count)
        self.others_defected.append(count >= 1)
        if report.budget_left is not None:  # published: the budget as it is
            budget = report.budget_left
        else:  # projected as if nobody were caught
            spent = game.n * min(game.subsidy, game.budget / game.n) if game.subsidy > 0 else 0.0
            budget = max(game.budget - spent, 0.0)
        self.game = dataclasses.replace(
            game,
            penalty=report.next_fine if report.next_fine is not None else game.penalty,
            base_penalty=report.peer_fine if report.peer_fine is not None else game.base_penalty,
            budget=budget,
            periods_left=max(game.periods_left - 1, 0),
        )
        if self.compliance is not None:
            self.compliance.game = self.game

    def _start_compliance(self) -> None:
        """A fresh instance of its compliance strategy (at the start, after a rotation or a
        fresh start); each later one draws from a stream of its own, not the first one's."""
        assert self.game is not None
        cls = resolve_compliance(str(self.compliance_spec["name"]))
        params = make_params(cls.Params, dict(self.compliance_spec.get("params", {})))
        self.compliance = cls(self.name, self.game, params, self.seed)
        if self.generation:
            self.compliance.rng = rng_for(
                self.seed, "agent", self.name, "compliance", str(self.generation)
            )
        self.generation += 1

    def _move(self, period: int) -> list[bytes]:
        if self.compliance is None:
            return []
        obs = PeriodObservation(
            period=period,
            my_moves=tuple(self.my_moves),
            others_defected=tuple(self.others_defected),
            payoffs=tuple(self.payoffs),
            defectors=tuple(self.defectors),
            beliefs=tuple(self.beliefs),
            reports=tuple(self.reports),
            caught=tuple(self.caught),
        )
        move = self.compliance.decide(obs)
        return [
            self.codec.pack(
                "action", {"kind": "move", "period": period, "move": move}, round_=period
            )
        ]


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
                sock.send(agent.codec.pack("heartbeat", {}))
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


def _recorder(name: str) -> Any:
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
