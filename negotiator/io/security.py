"""CURVE security for tcp: key pairs, the ZAP allow-list, and binding keys to party names.

Every party (and the mediator) has a CURVE key pair. The mediator's ROUTER is a CURVE server; a
ZAP authenticator admits only the public keys of the configured parties and tags every message
with the party the key belongs to (ZeroMQ's ``User-Id`` metadata). The mediator then refuses any
message whose claimed identity or sender differs from that party. Local ``run`` makes ephemeral
keys; distributed runs use ``python run.py keys DIR --names ...`` (secret files mode 0600).

An agent host (many parties behind one connection, :mod:`negotiator.agents.host`) has one key pair
of its own. Its ``User-Id`` is ``@NAME`` (never a party name: ``@`` is not allowed in one), and the
mediator's key folder lists the parties each host key may speak for (:data:`HOSTS_FILE`); the bus
refuses an envelope naming any other party (:class:`negotiator.io.bus.MediatorSocket`).
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from negotiator.errors import ConfigError, RunError

MEDIATOR_KEY = "mediator"
HOSTS_FILE = "hosts.json"
"""In the mediator's key folder: ``{"HOST": ["PARTY", ...], ...}``, the parties each host key
may speak for (written by ``run.py keys DIR --host HOST=PARTY,...``)."""
HOST_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
"""A host's name (a party name may not hold ``-``, so ``host-1`` is never a party's)."""


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


def host_user_id(host: str) -> str:
    """The ``User-Id`` of a host's connections: ``@NAME``, which no party name can be."""
    return f"@{host}"


def check_host_name(host: str) -> str:
    """``host`` if it is a valid host name, else a :class:`ConfigError` naming it."""
    if not re.match(HOST_PATTERN, host) or host == MEDIATOR_KEY:
        raise ConfigError(
            f"host name {host!r}: use lower-case letters, digits, '_' or '-' (at most 32, "
            "starting with a letter; not 'mediator')"
        )
    return host


def write_hosts(folder: Path, hosts: dict[str, tuple[str, ...]]) -> Path:
    """Record in ``folder``'s :data:`HOSTS_FILE` the parties each of ``hosts`` may speak for
    (merged with the hosts already recorded there)."""
    path = folder / HOSTS_FILE
    recorded = dict(read_hosts(folder)) if path.exists() else {}
    recorded.update(hosts)
    path.write_text(json.dumps({h: list(p) for h, p in sorted(recorded.items())}, indent=1))
    return path


def read_hosts(folder: Path) -> dict[str, tuple[str, ...]]:
    """The host → parties map of ``folder`` ({} without a :data:`HOSTS_FILE`)."""
    path = folder / HOSTS_FILE
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a host map: {exc}") from None
    ok = isinstance(raw, dict) and all(
        isinstance(v, list) and all(isinstance(p, str) for p in v) for v in raw.values()
    )
    if not ok:
        raise ConfigError(f'{path}: not a host map ({{"HOST": ["PARTY", ...]}})')
    for host in raw:
        check_host_name(host)
    return {host: tuple(parties) for host, parties in raw.items()}


class PartyAuthenticator(ThreadAuthenticator):
    """ZAP handler: admits the listed public keys only and names each connection by its party
    (or, for a host's key, by :func:`host_user_id`)."""

    def __init__(
        self,
        context: zmq.Context[Any],
        keys: dict[str, bytes],
        hosts: dict[str, HostKey] | None = None,
    ) -> None:
        super().__init__(context)
        self.parties = {public: name for name, public in keys.items()}
        for host, key in (hosts or {}).items():
            self.parties[key.public] = host_user_id(host)
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


@dataclass(frozen=True)
class HostKey:
    """A host's public key and the parties it may speak for."""

    public: bytes
    parties: tuple[str, ...]


@dataclass
class ServerSecurity:
    """What the mediator's socket needs for CURVE: its key pair, each party's public key and
    each host's (with the parties it may speak for)."""

    secret: bytes
    public: bytes
    parties: dict[str, bytes]
    hosts: dict[str, HostKey] = field(default_factory=dict)


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


def ephemeral_hosts(
    groups: dict[str, tuple[str, ...]],
) -> tuple[ServerSecurity, dict[str, ClientSecurity]]:
    """Fresh keys for a local run with agent hosts: the mediator's and one pair per host, each
    host's key allowed to speak for its group of parties."""
    security, clients = ephemeral(list(groups))
    security.hosts = {h: HostKey(security.parties[h], groups[h]) for h in groups}
    security.parties = {}
    return security, clients


def server_from_dir(folder: Path, names: list[str]) -> ServerSecurity:
    """The mediator's keys from ``folder``: its own pair, and the public key of every party in
    ``names`` and of every host its :data:`HOSTS_FILE` lists (a party a host speaks for needs
    no key of its own). A host speaking for a name not in ``names`` is an error."""
    require_curve()
    me = load_key(folder, MEDIATOR_KEY, secret=True)
    assert me.secret is not None
    hosts = {}
    for host, parties in read_hosts(folder).items():
        if host in names:
            raise ConfigError(f"{folder / HOSTS_FILE}: host {host!r} has the name of a party")
        for party in parties:
            if party not in names:
                raise ConfigError(
                    f"{folder / HOSTS_FILE}: host {host!r} speaks for {party!r}, not a party "
                    f"of this config ({', '.join(names)})"
                )
        hosts[host] = HostKey(load_key(folder, host, secret=False).public, parties)
    hosted = {p for key in hosts.values() for p in key.parties}
    keys = {
        n: load_key(folder, n, secret=False).public
        for n in names
        if n not in hosted or (folder / f"{n}.key").exists()
    }
    return ServerSecurity(me.secret, me.public, keys, hosts)


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
