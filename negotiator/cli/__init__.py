"""The command line: ``python run.py`` and the ``negotiator`` console script.

Exit codes: 0 done (whatever the negotiation outcome), 2 bad config or usage (one line, no
traceback), 3 the run could not complete, 4 a log failed verification, 5 the output could not be
written (``--out`` unusable, disk full, read-only file system), 130 interrupted, 143 terminated.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from negotiator.errors import ConfigError, NegotiatorError, OutputError, RunError

DEFAULT_CONFIG = Path("configs/scenarios/yongkang_wuyi_jinyun.toml")


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _default_config() -> Path:
    here = Path(__file__).resolve().parent.parent / DEFAULT_CONFIG
    return here if here.exists() else DEFAULT_CONFIG


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="negotiator",
        description="Simulate cross-regional cooperation negotiations between local governments.",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    def config_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("config", type=Path, help="scenario TOML file")
        p.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="A.B=V",
            help="override a config value (TOML syntax), repeatable",
        )
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    run = sub.add_parser("run", help="run one scenario (both agents and mediator)")
    config_args(run)
    run.add_argument("--seed", type=int, help="run seed (replaces run.seed)")
    run.add_argument("--out", type=Path, default=Path("runs"), help="runs directory (runs/)")
    run.add_argument("--transport", choices=("ipc", "tcp", "inproc"), default="ipc")
    run.add_argument(
        "--insecure", action="store_true", help="with --transport tcp: no CURVE (prints a warning)"
    )
    run.add_argument(
        "--join-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the agents to connect (30)",
    )

    analyze = sub.add_parser("analyze", help="Pareto frontier, Nash, Kalai–Smorodinsky, dependence")
    config_args(analyze)

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
    replay.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="A.B=V",
        help="with --branch: a config change, repeatable",
    )
    replay.add_argument(
        "--out", type=Path, default=Path("runs"), help="with --branch: runs directory (runs/)"
    )
    replay.add_argument(
        "--plot",
        action="store_true",
        help="save the negotiation dance and the compliance heat map (PNG)",
    )
    replay.add_argument(
        "--reexecute",
        action="store_true",
        help="with --verify: re-create the agents and check every decision",
    )

    med = sub.add_parser(
        "mediator", help="distributed run: the hub only; agents join from anywhere"
    )
    config_args(med)
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

    agent = sub.add_parser("agent", help="distributed run: play one party, connecting to a hub")
    agent.add_argument("config", type=Path, help="scenario TOML file (for the party list)")
    agent.add_argument("--name", required=True, help="the party to play")
    agent.add_argument("--connect", required=True, metavar="tcp://HOST:PORT")
    agent.add_argument("--keys", type=Path, help="key folder: this party's and the mediator's")
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

    keys = sub.add_parser("keys", help="write CURVE key pairs for a distributed run")
    keys.add_argument("dir", type=Path, help="folder for the keys (created, mode 700)")
    keys.add_argument("--names", nargs="+", required=True, help="the parties (and superior)")

    sweep = sub.add_parser("sweep", help="run an experiment: a grid of changes × seeds")
    sweep.add_argument("experiment", type=Path, help="experiment TOML file")
    sweep.add_argument("--workers", type=int, default=2, help="parallel worker processes (2)")
    sweep.add_argument("--seeds", type=int, help="seeds per cell (default: the file's)")
    sweep.add_argument("--out", type=Path, help="results directory (sweeps/<name>)")
    sweep.add_argument("--transport", choices=("ipc", "tcp", "inproc"), default="inproc")
    sweep.add_argument("--no-logs", action="store_true", help="keep only each run's digest")
    sweep.add_argument("--executor", choices=("processes", "dask"), default="processes")
    sweep.add_argument("--scheduler", help="with --executor dask: the cluster's address")
    sweep.add_argument("--json", action="store_true", help="print summary.json only")

    tour = sub.add_parser("tournament", help="round robin of the config's compliance strategies")
    config_args(tour)
    tour.add_argument("--turns", type=int, help="turns per match (default: tournament.turns)")
    tour.add_argument("--transport", choices=("ipc", "tcp", "inproc"), default="inproc")
    tour.add_argument("--out", type=Path, default=Path("runs"), help="runs directory (runs/)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    import signal

    if threading_main():
        from negotiator.interrupts import on_signal

        signal.signal(signal.SIGTERM, on_signal)
    try:
        if args.command is None:
            args = build_parser().parse_args(["run", str(_default_config())])
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "analyze":
            return _cmd_analyze(args)
        if args.command == "tournament":
            return _cmd_tournament(args)
        if args.command == "replay":
            return _cmd_replay(args)
        if args.command == "sweep":
            return _cmd_sweep(args)
        if args.command == "mediator":
            return _cmd_mediator(args)
        if args.command == "agent":
            return _cmd_agent(args)
        if args.command == "keys":
            return _cmd_keys(args)
    except NegotiatorError as exc:
        print(f"negotiator: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("negotiator: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.filename is None:
            raise
        # a file the command reads or writes (a plot, a report, a table): one line, exit 5
        print(f"negotiator: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return OutputError.exit_code
    except Exception as exc:
        from negotiator.interrupts import Terminated

        if isinstance(exc, Terminated):
            print("negotiator: terminated", file=sys.stderr)
            return 143
        raise
    return 2  # pragma: no cover - argparse rejects unknown commands


def _cmd_run(args: argparse.Namespace) -> int:
    from negotiator.config import load_config
    from negotiator.runtime.runner import RunOptions, run

    config = load_config(args.config, args.overrides, args.seed)
    options = RunOptions(
        transport=args.transport,
        out=args.out,
        join_timeout=args.join_timeout,
        config_path=str(args.config),
        insecure=args.insecure,
    )
    result = run(config, options)
    if args.json:
        print(json.dumps(result.summary.to_json(), ensure_ascii=False))
    else:
        from negotiator.cli.report import plot_compliance, print_run_summary

        plot = None
        if result.summary.implementation is not None:
            plot = plot_compliance(result.summary, result.run_dir / "compliance.png")
        print_run_summary(result.summary, compliance_plot=plot)
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from negotiator.config import load_config
    from negotiator.model.analysis import analyze
    from negotiator.model.contract import build_setting

    config = load_config(args.config, args.overrides)
    if config.scenario is None and config.domain is None:
        raise ConfigError(f"{args.config}: nothing to analyze: no [scenario] or [domain]")
    setting = build_setting(config)
    analysis = analyze(setting.domain, setting.utilities, setting.power)
    out: dict[str, Any] = analysis.to_json(setting.domain)
    out["power"] = dict(setting.power)
    out["dependence"] = setting.economy.report() if setting.economy is not None else None
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        from negotiator.cli.report import print_analysis

        print_analysis(out)
    return 0


def _cmd_tournament(args: argparse.Namespace) -> int:
    from negotiator.config import load_config
    from negotiator.experiments.tournament import (
        check_tournament_config,
        play_tournament,
        plot_pair_scores,
    )

    config = load_config(args.config, args.overrides)
    check_tournament_config(config)
    if args.turns is not None and args.turns < 1:
        raise ConfigError("--turns: must be at least 1")
    if args.json:
        result = play_tournament(config, turns=args.turns, transport=args.transport, out=args.out)
        print(json.dumps({k: v for k, v in result.items() if k != "folder"}, ensure_ascii=False))
        return 0
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("matches", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = play_tournament(
            config, turns=args.turns, transport=args.transport, out=args.out, progress=advance
        )
    from negotiator.cli.report import print_tournament

    plot = plot_pair_scores(result, Path(result["folder"]) / "pair_scores.png")
    print_tournament(result, plot)
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from negotiator.replay import load_log, timeline, verify

    if args.reexecute and not args.verify:
        raise ConfigError("--reexecute: only with --verify")
    if args.overrides and args.branch is None:
        raise ConfigError("--set: only with --branch")
    if args.branch is not None:
        from negotiator.replay import branch

        summary = branch(args.run, args.branch, args.overrides, args.out)
        if args.json:
            print(json.dumps(summary.to_json(), ensure_ascii=False, default=str))
        else:
            from negotiator.cli.report import print_run_summary

            origin = summary.branch
            assert origin is not None
            print(
                f"branched from {origin.branched_from} after "
                f"{'round' if origin.phase == 1 else 'period'} "
                f"{origin.after} with {', '.join(args.overrides) or '—'}"
            )
            print_run_summary(summary)
        return 0
    if args.verify:
        report = verify(args.run, reexecute=args.reexecute)
        if args.plot and report.ok:  # a log that fails verification is reported, not drawn
            _save_plots(*load_log(args.run), sys.stderr)
        if args.json:
            print(json.dumps(report.to_json(), ensure_ascii=False, default=str))
        elif report.ok:
            print(report.message)
        else:
            values = (
                f": recorded {report.recorded!r}, recomputed {report.recomputed!r}"
                if report.field is not None
                else ""
            )
            print(f"verification failed: {report.message}{values}", file=sys.stderr)
        return 0 if report.ok else 4
    log_path, events = load_log(args.run)
    if args.plot:
        _save_plots(log_path, events, sys.stderr if args.json else sys.stdout)
        if args.until is None and not args.json:
            return 0
    rows = timeline(events, until=args.until)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    from negotiator.cli.report import print_timeline

    print_timeline(rows)
    return 0


def _save_plots(log_path: Path, events: list[dict[str, Any]], stream: Any) -> None:
    """The negotiation dance and the compliance heat map, next to the log."""
    from negotiator.cli.plots import compliance_heatmap, negotiation_dance
    from negotiator.replay import config_of

    folder = log_path.parent
    for path in (
        negotiation_dance(config_of(events), events, folder / "negotiation_dance.png"),
        compliance_heatmap(events, folder / "compliance_heatmap.png"),
    ):
        if path is not None:
            print(f"saved {path}", file=stream)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from negotiator.experiments.sweep import execute, load_experiment, plot_metrics

    experiment = load_experiment(args.experiment)
    if args.workers < 1:
        raise ConfigError("--workers: must be at least 1")
    if args.seeds is not None and args.seeds < 1:
        raise ConfigError("--seeds: must be at least 1")
    out = args.out or Path("sweeps") / experiment.spec.name
    options = {
        "workers": args.workers,
        "seeds": args.seeds,
        "transport": args.transport,
        "keep_logs": not args.no_logs,
        "executor": args.executor,
        "scheduler": args.scheduler,
    }
    try:
        if args.json:
            summary = execute(experiment, out, **options)
        else:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            columns = (
                TextColumn(f"{experiment.spec.name}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("runs"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
            )
            with Progress(*columns) as bar:
                task = bar.add_task("runs", total=None)

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                summary = execute(experiment, out, progress=advance, **options)
    except KeyboardInterrupt:
        print(
            f"negotiator: interrupted; finished runs are in {out / 'results.csv'}; "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    plots = plot_metrics(summary, out / "plots")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    from negotiator.cli.report import print_sweep

    print_sweep(summary, out, plots)
    return 0


def _insecure_warning(flag: bool, address: str) -> None:
    if flag and address.startswith("tcp://"):
        print(
            "negotiator: warning: --insecure: tcp without CURVE; anyone who can reach the "
            "address can join and read the messages",
            file=sys.stderr,
        )


def _cmd_mediator(args: argparse.Namespace) -> int:
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


def _cmd_agent(args: argparse.Namespace) -> int:
    from agents.process import run_agent
    from negotiator.config import load_config
    from negotiator.io.security import client_from_dir

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
    code = run_agent(
        args.connect,
        args.name,
        idle_timeout=args.idle_timeout,
        join_timeout=args.join_timeout,
        security=security,
    )
    if code == 3:
        raise RunError(f"agent {args.name}: the mediator went silent; leaving")
    return code


def _cmd_keys(args: argparse.Namespace) -> int:
    from negotiator.io.security import MEDIATOR_KEY, write_keys

    names = list(dict.fromkeys([MEDIATOR_KEY, *args.names]))
    written = write_keys(args.dir, names)
    print(
        f"wrote {len(written)} key files for {', '.join(names)} in {args.dir} "
        "(*.key_secret are private: give each party only its own)"
    )
    return 0


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
