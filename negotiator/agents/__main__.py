"""``python -m negotiator.agents --connect ENDPOINT --name NAME``: run one agent process;
``python -m negotiator.agents --connect ENDPOINT --names A,B,... [--host NAME]``: one agent host
playing several parties behind one socket (:mod:`negotiator.agents.host`)."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path

from negotiator.agents import PARENT_ENV

#: Environment variable naming a directory: each agent process then writes its cProfile
#: statistics there when it exits (``python -m pstats DIR/wuyi-1234.prof``).
PROFILE_ENV = "NEGOTIATOR_PROFILE_DIR"

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> int:
    """Have the kernel kill this process when its parent dies (Linux), and return the pid of
    the parent to watch: the launcher's, from :data:`PARENT_ENV`, if it set it. SIGKILL, not
    SIGTERM: with its parent gone, the agent has nobody to finish anything for, and a Python
    handler would wait for the interpreter (and the socket's linger) on a busy machine."""
    if sys.platform.startswith("linux"):
        # without prctl, polling the parent's pid (every half second) still works
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    expected = os.environ.get(PARENT_ENV, "")
    return int(expected) if expected.isdigit() else os.getppid()


# Before the heavy imports (ZeroMQ, the strategies: 0.4 s here, over 1 s on a busy machine), so
# that an agent whose launcher dies while it starts is not left running meanwhile.
_WATCHED = die_with_parent() if __name__ == "__main__" and "--watch-parent" in sys.argv else None

from negotiator.agents.host import run_host  # noqa: E402
from negotiator.agents.process import run_agent  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m negotiator.agents", description=__doc__)
    parser.add_argument("--connect", required=True, help="the mediator's endpoint")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--name", help="the party this agent plays")
    who.add_argument(
        "--names", help="an agent host: the parties it plays, comma-separated (A,B,...)"
    )
    parser.add_argument(
        "--host",
        default="host",
        help="with --names: the host's name (its key's name with --keys; default: host)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=5.0,
        help="once joined, leave after this many seconds without a message (5; the mediator "
        "sends a heartbeat every second)",
    )
    parser.add_argument(
        "--join-timeout",
        type=float,
        default=60.0,
        help="leave if the mediator says nothing this many seconds after the start (60)",
    )
    parser.add_argument(
        "--watch-parent",
        action="store_true",
        help="leave as soon as the parent process (the launcher) dies",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="after a run's end, say hello again and play the next run (a pool)",
    )
    parser.add_argument("--keys", help="folder with this party's CURVE keys and the mediator's")
    args = parser.parse_args(argv)
    names = args.names.split(",") if args.names else []
    if args.names is not None and not all(names):
        parser.error(f"--names {args.names!r}: an empty party name")
    if names and args.serve:
        parser.error("--serve: an agent host plays one run (not with --names)")
    me = args.name or args.host
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parent = None
    if args.watch_parent:
        parent = _WATCHED if _WATCHED is not None else die_with_parent()
        if os.getppid() != parent:  # orphaned before the watch was set
            return 3
    security = None
    if args.keys:
        from negotiator.errors import NegotiatorError
        from negotiator.io.security import client_from_dir

        try:
            security = client_from_dir(Path(args.keys), me)
        except NegotiatorError as exc:
            print(f"{'agent' if args.name else 'host'} {me}: {exc}", file=sys.stderr)
            return 2
    profile_dir = os.environ.get(PROFILE_ENV)
    profiler = None
    if profile_dir:  # for people tuning agents: a cProfile dump per agent process
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        if names:
            return run_host(
                args.connect,
                names,
                host=args.host,
                idle_timeout=args.idle_timeout,
                join_timeout=args.join_timeout,
                watch_parent=args.watch_parent,
                parent=parent,
                security=security,
            )
        return run_agent(
            args.connect,
            args.name,
            idle_timeout=args.idle_timeout,
            join_timeout=args.join_timeout,
            watch_parent=args.watch_parent,
            parent=parent,
            serve=args.serve,
            security=security,
        )
    except KeyboardInterrupt:
        return 130
    finally:
        if profiler is not None and profile_dir:
            profiler.disable()
            profiler.dump_stats(os.path.join(profile_dir, f"{me}-{os.getpid()}.prof"))


if __name__ == "__main__":
    sys.exit(main())
