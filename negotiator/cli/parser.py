"""The command line's argument parser: one sub-command per task, a one-line usage error (exit 2)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from negotiator.cli.htmlreport.command import add_no_report, add_parser
from negotiator.cli.interop import add_parsers as _add_interop
from negotiator.errors import unknown

DEFAULT_CONFIG = Path("configs/scenarios/yongkang_wuyi_jinyun.toml")
"""The scenario run when no command is given."""
TRANSPORTS = ("ipc", "tcp", "inproc", "direct")
"""The choices of ``--transport`` (:data:`negotiator.io.bus.Transport`, not imported: no ZeroMQ
is loaded to print a usage line)."""
FORMATS = ("png", "svg", "pdf")
"""The choices of ``--format`` (:data:`negotiator.experiments.style.FORMATS`, not imported: no
figure code is loaded to print a usage line)."""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """A value not among the choices (a command, a transport): named with the closest
        choice, if one is close, and every choice."""
        choices = action.choices
        if choices is not None and value not in choices:
            options = action.option_strings  # --format (dest fmt): a format; none: a command
            what = options[-1].lstrip("-").replace("-", " ") if options else action.dest
            names = [str(c) for c in choices]
            raise argparse.ArgumentError(action, unknown(what, str(value), names, listed=True))


if TYPE_CHECKING:
    from typing import TypeAlias

    Subparsers: TypeAlias = argparse._SubParsersAction[_Parser]


def default_config() -> Path:
    """:data:`DEFAULT_CONFIG` in the source tree if it is there, else relative to the cwd."""
    here = Path(__file__).resolve().parents[2] / DEFAULT_CONFIG
    return here if here.exists() else DEFAULT_CONFIG


def build_parser() -> argparse.ArgumentParser:
    """The parser of every sub-command (``args.command`` is None when none is given)."""
    parser = _Parser(
        prog="negotiator",
        description="Simulate cross-regional cooperation negotiations between local governments.",
    )
    _add_top_level(parser)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    _add_run(sub)
    _add_analyze(sub)
    _add_replay(sub)
    _add_mediator(sub)
    _add_agent(sub)
    _add_agent_host(sub)
    _add_keys(sub)
    _add_sweep(sub)
    _add_tournament(sub)
    _add_interop(sub)
    add_parser(sub)  # report
    return parser


def version_line() -> str:
    """What ``--version`` prints: the release, and the version of the wire protocol and the event
    log format that it writes."""
    from negotiator import PROTOCOL_VERSION, __version__

    return f"negotiator {__version__} (protocol and event log version {PROTOCOL_VERSION})"


def _add_top_level(parser: argparse.ArgumentParser) -> None:
    """The options before any command: ``--version``, and ``--set`` and ``--seed`` for the
    default run (no command: the default scenario is run)."""
    parser.add_argument("--version", action="version", version=version_line())
    _set_arg(parser, "with no command: override a value of the default scenario's run", "default")
    parser.add_argument(
        "--seed",
        dest="default_seed",
        type=int,
        metavar="N",
        help="with no command: the default run's seed",
    )


def default_run(args: argparse.Namespace) -> list[str]:
    """The arguments of the run made when no command is given: the default scenario, with the
    top-level ``--set`` and ``--seed``."""
    argv = ["run", str(default_config())]
    for override in args.default_overrides:
        argv += ["--set", override]
    if args.default_seed is not None:
        argv += ["--seed", str(args.default_seed)]
    return argv


def _config_args(p: argparse.ArgumentParser) -> None:
    """The arguments of a command that reads a scenario: the file, ``--set`` and ``--json``."""
    p.add_argument("config", type=Path, help="scenario TOML file")
    _set_arg(p, "override a config value (TOML syntax)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _set_arg(p: argparse.ArgumentParser, what: str, prefix: str = "") -> None:
    """``--set A.B=V``, repeatable, into ``args.overrides`` (``args.default_overrides`` with the
    ``default`` prefix: before any command)."""
    p.add_argument(
        "--set",
        dest=f"{prefix}_overrides" if prefix else "overrides",
        action="append",
        default=[],
        metavar="A.B=V",
        help=f"{what}, repeatable",
    )


def _format_arg(p: argparse.ArgumentParser) -> None:
    """``--format``: the file format of the figures a command writes."""
    p.add_argument(
        "--format",
        dest="fmt",
        choices=FORMATS,
        default=FORMATS[0],
        help="file format of the figures (png; svg and pdf are vector graphics)",
    )


def _add_run(sub: Subparsers) -> None:
    run = sub.add_parser("run", help="run one scenario (both agents and mediator)")
    _config_args(run)
    run.add_argument("--seed", type=int, help="run seed (replaces run.seed)")
    run.add_argument("--out", type=Path, default=Path("runs"), help="runs directory (runs/)")
    run.add_argument(
        "--transport",
        choices=TRANSPORTS,
        default="ipc",
        help="ipc (default), tcp, inproc (agents as threads) or direct (agents called in this "
        "process: fastest, no isolation)",
    )
    run.add_argument(
        "--insecure", action="store_true", help="with --transport tcp: no CURVE (prints a warning)"
    )
    run.add_argument(
        "--join-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the agents to connect (30)",
    )
    run.add_argument(
        "--hosts",
        type=int,
        default=0,
        metavar="K",
        help="ipc, tcp: spread the parties over K agent host processes (0: one process each)",
    )
    add_no_report(run)
    _format_arg(run)


def _add_analyze(sub: Subparsers) -> None:
    analyze = sub.add_parser("analyze", help="Pareto frontier, Nash, Kalai–Smorodinsky, dependence")
    _config_args(analyze)


def _add_replay(sub: Subparsers) -> None:
    replay = sub.add_parser("replay", help="verify a run from its event log, or show its timeline")
    replay.add_argument("run", type=Path, help="a run directory or an events.jsonl")
    replay.add_argument(
        "--verify",
        action="store_true",
        help="check the digest chain and re-execute the mediator on the log",
    )
    replay.add_argument(
        "--until",
        type=int,
        metavar="R",
        help="timeline: stop after round (phase 1) / period (phase 2) R",
    )
    replay.add_argument("--json", action="store_true", help="JSON output (lines for a timeline)")
    replay.add_argument(
        "--branch",
        metavar="R",
        help="continue live from round R (or round:R, period:R) with --set changes",
    )
    _set_arg(replay, "with --branch: a config change")
    replay.add_argument(
        "--out", type=Path, default=Path("runs"), help="with --branch: runs directory (runs/)"
    )
    replay.add_argument(
        "--plot",
        action="store_true",
        help="save the negotiation dance, the utility-space view and the compliance map",
    )
    _format_arg(replay)
    replay.add_argument(
        "--reexecute",
        action="store_true",
        help="with --verify: re-create the agents and check every decision",
    )


def _add_mediator(sub: Subparsers) -> None:
    med = sub.add_parser(
        "mediator", help="distributed run: the hub only; agents join from anywhere"
    )
    _config_args(med)
    med.add_argument("--bind", required=True, metavar="tcp://HOST:PORT", help="address to bind")
    med.add_argument("--keys", type=Path, help="key folder (run.py keys): CURVE on tcp")
    med.add_argument("--insecure", action="store_true", help="tcp without CURVE (warns)")
    med.add_argument("--seed", type=int, help="run seed (replaces run.seed)")
    med.add_argument("--out", type=Path, default=Path("runs"), help="runs directory (runs/)")
    med.add_argument(
        "--join-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for every party to join (120)",
    )


def _add_agent(sub: Subparsers) -> None:
    agent = sub.add_parser("agent", help="distributed run: play one party, connecting to a hub")
    agent.add_argument("config", type=Path, help="scenario TOML file (for the party list)")
    agent.add_argument("--name", required=True, help="the party to play")
    _joining_args(agent, "this party's and the mediator's")


def _add_agent_host(sub: Subparsers) -> None:
    host = sub.add_parser(
        "agent-host", help="distributed run: play several parties in one process (an agent host)"
    )
    host.add_argument("config", type=Path, help="scenario TOML file (for the party list)")
    host.add_argument(
        "--names", required=True, metavar="A,B,...", help="the parties to play, comma-separated"
    )
    host.add_argument(
        "--host", metavar="NAME", help="the host's name: its key in --keys (keys --host NAME=...)"
    )
    _joining_args(host, "this host's (--host) and the mediator's")


def _joining_args(agent: argparse.ArgumentParser, keys: str) -> None:
    """The arguments of a process that joins a hub: where, with which keys, how long to wait."""
    agent.add_argument("--connect", required=True, metavar="tcp://HOST:PORT")
    agent.add_argument("--keys", type=Path, help=f"key folder: {keys}")
    agent.add_argument("--insecure", action="store_true", help="tcp without CURVE (warns)")
    agent.add_argument(
        "--idle-timeout",
        type=float,
        default=5.0,
        help="once joined, leave after this many seconds without a message (5; the mediator "
        "sends a heartbeat every second)",
    )
    agent.add_argument(
        "--join-timeout",
        type=float,
        default=60.0,
        help="leave if the hub says nothing this many seconds after the start (60)",
    )


def _add_keys(sub: Subparsers) -> None:
    keys = sub.add_parser("keys", help="write CURVE key pairs for a distributed run")
    keys.add_argument("dir", type=Path, help="folder for the keys (created, mode 700)")
    keys.add_argument("--names", nargs="+", default=[], help="the parties (and superior)")
    keys.add_argument(
        "--host",
        dest="hosts",
        action="append",
        default=[],
        metavar="NAME=A,B,...",
        help="an agent host's key, allowed to speak for parties A, B, ... (repeatable)",
    )


def _add_sweep(sub: Subparsers) -> None:
    sweep = sub.add_parser("sweep", help="run an experiment: a grid of changes × seeds")
    sweep.add_argument("experiment", type=Path, help="experiment TOML file")
    sweep.add_argument("--workers", type=int, default=2, help="parallel worker processes (2)")
    sweep.add_argument("--seeds", type=int, help="seeds per cell (default: the file's)")
    sweep.add_argument("--out", type=Path, help="results directory (sweeps/<name>)")
    sweep.add_argument(
        "--transport", choices=TRANSPORTS, default="direct", help="agents' transport (direct)"
    )
    sweep.add_argument("--no-logs", action="store_true", help="keep only each run's digest")
    sweep.add_argument("--executor", choices=("processes", "dask"), default="processes")
    sweep.add_argument("--scheduler", help="with --executor dask: the cluster's address")
    sweep.add_argument("--json", action="store_true", help="print summary.json only")
    add_no_report(sweep)
    _format_arg(sweep)


def _add_tournament(sub: Subparsers) -> None:
    tour = sub.add_parser("tournament", help="round robin of the config's compliance strategies")
    _config_args(tour)
    tour.add_argument("--turns", type=int, help="turns per match (default: tournament.turns)")
    tour.add_argument(
        "--transport", choices=TRANSPORTS, default="direct", help="agents' transport (direct)"
    )
    tour.add_argument("--out", type=Path, default=Path("runs"), help="runs directory (runs/)")
    _format_arg(tour)
