"""Joining: the wait for every party's hello and ``ready`` before the first round, and the
welcome of a restarted agent at a round or period boundary (docs/protocol.md §4, §15).

Functions of a :class:`~negotiator.mediator.session.Session`: they use its admission checks and
its bookkeeping, and are kept apart because they change for other reasons (the join's display and
watchdog, the rejoin's replay from a log).
"""

from __future__ import annotations

from collections.abc import Callable

from negotiator.errors import RunError
from negotiator.io.bus import Recorded
from negotiator.io.messages import Hello, Welcome
from negotiator.io.wire import Message, WireError
from negotiator.mediator.session import Session


def join(session: Session, welcome: Callable[[str], Welcome]) -> None:
    """Wait for every party's hello, welcome each with ``welcome(party)``, then wait until
    every agent has set up its strategy (its ``ready`` event) before the first round."""
    hellos: dict[str, Hello] = {}
    ready: set[str] = set()
    deadline = session.clock() + session.join_timeout
    shown: list[str] | None = None
    while len(ready) < len(session.participants):
        if session.on_waiting is not None:  # (a list of all the missing: only for a display)
            missing_now = [p for p in session.participants if p not in ready]
            if missing_now != shown:
                shown = missing_now
                session.on_waiting(missing_now)
        remaining = deadline - session.clock()
        if remaining <= 0:
            missing = ", ".join(p for p in session.participants if p not in ready)
            session.log.emit("join_timeout", missing=missing, seconds=session.join_timeout)
            session.log.flush()
            raise RunError(f"agents did not join within {session.join_timeout:g} s: {missing}")
        session.keepalive(list(hellos))
        if session.log.busy:  # refusals logged while waiting: bounded memory under a flood
            session.log.idle()
        raw = session.socket.recv(min(remaining, 0.5))
        if raw is None:
            gone = session.watchdog() if session.watchdog is not None else None
            if gone:
                session.log.emit("join_failed", agents=gone)
                session.log.flush()
                raise RunError(f"agent processes exited before joining: {gone}")
            continue
        got = _admitted(session, raw)
        if got is None:
            continue
        party, msg = got
        if msg.type == "hello" and party not in ready:
            # the newest hello counts: a restarted agent's numbering starts again, and the
            # welcome sent to the connection it replaced may have been lost
            session.last_seq[party] = msg.seq
            hellos[party] = Hello.from_wire(msg.body)
            session.send(party, welcome(party))
            continue
        if msg.seq > session.last_seq.get(party, 0):
            session.last_seq[party] = msg.seq
        if msg.type == "event" and msg.body.get("kind") == "ready" and party in hellos:
            ready.add(party)
        elif msg.type == "error":  # logged; a dead agent is caught by the watchdog/timeout
            session.log.emit("agent_error", party=party, message=str(msg.body.get("message")))
    for party in sorted(hellos):  # log in name order: arrival order is not deterministic
        hello = hellos[party]
        if hello.pid is not None:
            session.tally.pids[party] = hello.pid
        session.log.emit("agent_joined", party=party, pid=hello.pid, host=hello.host)
    session.log.flush()
    session.joined = True


def _admitted(
    session: Session, raw: tuple[bytes, bytes | Recorded, str | None]
) -> tuple[str, Message] | None:
    """A message received during the join, if it is one from a known party (others are
    refused and logged)."""
    identity, payload, authenticated = raw
    if isinstance(payload, Recorded):  # replay: a refusal as the log records it
        session.refused(payload.fields)
        return None
    party = session.identities.get(identity)
    if party is not None and authenticated is not None and authenticated != party:
        reason = f"the key of {authenticated!r} claims to be {party!r}"  # another's name
        session.refuse(reason, party, payload=payload)
        return None
    try:
        msg = session.codec.unpack(payload) if party else None
    except WireError:
        msg = None
    if party is None or msg is None or msg.sender != party:
        session.refuse(
            "malformed or unknown during join",
            party,
            payload=payload,
            identity=identity if party is None else None,
        )
        return None
    session.last_heard[party] = session.clock()
    return party, msg


def rejoiners(session: Session) -> list[str]:
    """Parties to welcome again now (replay: those the log says rejoined by now)."""
    if session.scripted is not None:
        return sorted(session.scripted.rejoining)
    return sorted(session.rejoining)


def rejoin(session: Session, party: str, welcome: Welcome) -> Hello | None:
    """Welcome ``party``'s new process with ``welcome`` and wait for it to be ready; its
    hello (None if it never got ready). What its old process missed stays missed."""
    hello = session.rejoining.pop(party, Hello(None, ""))
    if session.scripted is not None:
        session.scripted.rejoining.discard(party)
        session.scripted.lost.discard(party)
    session.outbox.pop(party, None)
    session.send(party, welcome)
    if not _ready(session, party):
        return None
    session.absent.discard(party)
    session.streaks.accepted(party)
    return hello


def _ready(session: Session, party: str) -> bool:
    """Wait (up to the join timeout) for ``party``'s ready event; other messages that arrive
    meanwhile are kept for later."""
    deadline = session.clock() + session.join_timeout
    kept: list[tuple[str, Message]] = []
    try:
        while (remaining := deadline - session.clock()) > 0:
            got = session.receive(remaining)
            if got is None:
                continue
            sender, msg = got
            if sender == party and msg.type == "event" and msg.body.get("kind") == "ready":
                return True
            kept.append(got)
        return False
    finally:
        session.deferred.extend(kept)
