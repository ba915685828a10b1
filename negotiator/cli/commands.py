"""The commands that run on one machine: ``run``, ``analyze``, ``tournament``, ``replay`` and
``sweep``. Each takes the parsed arguments and returns the exit code; errors are raised as
:class:`~negotiator.errors.NegotiatorError` for :func:`negotiator.cli.entry.main` to report.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from negotiator.errors import ConfigError


def cmd_run(args: argparse.Namespace) -> int:
    """``run``: one scenario, agents and mediator on this machine; prints the summary."""
    from negotiator.cli.progress import live_counter
    from negotiator.config import load_config
    from negotiator.runtime.runner import RunOptions, run

    config = load_config(args.config, args.overrides, args.seed)
    with live_counter(sys.stderr) as counter:
        options = RunOptions(
            transport=args.transport,
            out=args.out,
            join_timeout=args.join_timeout,
            config_path=str(args.config),
            insecure=args.insecure,
            hosts=args.hosts,
            progress=counter,
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


def cmd_analyze(args: argparse.Namespace) -> int:
    """``analyze``: the bargaining solutions and the dependence report of a config."""
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


def cmd_tournament(args: argparse.Namespace) -> int:
    """``tournament``: the round robin of the config's compliance strategies."""
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
        print(json.dumps(result.to_json(), ensure_ascii=False))
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

    plot = plot_pair_scores(result, result.folder / "pair_scores.png")
    print_tournament(result, plot)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """``replay``: verify a log, draw it, show its timeline, or branch a new run off it."""
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


def cmd_sweep(args: argparse.Namespace) -> int:
    """``sweep``: an experiment's grid × seeds; interrupted, it says how to resume."""
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
        print(json.dumps(summary.to_json(), ensure_ascii=False))
        return 0
    from negotiator.cli.report import print_sweep

    print_sweep(summary, out, plots)
    return 0
