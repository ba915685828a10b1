"""CURVE security for tcp: key pairs, the ZAP allow-list, and binding keys to party names.

Every party (and the mediator) has a CURVE key pair. The mediator's ROUTER is a CURVE server; a
ZAP authenticator admits only the public keys of the configured parties and tags every message
with the party the key belongs to (ZeroMQ's ``User-Id`` metadata). The mediator then refuses any
message whose claimed identity or sender differs from that party. Local ``run`` makes ephemeral
keys; distributed runs use ``python run.py keys DIR --names ...`` (secret files mode 0600).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from negotiator.errors import ConfigError, RunError

MEDIATOR_KEY = "mediator"


def require_curve() -> None:
    """Fail loudly if this libzmq cannot do CURVE."""
    if not zmq.has("curve"):
        raise RunError(
            f"the installed libzmq {zmq.zmq_version()} has no CURVE support; secure tcp is "
            "impossible (use ipc, or --insecure on a trusted network)"
        )


@dataclass(frozen=True)
class KeyPair:
    public: bytes
    secret: bytes | None


def new_keypair() -> KeyPair:
    public, secret = zmq.curve_keypair()
    return KeyPair(public, secret)


def write_keys(folder: Path, names: list[str]) -> list[Path]:
    """Write ``NAME.key`` (public) and ``NAME.key_secret`` (mode 0600) for each name."""
    require_curve()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    written = []
    for name in names:
        public, secret = zmq.auth.create_certificates(str(folder), name)
        os.chmod(secret, 0o600)
        written += [Path(public), Path(secret)]
    return written


def load_key(folder: Path, name: str, *, secret: bool) -> KeyPair:
    """Read a party's key pair (``secret``: the secret key is required)."""
    path = folder / (f"{name}.key_secret" if secret else f"{name}.key")
    if not path.exists():
        kind = "secret" if secret else "public"
        raise ConfigError(f"{path}: no {kind} key for {name!r} (make keys with `run.py keys`)")
    if secret and path.stat().st_mode & 0o077:
        raise ConfigError(f"{path}: a secret key must be readable by its owner only (chmod 600)")
    public, private = zmq.auth.load_certificate(str(path))
    if secret and private is None:
        raise ConfigError(f"{path}: holds no secret key")
    return KeyPair(public, private)


class PartyAuthenticator(ThreadAuthenticator):
    """ZAP handler: admits the listed public keys only and names each connection by its party."""

    def __init__(self, context: zmq.Context[Any], keys: dict[str, bytes]) -> None:
        super().__init__(context)
        self.parties = {public: name for name, public in keys.items()}
        self.refused = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        super().start()
        self.configure_curve_callback(domain="*", credentials_provider=self)

    def callback(self, domain: str, key: bytes) -> bool:
        """Called by the authenticator for every CURVE handshake (``key`` is z85-encoded)."""
        known = key in self.parties
        if not known:
            with self._lock:
                self.refused += 1
        return known

    def curve_user_id(self, client_public_key: bytes) -> str:
        from zmq.utils import z85

        return self.parties.get(z85.encode(client_public_key), "")


@dataclass
class ServerSecurity:
    """What the mediator's socket needs for CURVE."""

    secret: bytes
    public: bytes
    parties: dict[str, bytes]


@dataclass
class ClientSecurity:
    """What an agent's socket needs for CURVE."""

    server_public: bytes
    public: bytes
    secret: bytes


def ephemeral(names: list[str]) -> tuple[ServerSecurity, dict[str, ClientSecurity]]:
    """Fresh keys for a local run: the mediator's and one pair per participant."""
    require_curve()
    server = new_keypair()
    assert server.secret is not None
    clients = {name: new_keypair() for name in names}
    security = ServerSecurity(
        server.secret, server.public, {n: k.public for n, k in clients.items()}
    )
    return security, {
        n: ClientSecurity(server.public, k.public, k.secret or b"") for n, k in clients.items()
    }


def server_from_dir(folder: Path, names: list[str]) -> ServerSecurity:
    require_curve()
    me = load_key(folder, MEDIATOR_KEY, secret=True)
    assert me.secret is not None
    return ServerSecurity(
        me.secret, me.public, {n: load_key(folder, n, secret=False).public for n in names}
    )


def client_from_dir(folder: Path, name: str) -> ClientSecurity:
    require_curve()
    me = load_key(folder, name, secret=True)
    server = load_key(folder, MEDIATOR_KEY, secret=False)
    assert me.secret is not None
    return ClientSecurity(server.public, me.public, me.secret)


def write_client_keys(folder: Path, name: str, client: ClientSecurity) -> None:
    """Write one agent's ephemeral keys into a private folder (for agent processes)."""
    for suffix, public, secret in (
        ("key", client.public, None),
        ("key_secret", client.public, client.secret),
    ):
        path = folder / f"{name}.{suffix}"
        text = f'curve\n    public-key = "{public.decode()}"\n'
        if secret is not None:
            text += f'    secret-key = "{secret.decode()}"\n'
        path.write_text("metadata\n" + text)
        os.chmod(path, 0o600)
    server = folder / f"{MEDIATOR_KEY}.key"
    server.write_text(f'metadata\ncurve\n    public-key = "{client.server_public.decode()}"\n')
