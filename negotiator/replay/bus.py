"""The replay bus: stands in for the mediator's socket and answers it from a log's script.

The mediator cannot tell it from a live :class:`negotiator.io.bus.MediatorSocket`: it receives
each request and answers it with the actions the log records (refused ones re-sent), on a
:class:`~negotiator.io.bus.VirtualClock`. Where a live mediator would time heartbeats or ask the
ZAP authenticator, it consults the attributes ``lost``, ``rejoining`` and ``authenticator`` of
this bus, which say what the log records. With re-created agents, every message is also handed
to the addressee's agent and its answers compared with the recorded ones (or, after
:meth:`ReplayBus.go_live`, passed to the mediator).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any, Protocol

from negotiator.io.bus import Recorded, VirtualClock
from negotiator.io.wire import Codec, Message
from negotiator.replay.script import Exchange, Inject, Script, Sent, Template


class ReplayExhausted(Exception):
    """The log has no more recorded actions: it was cut short."""


class ReplayAgent(Protocol):
    """An agent run in this process (:class:`negotiator.agents.process.Agent`), as the bus drives
    it."""

    codec: Codec

    def handle(self, msg: Message) -> tuple[list[bytes], bool]: ...


class ReplayBus:
    """Stands in for the mediator's socket: answers each request from the recorded script.

    With ``agents`` (in-process agents, :class:`ReplayAgent`) every message the mediator
    sends is also handed to the addressee's agent: in re-execution their answers are compared with
    the recorded ones; after :meth:`go_live` (a branch) their answers are what the mediator gets.
    """

    endpoint = "replay://"

    def __init__(
        self,
        participants: list[str],
        script: Script,
        clock: VirtualClock,
        agents: dict[str, ReplayAgent] | None = None,
        welcomes: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.script = script.exchanges
        self.clock = clock
        self.codecs = {p: Codec(sender=p) for p in participants}
        self.reader = Codec("replay")
        self.queue: deque[tuple[bytes, bytes | Recorded, str | None]] = deque()
        self.dead = script.dead
        """What the launcher's watchdog reported (``join_failed``), if it did."""
        self.pending: dict[str, Message] = {}
        self.agents = agents
        self.welcomes = welcomes or {}
        self.live = False
        self.expected: dict[str, deque[tuple[int, Template]]] = {p: deque() for p in participants}
        self.produced: dict[str, deque[dict[str, Any]]] = {p: deque() for p in participants}
        self.mismatches: list[str] = []
        self.lost: set[str] = set()
        """Who the log says was gone (the mediator asks instead of timing heartbeats)."""
        self.rejoining: set[str] = set()
        """Who the log says came back (welcomed again at the next round or period)."""
        self.unready: set[str] = set()
        """Of those, who the log says never got ready (``rejoin_failed``)."""
        self.authenticator = _ScriptedRefusals()
        """Stands in for the ZAP authenticator: refusals as the log records them."""
        self.ended: set[str] = set()
        """Re-created agents that have left."""
        self.failure: str | None = None
        """Why re-execution stopped, if the mediator met what the log could not answer."""
        self.check_from = 0
        """Agents' decisions are compared from this log line on (a branch's own part)."""
        for inject in script.early:  # the join as logged: refusals and errors, then the hellos
            self._inject(inject)
        for p in sorted(participants):
            if p not in script.withheld:
                hello = self.codecs[p].pack("hello", {"pid": 0, "host": "replay"})
                self.queue.append((p.encode(), hello, None))

    def go_live(self) -> None:
        """From now on the in-process agents answer (a branch continues live). Each agent's
        message numbering continues after the replayed one's, as the mediator expects."""
        self.live = True
        self.script.clear()
        self.pending.clear()
        for party, agent in (self.agents or {}).items():
            agent.codec.continue_after(self.codecs[party].seq)

    def send(self, identity: bytes, payload: bytes) -> None:
        party = identity.decode()
        msg = self.reader.unpack(payload)
        if not self.live:
            if msg.type == "welcome" and party in self.unready:
                self.unready.discard(party)  # the log says it never got ready
            elif msg.type == "welcome":
                self._push(party, "event", {"kind": "ready"}, 0)
            elif msg.type == "request":
                self.pending[party] = msg
                if all(p in self.pending for p in self._expected().parties):
                    self._answer()
        if self.agents is not None and party in self.agents:
            self._feed(party, msg, payload)

    def _feed(self, party: str, msg: Message, payload: bytes) -> None:
        agent = self.agents[party] if self.agents is not None else None
        if agent is None or party in self.ended:
            return  # an agent that has left (its strategy failed, or the run ended) hears nothing
        if msg.type == "welcome" and party in self.welcomes:
            msg = Message(
                type="welcome",
                sender=msg.sender,
                body=self.welcomes[party],
                run=msg.run,
                round=msg.round,
                seq=msg.seq,
            )
        replies, done = agent.handle(msg)
        if done:
            self.ended.add(party)
        for reply in replies:
            answer = self.reader.unpack(reply)
            if answer.type == "event" and answer.body.get("kind") == "ready":
                if self.live:
                    self.queue.append((party.encode(), reply, None))
                continue
            if self.live:
                self.queue.append((party.encode(), reply, None))
            else:
                self.produced[party].append({"type": answer.type, **answer.body})
                self._match(party)

    def _match(self, party: str) -> None:
        expected, produced = self.expected[party], self.produced[party]
        while expected and produced:
            line, want = expected.popleft()
            got = produced.popleft()
            if line < self.check_from:
                continue  # before a branch point: the parent's agents decided
            if want is None:
                self.mismatches.append(
                    f"line {line}: {party} was silent in the log but would now send {got}"
                )
            elif want.get("type") == "error":  # it failed in the log: it must fail again
                if got.get("type") != "error":
                    self.mismatches.append(
                        f"line {line}: {party} reported an error in the log but would now "
                        f"send {_brief(got)}"
                    )
            elif got.get("type") != "action" or any(got.get(k) != v for k, v in want.items()):
                self.mismatches.append(
                    f"line {line}: {party} would send {_brief(got)} instead of the recorded "
                    f"{_brief(want)}"
                )
        while expected and expected[0][1] is None and not produced:
            expected.popleft()  # silence recorded, silence produced

    def _expected(self) -> Exchange:
        if not self.script:
            raise ReplayExhausted
        return self.script[0]

    def _answer(self) -> None:
        exchange = self.script.popleft()
        self.lost |= exchange.lost
        self.rejoining |= exchange.rejoined
        self.unready |= exchange.unready
        self.authenticator.refused += exchange.refused
        requests = {p: self.pending.pop(p) for p in exchange.parties}
        answered: set[str] = set()
        for response in exchange.responses:
            if isinstance(response, Inject):
                self._inject(response, exchange.line)
                continue
            if isinstance(response, Sent):
                answered.add(response.party)
                self.expected[response.party].append((exchange.line, response.body))
                if response.body is not None:
                    self._push(response.party, "action", response.body, response.round)
                continue
            party, body = response
            answered.add(party)
            self.expected[party].append((exchange.line, body))
            if body is None:
                continue
            request = requests.get(party) or next(iter(requests.values()))
            filled = dict(body)
            if filled.get("kind") in ("vote", "ratify") and "text_id" not in filled:
                filled |= {k: request.body[k] for k in ("session", "round", "text_id")}
            self._push(party, "action", filled, request.round)
        for party in exchange.parties:
            if party not in answered:  # the log says this party stayed silent
                self.expected[party].append((exchange.line, None))
        for party in exchange.parties:
            self._match(party)

    def _inject(self, inject: Inject, line: int = 0) -> None:
        """Queue a recorded refusal, or a party's error report (which its re-created agent, if
        any, must also send)."""
        if inject.party is None:
            self.queue.append((b"", Recorded(inject.fields), None))
            return
        self.expected[inject.party].append((line, {"type": "error"}))
        self._push(inject.party, "error", inject.fields, 0)

    def _push(self, party: str, type_: str, body: dict[str, Any], round_: int) -> None:
        payload = self.codecs[party].pack(type_, body, round_=round_)
        self.queue.append((party.encode(), payload, None))

    def recv(self, timeout_s: float) -> tuple[bytes, bytes | Recorded, str | None] | None:
        if self.queue:
            return self.queue.popleft()
        if not self.live and self.pending and not self.script:
            raise ReplayExhausted
        self.clock.now += max(timeout_s, 1e-6)  # nobody answers: the wait runs out at once
        return None

    def leftovers(self) -> list[str]:
        """Recorded actions no agent produced, and actions produced where the log has none."""
        out = []
        for party in self.expected:
            for line, want in self.expected[party]:
                if want is not None:
                    out.append(f"line {line}: {party} did not send the recorded {_brief(want)}")
            for got in self.produced[party]:
                out.append(f"{party} would send {_brief(got)} where the log records nothing")
        return out

    def close(self) -> None:
        pass


class _ScriptedRefusals:
    refused = 0


def _brief(body: dict[str, Any]) -> str:
    keys = ("kind", "accept", "move", "turn", "period", "outcome", "resources", "text")
    return json.dumps({k: body[k] for k in keys if k in body}, ensure_ascii=False)[:300]
