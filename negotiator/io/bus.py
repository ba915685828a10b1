"""The ZeroMQ bus: a ROUTER socket for the mediator, DEALER sockets for agents.

Transports: ``ipc`` (a socket file in a private temporary directory), ``tcp`` (loopback, a port
chosen by the OS) and ``inproc`` (agents as threads sharing the mediator's context; same code path).
Waiting is a receive with a timeout (``RCVTIMEO``) and a deadline, never a sleep loop.

An agent host (:mod:`negotiator.agents.host`) puts many parties behind one :class:`HostSocket`:
each of its messages is an *envelope*, ``[party, payload]`` from the host (``[host routing id,
party, payload]`` at the ROUTER), and the mediator's socket unwraps it, so the mediator sees a
party as it does an agent of its own (docs/protocol.md §1).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import zmq

from negotiator.io.security import (
    ClientSecurity,
    PartyAuthenticator,
    ServerSecurity,
    host_user_id,
)

Transport = Literal["ipc", "tcp", "inproc", "direct"]
"""``direct``: no socket at all (:mod:`negotiator.runtime.direct`)."""
#: Flags as plain ints (combining pyzmq's enum flags costs more than the send itself).
_NOBLOCK = int(zmq.NOBLOCK)
_NOBLOCK_MORE = int(zmq.NOBLOCK | zmq.SNDMORE)
_RCVTIMEO = int(zmq.RCVTIMEO)
_SNDMORE = int(zmq.SNDMORE)
MAX_ROUTES = 100_000
"""At most this many parties routed through hosts (memory stays bounded under a flood of
envelopes naming made-up parties, which only a connection without CURVE can send)."""


@dataclass(frozen=True)
class Recorded:
    """Replay's stand-in for a message the mediator refused: the refusal as the log records it
    (the refused bytes are not kept, only their size and SHA-256; docs/protocol.md §17)."""

    fields: dict[str, Any] = field(default_factory=dict)


class RefusalCount(Protocol):
    """Counts connections the ZAP allow-list refused (unknown CURVE keys)."""

    refused: int


class Bus(Protocol):
    """What the mediator needs of its socket (a :class:`MediatorSocket`, or replay's stand-in)."""

    endpoint: str

    @property
    def authenticator(self) -> RefusalCount | None:
        """Refusals by the allow-list, if there is one (CURVE)."""
        ...

    def recv(self, timeout_s: float) -> tuple[bytes, bytes | Recorded, str | None] | None:
        """(routing identity, payload, authenticated party or None without CURVE); replay's
        bus gives a :class:`Recorded` refusal in place of a payload."""
        ...

    def send(self, identity: bytes, payload: bytes) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Scripted(Protocol):
    """Replay's optional hooks: a bus that answers from a log also says which parties the run
    being replayed lost (``agent_lost``) and which rejoined (``agent_rejoined``) by now. The
    mediator asks the bus instead of its own clock and connections when the bus has them."""

    lost: set[str]
    rejoining: set[str]


class VirtualClock:
    """A clock that moves only when the bus waits in vain (replay's bus, the direct bus): the
    mediator's waits then pass at once instead of in wall time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class MediatorSocket:
    """The mediator's ROUTER socket: receives ``(identity, payload, party)``, sends to an
    identity. With ``security`` it is a CURVE server behind a ZAP allow-list, and ``party`` is the
    party the client's key belongs to (None without CURVE).

    An envelope from a host is received as ``(party, payload, ...)``, and the socket remembers
    the route: later messages to that party go to that host's connection, wrapped. With CURVE the
    route is learnt only from a host whose key may speak for the party; for another party the
    third element is the host's ``User-Id`` (``@NAME``), which differs from the party, so the
    session refuses the message as it refuses an agent claiming another's name."""

    def __init__(
        self,
        transport: Transport,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
        *,
        max_bytes: int = 1 << 20,
        bind: str | None = None,
        security: ServerSecurity | None = None,
    ) -> None:
        self.context = context or zmq.Context()
        self._own_context = context is None
        self.transport = transport
        self._tmpdir: str | None = None
        self.secure = security is not None
        self.authenticator: PartyAuthenticator | None = None
        self.routes: dict[bytes, bytes] = {}
        """Party → the routing id of the host connection that speaks for it."""
        self._speaks_for: dict[str, frozenset[bytes]] = {}
        """A host key's ``User-Id`` → the parties it may speak for (CURVE)."""
        sock = self.context.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        # with CURVE the routing id is not trusted: no take-over of another connection's id
        sock.setsockopt(zmq.ROUTER_HANDOVER, 0 if security else 1)
        sock.setsockopt(zmq.MAXMSGSIZE, max_bytes)
        if security is not None:
            self.authenticator = PartyAuthenticator(self.context, security.parties, security.hosts)
            self.authenticator.start()
            self._speaks_for = {
                host_user_id(h): frozenset(p.encode() for p in key.parties)
                for h, key in security.hosts.items()
            }
            sock.curve_server = True
            sock.curve_secretkey = security.secret
        if bind is None:
            bind = self._default_address(transport)
        sock.bind(bind)
        self.endpoint: str = sock.getsockopt_string(zmq.LAST_ENDPOINT)
        self.socket = sock
        self._timeout_ms = -1

    def _default_address(self, transport: Transport) -> str:
        if transport == "ipc":
            self._tmpdir = tempfile.mkdtemp(prefix="negotiator-")
            os.chmod(self._tmpdir, 0o700)
            return f"ipc://{self._tmpdir}/mediator.sock"
        if transport == "tcp":
            return "tcp://127.0.0.1:0"
        if transport == "inproc":
            return f"inproc://negotiator-{uuid.uuid4().hex}"
        raise ValueError(f"unknown transport {transport!r}")

    def recv(self, timeout_s: float) -> tuple[bytes, bytes, str | None] | None:
        """The next ``(identity, payload, party)`` within ``timeout_s`` seconds, or None.
        A blocking receive with a timeout (``RCVTIMEO``): one call, no separate poll."""
        deadline = time.monotonic() + max(timeout_s, 0.0)
        sock = self.socket
        while True:
            wait_ms = max(int((deadline - time.monotonic()) * 1000), 0)
            if wait_ms != self._timeout_ms:
                sock.setsockopt(_RCVTIMEO, wait_ms)
                self._timeout_ms = wait_ms
            try:
                if self.secure:  # frames, for the User-Id the ZAP handler set
                    frames = sock.recv_multipart(copy=False)
                    user = str(frames[-1].get("User-Id"))
                    if len(frames) == 2:
                        identity = frames[0].bytes
                        if self.routes and user == identity.decode(errors="replace"):
                            self.routes.pop(identity, None)  # the party's own agent now
                        return identity, frames[1].bytes, user
                    if len(frames) == 3:
                        return self._enveloped(frames[0].bytes, frames[1].bytes, frames[2], user)
                    continue  # neither a DEALER's frame nor an envelope: ignore at this layer
                frame = sock.recv(copy=False)  # a frame says whether more follow (no getsockopt)
                parts = [frame.bytes]
                while frame.more:
                    frame = sock.recv(copy=False)
                    parts.append(frame.bytes)
            except zmq.Again:
                if deadline - time.monotonic() <= 0:
                    return None
                continue
            if len(parts) == 2:
                if self.routes:
                    self.routes.pop(parts[0], None)  # the party's own agent now
                return parts[0], parts[1], None
            if len(parts) == 3:
                return self._enveloped(parts[0], parts[1], parts[2], None)

    def _enveloped(
        self, host: bytes, party: bytes, payload: bytes | zmq.Frame, user: str | None
    ) -> tuple[bytes, bytes, str | None]:
        """A host's envelope as ``(party, payload, authenticated)``, learning the route to
        ``party`` if the host's key (``user``, None without CURVE) may speak for it."""
        data = payload if isinstance(payload, bytes) else payload.bytes
        if user is not None:
            if party not in self._speaks_for.get(user, ()) and user.encode() != party:
                return party, data, user  # not its party: the session refuses it
            authenticated: str | None = party.decode()
        else:
            authenticated = None
        if self.routes.get(party) != host and (
            party in self.routes or len(self.routes) < MAX_ROUTES
        ):
            self.routes[party] = host
        return party, data, authenticated

    def send(self, identity: bytes, payload: bytes) -> None:
        """Send ``payload`` to a party: to its own connection, or wrapped in an envelope to the
        host that speaks for it."""
        # a peer that is gone or whose queue is full will be treated as silent
        route = self.routes.get(identity)
        try:
            if route is not None:
                self.socket.send(route, _NOBLOCK_MORE)
            self.socket.send(identity, _NOBLOCK_MORE)
            self.socket.send(payload, _NOBLOCK)
        except zmq.Again:
            pass

    def close(self) -> None:
        self.socket.close(linger=0)
        if self.authenticator is not None:
            self.authenticator.stop()
        if self._own_context:
            self.context.term()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)


class _Dealer:
    """A DEALER socket connected to the mediator with ``routing_id`` (a CURVE client with
    ``security``): what an agent's and a host's sockets share."""

    def __init__(
        self,
        endpoint: str,
        routing_id: bytes,
        context: zmq.Context[zmq.Socket[bytes]] | None,
        security: ClientSecurity | None,
    ) -> None:
        self.context = context or zmq.Context()
        self._own_context = context is None
        sock = self.context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 1000)
        sock.setsockopt(zmq.ROUTING_ID, routing_id)
        if security is not None:
            sock.curve_serverkey = security.server_public
            sock.curve_publickey = security.public
            sock.curve_secretkey = security.secret
        sock.connect(endpoint)
        self.socket = sock
        self._timeout_ms = -1

    def _wait_at_most(self, timeout_s: float) -> None:
        """Let the next receive wait ``timeout_s`` seconds (``RCVTIMEO``, set only if changed)."""
        wait_ms = max(int(timeout_s * 1000), 0)
        if wait_ms != self._timeout_ms:
            self.socket.setsockopt(_RCVTIMEO, wait_ms)
            self._timeout_ms = wait_ms

    def close(self) -> None:
        self.socket.close()
        if self._own_context:
            self.context.term()


class AgentSocket(_Dealer):
    """An agent's DEALER socket, identified on the bus by its party name (a CURVE client with
    ``security``)."""

    def __init__(
        self,
        endpoint: str,
        name: str,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
        security: ClientSecurity | None = None,
    ) -> None:
        super().__init__(endpoint, name.encode(), context, security)

    def recv(self, timeout_s: float) -> bytes | None:
        """The next message within ``timeout_s`` seconds, or None (a receive with a timeout)."""
        self._wait_at_most(timeout_s)
        try:
            return self.socket.recv()
        except zmq.Again:
            return None

    def send(self, payload: bytes) -> None:
        self.socket.send(payload)


class HostSocket(_Dealer):
    """An agent host's DEALER socket: many parties behind one connection, every message an
    envelope ``[party, payload]``. Its routing id, ``@NAME/`` and 8 random hex digits, is never a
    party name and differs on every connection (a restarted host can connect at once, even under
    CURVE, where a connection cannot take over another's routing id)."""

    def __init__(
        self,
        endpoint: str,
        name: str,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
        security: ClientSecurity | None = None,
    ) -> None:
        self.routing_id = f"{host_user_id(name)}/{uuid.uuid4().hex[:8]}".encode()
        super().__init__(endpoint, self.routing_id, context, security)

    def recv(self, timeout_s: float) -> list[bytes] | None:
        """The frames of the next message within ``timeout_s`` seconds (``[party, payload]``
        if well formed), or None."""
        self._wait_at_most(timeout_s)
        try:
            return self.socket.recv_multipart()
        except zmq.Again:
            return None

    def send(self, party: bytes, payload: bytes) -> None:
        """Send ``payload`` as ``party``."""
        self.socket.send(party, _SNDMORE)
        self.socket.send(payload)
