"""The commands of a distributed run: ``mediator`` (the hub), ``agent`` (one party, joining
from anywhere) and ``keys`` (CURVE key pairs for both)."""

from __future__ import annotations

import argparse
import json
import sys

from negotiator.errors import ConfigError, RunError


def _insecure_warning(flag: bool, address: str) -> None:
    if flag and address.startswith("tcp://"):
        print(
            "negotiator: warning: --insecure: tcp without CURVE; anyone who can reach the "
            "address can join and read the messages",
            file=sys.stderr,
        )


def cmd_mediator(args: argparse.Namespace) -> int:
    """``mediator``: the hub of a distributed run; the parties join from anywhere."""
    from negotiator.config import load_config
    from negotiator.runtime.runner import serve

    config = load_config(args.config, args.overrides, args.seed)
    if not args.bind.startswith("tcp://"):
        raise ConfigError("--bind: a distributed run binds tcp://HOST:PORT")
    _insecure_warning(args.insecure, args.bind)

    def waiting(missing: list[str]) -> None:
        if missing:
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
    )
    if args.json:
        print(json.dumps(result.summary.to_json(), ensure_ascii=False))
    else:
        from negotiator.cli.report import print_run_summary

        print_run_summary(result.summary)
    return 0


def cmd_agent(args: argparse.Namespace) -> int:
    """``agent``: play one party of a distributed run, joining the hub at ``--connect``."""
    from negotiator.config import load_config
    from negotiator.io.security import client_from_dir
    from negotiator.runtime.launcher import play_party

    config = load_config(args.config)
    names = list(config.party_names) + ([config.superior_name] if config.superior_name else [])
    if args.name not in names:
        raise ConfigError(
            f"--name {args.name!r}: not a party of {args.config} ({', '.join(names)})"
        )
    security = None
    if args.connect.startswith("tcp://") and not args.insecure:
        if args.keys is None:
            raise ConfigError("--keys: secure tcp needs the key folder (or --insecure)")
        security = client_from_dir(args.keys, args.name)
    _insecure_warning(args.insecure, args.connect)
    code = play_party(
        args.connect,
        args.name,
        idle_timeout=args.idle_timeout,
        join_timeout=args.join_timeout,
        security=security,
    )
    if code == 3:
        raise RunError(f"agent {args.name}: the mediator went silent; leaving")
    return code


def cmd_keys(args: argparse.Namespace) -> int:
    """``keys``: CURVE key pairs for the mediator and the named parties."""
    from negotiator.io.security import MEDIATOR_KEY, write_keys

    names = list(dict.fromkeys([MEDIATOR_KEY, *args.names]))
    written = write_keys(args.dir, names)
    print(
        f"wrote {len(written)} key files for {', '.join(names)} in {args.dir} "
        "(*.key_secret are private: give each party only its own)"
    )
    return 0
