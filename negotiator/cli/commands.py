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

from negotiator.cli.htmlreport.command import report_after
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
        from negotiator.cli.plots import compliance_heatmap
        from negotiator.cli.report import print_run_summary
        from negotiator.replay import load_log

        plot = None
        if result.summary.implementation is not None:
            events = load_log(result.run_dir)[1]
            plot = compliance_heatmap(events, result.run_dir / f"compliance.{args.fmt}")
        print_run_summary(result.summary, compliance_plot=plot)
    return report_after(args, result.run_dir)


def cmd_analyze(args: argparse.Namespace) -> int:
    """``analyze``: the bargaining solutions and the dependence report of a config."""
    from negotiator.api import analyze

    out = analyze(args.config, args.overrides).to_json()
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

    plot = plot_pair_scores(result, result.folder / f"pair_scores.{args.fmt}")
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
            _save_plots(*load_log(args.run), sys.stderr, args.fmt)
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
        _save_plots(log_path, events, sys.stderr if args.json else sys.stdout, args.fmt)
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


def _save_plots(log_path: Path, events: list[dict[str, Any]], stream: Any, fmt: str) -> None:
    """The negotiation dance, the utility-space view and the compliance map, next to the log."""
    from negotiator.cli.plots import compliance_heatmap, negotiation_dance, utility_space
    from negotiator.replay import config_of

    folder, config = log_path.parent, config_of(events)
    for path in (
        negotiation_dance(config, events, folder / f"negotiation_dance.{fmt}"),
        utility_space(config, events, folder / f"utility_space.{fmt}"),
        compliance_heatmap(events, folder / f"compliance_heatmap.{fmt}"),
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
    plots = plot_metrics(summary, out / "plots", args.fmt)
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
        return report_after(args, out)
    from negotiator.cli.report import print_sweep

    print_sweep(summary, out, plots)
    return report_after(args, out)
