"""The agent host: many parties' :class:`~negotiator.agents.agent.Agent`\\ s behind one socket.

Like a JADE container, one OS process plays several parties (hundreds, in a negotiation of a
thousand governments spread over a few processes). It has one DEALER socket
(:class:`negotiator.io.bus.HostSocket`) and one loop; every message is an envelope naming its
party (docs/protocol.md §1), which the mediator's socket unwraps, so to the mediator each party
is an agent like any other: its own hello, welcome, sequence numbers, heartbeats and absence.

The host says hello for each party, hands each incoming message to its party's agent (a
malformed one, or one for a party it does not play, is dropped with a line on stderr), sends the
replies in envelopes, and sends a party a heartbeat only when it has written nothing for that
party for :data:`~negotiator.io.messages.HEARTBEAT_S`. A party whose strategy fails reports its
error and is no longer played while the others go on (a failure while setting up, on a welcome,
ends the host: the run cannot start without that party). The host exits when all its parties are
done, when its parent dies (``watch_parent``), or when the mediator goes silent.

Run it as ``python -m negotiator.agents --connect ENDPOINT --names A,B,... [--host NAME]``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import zmq

from negotiator.agents.agent import Agent
from negotiator.agents.process import (
    POLL_S,
    TIMING_ENV,
    Liveness,
    Notify,
    Timing,
    ending,
    from_mediator,
    recorder,
)
from negotiator.io.bus import HostSocket
from negotiator.io.messages import HEARTBEAT_S, Heartbeat, pack
from negotiator.io.security import ClientSecurity
from negotiator.io.wire import Message

__all__ = ["run_host"]

#: How often the host looks for parties that need a heartbeat (a scan of all of them).
BEAT_CHECK_S = HEARTBEAT_S / 4

Outcome = Literal["playing", "done", "failed", "failed_at_welcome"]
"""Where a party stands after a message."""


@dataclass
class _Party:
    """One hosted party: its agent, when the host last wrote for it, and its diagnostics."""

    agent: Agent
    key: bytes
    last_sent: float = 0.0
    record: Callable[[Message], None] | None = None
    timing: Timing | None = None
    joined: bool = False
    """Welcomed."""
    ended: str = ""
    """Why it left (:func:`~negotiator.agents.process.ending`), once its ``end`` came."""


def run_host(
    endpoint: str,
    names: Sequence[str],
    *,
    host: str = "host",
    context: zmq.Context[zmq.Socket[bytes]] | None = None,
    idle_timeout: float = 5.0,
    join_timeout: float = 60.0,
    watch_parent: bool = False,
    parent: int | None = None,
    security: ClientSecurity | None = None,
    stop: threading.Event | None = None,
    notify: Notify | None = None,
) -> int:
    """Play the parties ``names`` (the host ``host``) until the mediator ends the run. The exit
    code: 0 every party done, 1 a party's strategy failed (the others played on, unless it failed
    on its welcome), 3 the mediator went silent or, with ``watch_parent``, the parent died (as
    :func:`negotiator.agents.process.run_agent`). ``notify`` is told when every party has joined
    and why the host left (:data:`~negotiator.agents.process.Notify`: ``"run finished"``, or
    ``"run finished; expelled: wuyi"``)."""
    sock = HostSocket(endpoint, host, context, security)
    timed = bool(os.environ.get(TIMING_ENV))
    parties = {
        name.encode(): _Party(Agent(name), name.encode(), 0.0, recorder(name), None)
        for name in names
    }
    if timed:
        for party in parties.values():
            party.timing = Timing(party.agent.name)
    liveness = Liveness(
        f"host {host}", idle_timeout, join_timeout, watch_parent, parent, say=notify is None
    )
    try:
        now = time.monotonic()
        for party in parties.values():
            sock.send(party.key, party.agent.hello())
            party.last_sent = now
        return _serve(sock, parties, liveness, stop, f"host {host}", notify or (lambda _: None))
    finally:
        sock.close()
        for party in parties.values():
            if party.timing is not None:
                party.timing.save()


def _serve(
    sock: HostSocket,
    parties: dict[bytes, _Party],
    liveness: Liveness,
    stop: threading.Event | None,
    who: str,
    tell: Notify,
) -> int:
    """The loop: messages in, replies out, heartbeats, until every party is done."""
    playing = dict(parties)
    failed = False
    joined = False
    next_beat = time.monotonic() + BEAT_CHECK_S
    while playing:
        if stop is not None and stop.is_set():
            return 3
        now = time.monotonic()
        if now >= next_beat:
            _heartbeats(sock, playing, now)
            next_beat = now + BEAT_CHECK_S
        try:
            frames = sock.recv(POLL_S)
        except zmq.ZMQError:  # the context was terminated under us
            return 3
        if frames is None:
            if liveness.gone():
                tell(liveness.why)
                return 3
            continue
        liveness.hear()
        party = playing.get(frames[0]) if len(frames) == 2 else None
        if party is None:
            _dropped(frames, parties, who)
            continue
        outcome = _handle(sock, party, frames[1])
        if not joined and all(p.joined for p in parties.values()):
            joined = True
            tell("joined")
        if outcome == "playing":
            continue
        del playing[party.key]
        if outcome == "failed_at_welcome":
            tell(f"strategy failed ({party.agent.name})")
            return 1  # the run cannot start (or go on) without it
        failed = failed or outcome == "failed"
    tell(_ended(parties))
    return 1 if failed else 0


def _ended(parties: dict[bytes, _Party]) -> str:
    """Why the host left when every party was done: the run finished, and who was expelled or
    failed."""
    expelled = [p.agent.name for p in parties.values() if p.ended == "expelled"]
    failed = [p.agent.name for p in parties.values() if p.agent.failed]
    notes = [f"expelled: {', '.join(expelled)}"] if expelled else []
    notes += [f"strategy failed: {', '.join(failed)}"] if failed else []
    return "; ".join(["run finished", *notes])


def _handle(sock: HostSocket, party: _Party, data: bytes) -> Outcome:
    """Hand one message to its party's agent and send the replies."""
    received = time.perf_counter()
    msg = from_mediator(party.agent, data)
    if msg is None:
        return "playing"
    if party.record is not None:
        party.record(msg)
    replies, done = party.agent.handle(msg)
    for reply in replies:
        sock.send(party.key, reply)
    if replies:
        party.last_sent = time.monotonic()
    if party.timing is not None and msg.type == "request":
        party.timing.add(str(msg.body.get("kind")), time.perf_counter() - received)
    if msg.type == "welcome" and not party.agent.failed:
        party.joined = True
    if not done:
        return "playing"
    if msg.type == "end":
        party.ended = ending(msg.body.get("status"))
    if not party.agent.failed:
        return "done"
    return "failed_at_welcome" if msg.type == "welcome" else "failed"


def _heartbeats(sock: HostSocket, playing: dict[bytes, _Party], now: float) -> None:
    """A heartbeat for each party the host has not written for in :data:`HEARTBEAT_S`."""
    for party in playing.values():
        if now - party.last_sent >= HEARTBEAT_S:
            sock.send(party.key, pack(party.agent.codec, Heartbeat()))
            party.last_sent = now


def _dropped(frames: list[bytes], parties: dict[bytes, _Party], who: str) -> None:
    """Say on stderr why a message was dropped (not an envelope, or not for a party played)."""
    if len(frames) != 2:
        why = f"a message of {len(frames)} frames, not an envelope"
    elif frames[0] in parties:
        return  # a party already done (its end, or its failure): nothing to say
    else:
        why = f"a message for {frames[0][:40]!r}, a party this host does not play"
    print(f"{who}: dropped {why}", file=sys.stderr)
