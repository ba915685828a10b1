"""The ZeroMQ bus: a ROUTER socket for the mediator, DEALER sockets for agents.

Transports: ``ipc`` (a socket file in a private temporary directory), ``tcp`` (loopback, a port
chosen by the OS) and ``inproc`` (agents as threads sharing the mediator's context; same code path).
Waiting is done with ``zmq.Poller`` and a deadline, never with sleep loops.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import uuid
from typing import Literal, Protocol

import zmq

Transport = Literal["ipc", "tcp", "inproc"]


class Bus(Protocol):
    """What the mediator needs of its socket (a :class:`MediatorSocket`, or replay's stand-in)."""

    endpoint: str

    def recv(self, timeout_s: float) -> tuple[bytes, bytes] | None: ...

    def send(self, identity: bytes, payload: bytes) -> None: ...

    def close(self) -> None: ...


TRANSPORTS: tuple[Transport, ...] = ("ipc", "tcp", "inproc")


class MediatorSocket:
    """The mediator's ROUTER socket: receives ``(identity, payload)``, sends to an identity."""

    def __init__(
        self,
        transport: Transport,
        context: zmq.Context[zmq.Socket[bytes]] | None = None,
        *,
        max_bytes: int = 1 << 20,
        bind: str | None = None,
    ) -> None:
        self.context = context or zmq.Context()
        self._own_context = context is None
        self.transport = transport
        self._tmpdir: str | None = None
        sock = self.context.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.ROUTER_HANDOVER, 1)
        sock.setsockopt(zmq.MAXMSGSIZE, max_bytes)
        if bind is None:
            bind = self._default_address(transport)
        sock.bind(bind)
        self.endpoint: str = sock.getsockopt_string(zmq.LAST_ENDPOINT)
        self.socket = sock
        self._poller = zmq.Poller()
        self._poller.register(sock, zmq.POLLIN)

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

    def recv(self, timeout_s: float) -> tuple[bytes, bytes] | None:
        """The next ``(identity, payload)`` within ``timeout_s`` seconds, or None."""
        deadline = time.monotonic() + max(timeout_s, 0.0)
        while True:
            remaining = deadline - time.monotonic()
            if not self._poller.poll(max(int(remaining * 1000), 0)):
                if remaining <= 0:
                    return None
                continue
            frames = self.socket.recv_multipart(zmq.NOBLOCK)
            if len(frames) != 2:
                continue  # not a DEALER frame pair: ignore silently at this layer
            return frames[0], frames[1]

    def send(self, identity: bytes, payload: bytes) -> None:
        # a peer that is gone or whose queue is full will be treated as silent
        with contextlib.suppress(zmq.Again):
            self.socket.send_multipart([identity, payload], zmq.NOBLOCK)

    def close(self) -> None:
        self.socket.close(linger=0)
        if self._own_context:
            self.context.term()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)


class AgentSocket:
    """An agent's DEALER socket, identified on the bus by its party name."""

    def __init__(
        self, endpoint: str, name: str, context: zmq.Context[zmq.Socket[bytes]] | None = None
    ) -> None:
        self.context = context or zmq.Context()
        self._own_context = context is None
        sock = self.context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 1000)
        sock.setsockopt(zmq.ROUTING_ID, name.encode())
        sock.connect(endpoint)
        self.socket = sock
        self._poller = zmq.Poller()
        self._poller.register(sock, zmq.POLLIN)

    def recv(self, timeout_s: float) -> bytes | None:
        if not self._poller.poll(max(int(timeout_s * 1000), 0)):
            return None
        return self.socket.recv(zmq.NOBLOCK)

    def send(self, payload: bytes) -> None:
        self.socket.send(payload)

    def close(self) -> None:
        self.socket.close()
        if self._own_context:
            self.context.term()
