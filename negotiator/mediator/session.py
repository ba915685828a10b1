"""The mediator's side of its connections: outbox, heartbeats, admission (identity, key, sender,
sequence numbers), refusals, rejection of actions and the wait for them (docs/protocol.md §4–§6,
§15–§17). The join and rejoin procedures over a session are in :mod:`negotiator.mediator.joining`.

A :class:`Session` is the :class:`negotiator.mediator.channel.Channel` every phase uses. It knows
parties, messages and deadlines, and nothing of negotiation or compliance: what an action means is
decided by the phase drivers with :mod:`negotiator.mediator.rules`.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from negotiator.config import Config
from negotiator.errors import DomainError
from negotiator.io.bus import Bus, Recorded, Scripted
from negotiator.io.eventlog import EventLog
from negotiator.io.messages import (
    END,
    EVENT,
    HEARTBEAT_S,
    REQUEST,
    Body,
    End,
    ErrorNotice,
    Event,
    Heartbeat,
    HeldEvent,
    Hello,
)
from negotiator.io.wire import Codec, Message, WireError
from negotiator.mediator import rules
from negotiator.mediator.channel import MEDIATOR, Tally
from negotiator.protocols import InvalidAction


class Session:
    """One run's connections to its participants (governments and the superior)."""

    def __init__(
        self,
        config: Config,
        socket: Bus,
        log: EventLog,
        participants: tuple[str, ...],
        *,
        join_timeout: float = 30.0,
        run_id: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        """The rules in force (the coordinator replaces it when a branch takes effect)."""
        self.socket = socket
        self.log = log
        self.participants = participants
        self.identities = {p.encode(): p for p in participants}
        self.join_timeout = join_timeout
        self.clock = clock
        """Wall clock for waiting deadlines (replay substitutes a virtual one)."""
        self.codec = Codec(MEDIATOR, run=run_id)
        self.tally = Tally(invalid_actions=dict.fromkeys(participants, 0))
        self.absent: set[str] = set()
        """Parties found gone (silent past ``mediator.heartbeat_timeout``) or expelled: their
        turns are forfeited at once, and in phase 2 they count as not complying."""
        self.expelled: set[str] = set()
        """Parties expelled (their ``end`` says so, unless they rejoined since)."""
        self.joined = False
        self.rejoining: dict[str, Hello] = {}
        """Parties whose agent was restarted (a new process said hello under their key): their
        old connection is gone; they are welcomed again at the next round or period."""
        self.outbox: dict[str, list[HeldEvent]] = {}
        """Events held back for each party until its next request (see :meth:`send`)."""
        self.last_heard: dict[str, float] = {}
        self.last_sent: dict[str, float] = {}
        self.last_seq: dict[str, int] = {}
        self.streaks = rules.Streaks()
        self.on_waiting: Callable[[list[str]], None] | None = None
        """Told who is still missing whenever that changes during the join (a live display)."""
        self.watchdog: Callable[[], str | None] | None = None
        """Reports agent processes that died before joining (set by the launcher's owner)."""
        self._next_keepalive = 0.0
        self.deferred: deque[tuple[str, Message]] = deque()
        """Messages received while waiting for a rejoining agent, handed out again later."""
        self.scripted = socket if isinstance(socket, Scripted) else None
        """Replay's bus, which says from the log who was lost and who rejoined."""

    # -- sending -------------------------------------------------------------------------------

    def send(self, party: str, body: Body, round_: int = 0) -> None:
        """Send one message. An event for a present party is held back and delivered inside
        its next request (field ``events``), or as ``event`` messages just before ``end``:
        agents only act on requests, so they see the same things in the same order, and every
        party gets one message per request instead of several (docs/protocol.md §5)."""
        type_ = body.message_type
        if isinstance(body, Event) and self.joined and party not in self.absent:
            self.outbox.setdefault(party, []).append(HeldEvent(round_, body))
            return
        wire = body.to_wire()
        if type_ == REQUEST:
            held = self.outbox.pop(party, None)
            if held:
                wire = {**wire, "events": [event.to_wire() for event in held]}
        elif type_ in (EVENT, END):  # whatever is held back goes first, in order
            for event in self.outbox.pop(party, ()):
                self._transmit(party, EVENT, event.event.to_wire(), event.round)
        # heartbeats, errors and welcomes leave the held events where they are
        self._transmit(party, type_, wire, round_)

    def _transmit(self, party: str, type_: str, wire: dict[str, Any], round_: int) -> None:
        self.socket.send(party.encode(), self.codec.pack(type_, wire, round_=round_))
        self.last_sent[party] = self.clock()

    def send_all(self, parties: Iterable[str], body: Body, round_: int = 0) -> None:
        """Send the same message to each of ``parties`` (its body packed once when no party has
        events held back for it)."""
        parties = list(parties)
        if isinstance(body, Event) or any(self.outbox.get(p) for p in parties):
            for party in parties:
                self.send(party, body, round_)
            return
        now = self.clock()
        wire, n = body.to_wire(), len(parties)
        payloads = self.codec.pack_same(body.message_type, wire, n, round_=round_)
        for party, payload in zip(parties, payloads, strict=True):
            self.socket.send(party.encode(), payload)
            self.last_sent[party] = now

    def keepalive(self, parties: Iterable[str] | None = None) -> None:
        """Heartbeats to every joined party we have not written to for a while (not logged).
        Looks at most ten times per heartbeat interval."""
        now = self.clock()
        if now < self._next_keepalive:
            return
        self._next_keepalive = now + HEARTBEAT_S / 10
        if parties is None:
            if not self.joined:
                return
            parties = self.participants
        for party in parties:
            quiet = now - self.last_sent.get(party, 0.0) >= HEARTBEAT_S
            if quiet and (party not in self.absent or party in self.rejoining):
                self.send(party, Heartbeat())

    # -- who is there --------------------------------------------------------------------------

    def is_lost(self, party: str) -> bool:
        """Has ``party`` been silent (no message, not even a heartbeat) for longer than the
        heartbeat timeout? Replay answers from the log (its bus knows who was lost)."""
        if self.scripted is not None:
            return party in self.scripted.lost
        if party in self.rejoining:  # its old process is gone: a new one has said hello
            return True
        heard = self.last_heard.get(party)
        return heard is None or self.clock() - heard > self.config.mediator.heartbeat_timeout

    def mark_absent(self, party: str, now: float) -> None:
        if party not in self.absent:
            self.absent.add(party)
            self.log.emit("agent_lost", party=party, t=now)

    def accepted(self, party: str) -> None:
        """An action of ``party`` was accepted: its run of rejections is over."""
        self.streaks.accepted(party)

    def reject(
        self,
        party: str,
        code: str,
        reason: str,
        round_: int,
        position: int,
        turn: Any = None,
        body: dict[str, Any] | None = None,
        sent_round: int | None = None,
    ) -> None:
        """Log and count an invalid or stale action and tell its sender why
        (:func:`rules.rejection`). The rejected ``body`` is logged as received, and so is the
        round of its header (``sent_round``) when it is not the ``round`` logged, so that a
        replay can send it again. ``mediator.expel_after`` rejections in a row, with no accepted
        action in between, expel the party."""
        self.tally.invalid_actions[party] += 1
        kind = "stale_action" if code == "stale" else "invalid_action"
        extra = {} if sent_round is None or sent_round == round_ else {"sent_round": sent_round}
        self.log.emit(
            kind, party=party, round=round_, turn=position, reason=reason, body=body, **extra
        )
        if party not in self.absent:
            streak = self.streaks.rejected(party, self.config.mediator.expel_after)
            if streak is not None:
                self.absent.add(party)
                self.expelled.add(party)
                self.log.emit("expelled", party=party, rejected=streak)
        self.send(party, rules.rejection(code, reason, turn), round_)

    # -- refusals ------------------------------------------------------------------------------

    def _note_refusals(self) -> None:
        """Log connections the ZAP allow-list refused since the last look (unknown keys)."""
        auth = self.socket.authenticator
        refused = auth.refused if auth is not None else 0
        if refused > self.tally.auth_refused:
            self.log.emit(
                "auth_refused",
                new=refused - self.tally.auth_refused,
                total=refused,
                reason="unknown CURVE key",
            )
            self.tally.auth_refused = refused

    def refuse(
        self,
        reason: str,
        party: str | None = None,
        *,
        payload: bytes,
        identity: bytes | None = None,
        reply: str | None = None,
    ) -> None:
        """Count and log a message refused before it reached any protocol: why, from whom (the
        routing identity in hex when it names no party), its size and SHA-256 (the bytes are not
        kept), and the code of the ``error`` sent back, if one is (docs/protocol.md §17)."""
        fields: dict[str, Any] = {"reason": reason}
        if party is not None:
            fields["party"] = party
        if identity is not None:
            fields["identity"] = identity.hex()
        fields["size"] = len(payload)
        fields["sha256"] = hashlib.sha256(payload).hexdigest()
        if reply is not None:
            fields["reply"] = reply
        self.refused(fields)

    def refused(self, fields: dict[str, Any]) -> None:
        """Log a refusal (made now, or :class:`Recorded` in the log being replayed) and send the
        ``error`` it calls for."""
        self.tally.rejected_messages += 1
        self.log.emit("rejected_message", **fields)
        party, reply = fields.get("party"), fields.get("reply")
        if isinstance(reply, str) and party in self.participants:
            self.send(str(party), ErrorNotice(reply, str(fields.get("reason"))))

    # -- receiving -----------------------------------------------------------------------------

    def receive(self, timeout_s: float) -> tuple[str, Message] | None:
        """The next well-formed message from a known party (others are logged and dropped).
        Waits at most one heartbeat interval, so callers loop until their own deadline."""
        self.keepalive()
        if self.deferred:
            return self.deferred.popleft()
        if self.log.busy:
            self.log.idle()  # the log's lines, made while the agents think
        got = self.socket.recv(min(timeout_s, HEARTBEAT_S))
        self._note_refusals()
        if got is None:
            return None
        identity, payload, authenticated = got
        if isinstance(payload, Recorded):  # replay: a refusal as the log records it
            self.refused(payload.fields)
            return None
        party = self.identities.get(identity)
        if party is None:
            self.refuse("unknown identity", payload=payload, identity=identity)
            return None
        if authenticated is not None and authenticated != party:
            reason = f"the key of {authenticated!r} claims to be {party!r}"
            self.refuse(reason, party, payload=payload)
            return None
        try:
            msg = self.codec.unpack(payload)
        except WireError as exc:
            self.refuse(str(exc), party, payload=payload, reply="malformed")
            return None
        if msg.sender != party:
            reason = f"claimed sender {msg.sender!r} differs from the connection's party"
            self.refuse(reason, party, payload=payload, reply="sender")
            return None
        self.last_heard[party] = self.clock()
        if msg.type == "hello":
            if msg.seq == 1 and self.joined:  # a restarted agent: welcomed at the next round
                self.last_seq[party] = 1
                self.rejoining.setdefault(party, Hello.from_wire(msg.body))
            else:
                reason = f"a hello with sequence number {msg.seq} from a party already joined"
                self.refuse(reason, party, payload=payload)
            return None
        if msg.seq <= self.last_seq.get(party, 0):
            reason = f"replayed or out-of-order sequence number {msg.seq}"
            self.refuse(reason, party, payload=payload)
            return None
        self.last_seq[party] = msg.seq
        if msg.type == "heartbeat":
            return None
        if msg.type == "error":
            self.log.emit("agent_error", party=party, message=str(msg.body.get("message")))
            return None
        return party, msg

    def actions(
        self, timeout: float, wanted: Callable[[], bool] = lambda: True
    ) -> Iterator[tuple[str, Message]]:
        """Each action message that arrives within ``timeout`` seconds, while ``wanted()``
        holds (checked before every wait). The wait loop of every request the mediator makes."""
        deadline = self.clock() + timeout
        while wanted():
            remaining = deadline - self.clock()
            if remaining <= 0:
                return
            got = self.receive(remaining)
            if got is not None and got[1].type == "action":
                yield got

    def collect(
        self,
        kind: str,
        parties: set[str],
        timeout: float,
        check: Callable[[str, dict[str, Any]], Any],
    ) -> dict[str, Any]:
        """Wait (up to ``timeout`` s) for one ``kind`` action from each of ``parties``; answer
        invalid ones with an error and let the sender try again. Returns party → checked value."""
        answers: dict[str, Any] = {}
        attempts = rules.Attempts(self.config.negotiation.invalid_limit)
        waiting = set(parties)  # a party that used up its attempts is no longer waited for
        for sender, msg in self.actions(timeout, lambda: len(answers) < len(waiting)):
            if sender not in waiting or sender in answers or msg.body.get("kind") != kind:
                self.reject(
                    sender,
                    "stale",
                    f"no {msg.body.get('kind')!r} action expected now",
                    msg.round,
                    -1,
                    body=msg.body,
                )
                continue
            try:
                answers[sender] = check(sender, msg.body)
                self.accepted(sender)
            except (InvalidAction, DomainError, KeyError, TypeError, ValueError) as exc:
                last = attempts.fail(sender)
                self.reject(
                    sender,
                    "forfeited" if last else "invalid_action",
                    str(exc),
                    msg.round,
                    -1,
                    turn=-1,
                    body=msg.body,
                )
                if last:
                    waiting.discard(sender)
        return answers

    def end(self) -> None:
        """Tell every participant the run is over (an expelled one, that it was expelled)."""
        for party in self.participants:
            expelled = party in self.expelled and party in self.absent
            self.send(party, End("expelled" if expelled else "finished"))
        self.log.flush()
