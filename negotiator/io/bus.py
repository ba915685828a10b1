"""The ZeroMQ bus: a ROUTER socket for the mediator, DEALER sockets for agents.

Transports: ``ipc`` (a socket file in a private temporary directory), ``tcp`` (loopback, a port
chosen by the OS) and ``inproc`` (agents as threads sharing the mediator's context; same code path).
Waiting is a receive with a timeout (``RCVTIMEO``) and a deadline, never a sleep loop.
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

from negotiator.io.security import ClientSecurity, PartyAuthenticator, ServerSecurity

Transport = Literal["ipc", "tcp", "inproc", "direct"]
"""``direct``: no socket at all (:mod:`negotiator.runtime.direct`)."""
#: Flags as plain ints (combining pyzmq's enum flags costs more than the send itself).
_NOBLOCK = int(zmq.NOBLOCK)
_NOBLOCK_MORE = int(zmq.NOBLOCK | zmq.SNDMORE)
_RCVTIMEO = int(zmq.RCVTIMEO)


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


class MediatorSocket:
    """The mediator's ROUTER socket: receives ``(identity, payload, party)``, sends to an
    identity. With ``security`` it is a CURVE server behind a ZAP allow-list, and ``party`` is the
    party the client's key belongs to (None without CURVE)."""

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
        sock = self.context.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        # with CURVE the routing id is not trusted: no take-over of another connection's id
        sock.setsockopt(zmq.ROUTER_HANDOVER, 0 if security else 1)
        sock.setsockopt(zmq.MAXMSGSIZE, max_bytes)
        if security is not None:
            self.authenticator = PartyAuthenticator(self.context, security.parties)
            self.authenticator.start()
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
                    if len(frames) == 2:
                        return frames[0].bytes, frames[1].bytes, str(frames[1].get("User-Id"))
                    continue  # not a DEALER frame pair: ignore silently at this layer
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
                return parts[0], parts[1], None

    def send(self, identity: bytes, payload: bytes) -> None:
        # a peer that is gone or whose queue is full will be treated as silent
        try:
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


class AgentSocket:
    """An agent's DEALER socket, identified on the bus by its party name (a CURVE client with
    ``security``)."""

    def __init__(
        self,
        endpoint: str,
        name: str,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
        security: ClientSecurity | None = None,
    ) -> None:
        self.context = context or zmq.Context()
        self._own_context = context is None
        sock = self.context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 1000)
        sock.setsockopt(zmq.ROUTING_ID, name.encode())
        if security is not None:
            sock.curve_serverkey = security.server_public
            sock.curve_publickey = security.public
            sock.curve_secretkey = security.secret
        sock.connect(endpoint)
        self.socket = sock
        self._timeout_ms = -1

    def recv(self, timeout_s: float) -> bytes | None:
        """The next message within ``timeout_s`` seconds, or None (a receive with a timeout)."""
        wait_ms = max(int(timeout_s * 1000), 0)
        if wait_ms != self._timeout_ms:
            self.socket.setsockopt(_RCVTIMEO, wait_ms)
            self._timeout_ms = wait_ms
        try:
            return self.socket.recv()
        except zmq.Again:
            return None

    def send(self, payload: bytes) -> None:
        self.socket.send(payload)

    def close(self) -> None:
        self.socket.close()
        if self._own_context:
            self.context.term()
