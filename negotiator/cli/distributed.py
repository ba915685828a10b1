"""The commands of a distributed run: ``mediator`` (the hub), ``agent`` (one party, joining
from anywhere), ``agent-host`` (several parties in one process) and ``keys`` (CURVE key pairs for
all of them, and which parties each host's key may speak for)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from negotiator.errors import ConfigError, unknown

if TYPE_CHECKING:
    from negotiator.config import Config
    from negotiator.io.security import ClientSecurity


def _insecure_warning(flag: bool, address: str) -> None:
    if flag and address.startswith("tcp://"):
        print(
            "negotiator: warning: --insecure: tcp without CURVE; anyone who can reach the "
            "address can join and read the messages",
            file=sys.stderr,
        )


def cmd_mediator(args: argparse.Namespace) -> int:
    """``mediator``: the hub of a distributed run; the parties join from anywhere."""
    from negotiator.cli.progress import live_counter
    from negotiator.config import load_config
    from negotiator.runtime.runner import serve

    config = load_config(args.config, args.overrides, args.seed)
    if not args.bind.startswith("tcp://"):
        raise ConfigError("--bind: a distributed run binds tcp://HOST:PORT")
    _insecure_warning(args.insecure, args.bind)

    with live_counter(sys.stderr) as counter:

        def waiting(missing: list[str]) -> None:
            if missing:
                if counter is not None:
                    counter.clear()  # a line of its own, not after the counter
                print(f"waiting for: {', '.join(missing)}", file=sys.stderr, flush=True)

        result = serve(
            config,
            args.bind,
            out=args.out,
            keys=args.keys,
            insecure=args.insecure,
            join_timeout=args.join_timeout,
            config_path=str(args.config),
            on_waiting=waiting,
            progress=counter,
        )
    if args.json:
        print(json.dumps(result.summary.to_json(), ensure_ascii=False))
    else:
        from negotiator.cli.report import print_run_summary

        print_run_summary(result.summary)
    return 0


def _participants(config: Config) -> list[str]:
    """The config's parties and its superior, if it has one."""
    return list(config.party_names) + ([config.superior_name] if config.superior_name else [])


def _client_security(args: argparse.Namespace, key: str | None) -> ClientSecurity | None:
    """The CURVE keys of a process joining the hub (None on ipc or with ``--insecure``):
    ``key``'s pair and the mediator's public key from ``--keys``."""
    from negotiator.io.security import client_from_dir

    _insecure_warning(args.insecure, args.connect)
    if not args.connect.startswith("tcp://") or args.insecure:
        return None
    if args.keys is None:
        raise ConfigError("--keys: secure tcp needs the key folder (or --insecure)")
    if key is None:
        raise ConfigError("--host: name this host's key in --keys (made by keys --host NAME=...)")
    return client_from_dir(args.keys, key)


def cmd_agent(args: argparse.Namespace) -> int:
    """``agent``: play one party of a distributed run, joining the hub at ``--connect``."""
    from negotiator.config import load_config
    from negotiator.runtime.launcher import play_party

    config = load_config(args.config)
    names = _participants(config)
    if args.name not in names:
        raise ConfigError(f"--name: {unknown('party', args.name, names, listed=True)}")
    security = _client_security(args, args.name)
    say = _saying(f"agent {args.name}", args.connect, args.name)
    return _played(
        say,
        lambda: play_party(
            args.connect,
            args.name,
            idle_timeout=args.idle_timeout,
            join_timeout=args.join_timeout,
            security=security,
            notify=say,
        ),
    )


def _saying(who: str, endpoint: str, parties: str) -> Callable[[str], None]:
    """What an ``agent`` or ``agent-host`` process says on stderr, one line each: that it joined,
    and how it ended (:data:`negotiator.agents.process.Notify`)."""

    def say(what: str) -> None:
        text = f"joined {endpoint} as {parties}" if what == "joined" else f"ended: {what}"
        print(f"negotiator {who}: {text}", file=sys.stderr, flush=True)

    return say


def _played(say: Callable[[str], None], play: Callable[[], int]) -> int:
    """``play``'s exit code, or 130 (Ctrl-C) or 143 (SIGTERM), said as its ending."""
    from negotiator.interrupts import Terminated

    try:
        return play()
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except Terminated:
        say("terminated")
        return 143


def cmd_agent_host(args: argparse.Namespace) -> int:
    """``agent-host``: play several parties of a distributed run in this process, behind one
    connection to the hub at ``--connect`` (with CURVE, under the host's own key)."""
    from negotiator.config import load_config
    from negotiator.io.security import check_host_name
    from negotiator.runtime.launcher import play_parties

    config = load_config(args.config)
    known = _participants(config)
    names = args.names.split(",")
    for name in names:
        if name not in known:
            raise ConfigError(f"--names: {unknown('party', name, known, listed=True)}")
        if names.count(name) > 1:
            raise ConfigError(f"--names: {name!r} is named twice")
    host = check_host_name(args.host) if args.host is not None else None
    security = _client_security(args, host)
    say = _saying(f"agent-host {host or 'host'}", args.connect, ", ".join(names))
    return _played(
        say,
        lambda: play_parties(
            args.connect,
            names,
            host=host or "host",
            idle_timeout=args.idle_timeout,
            join_timeout=args.join_timeout,
            security=security,
            notify=say,
        ),
    )


def _host_spec(spec: str) -> tuple[str, tuple[str, ...]]:
    """``NAME=A,B,...`` (``keys --host``) as the host's name and its parties."""
    from negotiator.config import NAME_PATTERN
    from negotiator.io.security import check_host_name

    host, sep, parties = spec.partition("=")
    if not sep or not parties:
        raise ConfigError(f"--host {spec!r}: write NAME=PARTY,PARTY,...")
    names = tuple(parties.split(","))
    for name in names:
        if not re.match(NAME_PATTERN, name):
            raise ConfigError(f"--host {spec!r}: {name!r} is not a party name")
    return check_host_name(host), names


def cmd_keys(args: argparse.Namespace) -> int:
    """``keys``: CURVE key pairs for the mediator, the named parties and the agent hosts (the
    parties each host may speak for recorded in the folder's ``hosts.json``)."""
    from negotiator.io.security import HOSTS_FILE, MEDIATOR_KEY, write_hosts, write_keys

    hosts: dict[str, tuple[str, ...]] = {}
    for spec in args.hosts:
        host, parties = _host_spec(spec)
        if host in hosts or host in args.names:
            raise ConfigError(f"--host {spec!r}: {host!r} is already named")
        hosts[host] = parties
    if not args.names and not hosts:
        raise ConfigError("keys: name the parties (--names) or the hosts (--host NAME=A,B,...)")
    names = list(dict.fromkeys([MEDIATOR_KEY, *args.names, *hosts]))
    written = write_keys(args.dir, names)
    if hosts:
        write_hosts(args.dir, hosts)
    print(
        f"wrote {len(written)} key files for {', '.join(names)} in {args.dir} "
        "(*.key_secret are private: give each party or host only its own)"
        + (f"; the parties of each host in {args.dir / HOSTS_FILE}" if hosts else "")
    )
    return 0
