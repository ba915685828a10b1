"""Experiments: a grid of config changes × seeds, run in parallel, with resumable flat results.

Every cell × seed of an experiment (:mod:`.spec`) is one run (inproc agents by default: no
process start-up per run), run by an executor (:mod:`.executors`). Each finished run is appended
at once to ``results.csv``; running the same command again skips the runs already recorded
(:mod:`.results`). The summary (:mod:`.summary`, written as ``summary.json``) and the plots
(:mod:`.figures`) follow.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from negotiator.errors import ConfigError, OutputError
from negotiator.experiments.executors import run_tasks, tasks
from negotiator.experiments.figures import cell_label, plot_metrics
from negotiator.experiments.results import columns, read_results, summarise
from negotiator.experiments.spec import Experiment, load_experiment
from negotiator.experiments.summary import SweepRuns, SweepSummary

__all__ = [
    "Experiment",
    "SweepSummary",
    "cell_label",
    "execute",
    "load_experiment",
    "plot_metrics",
]


#: The file of a sweep's folder that records its design's fingerprint (:func:`design_digest`).
DESIGN_FILE = "design.sha256"


def design_digest(experiment: Experiment) -> str:
    """A fingerprint of what the experiment's runs are: its base config, its fixed changes, its
    cells and its root seed (not its seed count, metrics, hypotheses or maps, which a resumed
    sweep may change: a new metric is a new column, which :func:`read_results` refuses)."""
    design = {
        "base": experiment.base,
        "set": experiment.spec.set,
        "cells": experiment.cells,
        "root_seed": experiment.spec.root_seed,
    }
    text = json.dumps(design, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _same_design(experiment: Experiment, out: Path, *, resuming: bool) -> None:
    """Refuse to add runs to a folder holding runs of another design (the same run ids, other
    configs); record the design's fingerprint in a new folder."""
    path = out / DESIGN_FILE
    digest = design_digest(experiment)
    recorded = path.read_text(encoding="utf-8").strip() if path.exists() else None
    if resuming and recorded is not None and recorded != digest:
        raise ConfigError(
            f"{out}: holds the runs of another design of this experiment (its base, [set], "
            "cells or root_seed changed); use another --out or remove it"
        )
    if recorded != digest:
        try:
            path.write_text(digest + "\n", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def execute(
    experiment: Experiment,
    out: Path,
    *,
    workers: int = 2,
    seeds: int | None = None,
    transport: str = "direct",
    keep_logs: bool = True,
    executor: str = "processes",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepSummary:
    """Run every missing cell × seed, appending rows as they finish; then summarise."""
    out.mkdir(parents=True, exist_ok=True)
    header = columns(experiment)
    results = out / "results.csv"
    done = {row["run_id"] for row in read_results(results, header)}
    _same_design(experiment, out, resuming=bool(done))
    todo = [t for t in tasks(experiment, seeds) if t.run_id not in done]
    total = len(done) + len(todo)
    logs = str(out / "runs") if keep_logs else None
    started = time.monotonic()
    finished = 0
    new_file = not results.exists() or results.stat().st_size == 0
    with results.open("a", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        if new_file:
            writer.writeheader()
            f.flush()
        if progress:
            progress(len(done), total)
        for row in run_tasks(experiment, todo, logs, transport, workers, executor, scheduler):
            writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in header})
            f.flush()
            finished += 1
            if progress:
                progress(len(done) + finished, total)
    elapsed = time.monotonic() - started
    runs = SweepRuns(
        total=total,
        this_invocation=finished,
        resumed_from=len(done),
        seconds=round(elapsed, 3),
        runs_per_second=round(finished / elapsed, 3) if finished else None,
        workers=workers,
        executor=executor,
        transport=transport,
    )
    summary = replace(summarise(experiment, read_results(results, header)), runs=runs)
    text = json.dumps(summary.to_json(), indent=2, ensure_ascii=False)
    (out / "summary.json").write_text(text + "\n")
    return summary
