"""A sweep's results: the flat ``results.csv`` (its columns, and reading it back to resume) and
their statistics (mean and 95 % CI per cell and metric, the hypotheses judged, the maps, the
survival curves, the screening) as a :class:`~negotiator.experiments.summary.SweepSummary`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from negotiator.errors import ConfigError
from negotiator.experiments import maps, screening
from negotiator.experiments.maps import label
from negotiator.experiments.spec import Experiment, Hypothesis
from negotiator.experiments.stats import Estimate, column, difference_ci, mean_ci, verdict
from negotiator.experiments.summary import (
    Cell,
    HypothesisResult,
    MetricEstimate,
    SurvivalCurve,
    SweepSummary,
)

TIMING_COLUMNS = ("wall_seconds",)


def columns(experiment: Experiment) -> list[str]:
    return [
        "run_id",
        "cell",
        *experiment.keys,
        "seed",
        *experiment.spec.metrics,
        "final_digest",
        *TIMING_COLUMNS,
    ]


def read_results(path: Path, header: list[str]) -> list[dict[str, str]]:
    """The complete rows of a results.csv (a torn last line, from a kill, is dropped)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    if not text:
        return []
    lines = text.splitlines(keepends=True)
    if not lines[-1].endswith("\n"):
        path.write_text("".join(lines[:-1]), encoding="utf-8")  # drop the torn line
        lines = lines[:-1]
    reader = csv.DictReader(lines)
    if reader.fieldnames != header:
        raise ConfigError(
            f"{path}: written by a different experiment design (columns differ); "
            "use another --out or remove it"
        )
    return [row for row in reader if row.get("final_digest")]


def _matches(row: dict[str, str], selector: dict[str, Any]) -> bool:
    return all(row.get(k) == label(v) for k, v in selector.items())


def summarise(experiment: Experiment, rows: list[dict[str, str]]) -> SweepSummary:
    """Mean and 95 % CI per cell and metric; each hypothesis judged."""
    metrics = experiment.spec.metrics
    cells: list[Cell] = []
    for i, params in enumerate(experiment.cells):
        mine = [r for r in rows if r["cell"] == str(i)]
        cells.append(
            Cell(
                cell=i,
                params=params,
                runs=len(mine),
                metrics={m: _estimate(mean_ci(column(mine, m))) for m in metrics},
            )
        )
    design = experiment.spec.screening
    return SweepSummary(
        experiment=experiment.spec.name,
        description=experiment.spec.description,
        seeds=len({r["seed"] for r in rows}),  # as run (``--seeds`` may differ from the file)
        units=dict(experiment.spec.units),
        hidden=tuple(experiment.hidden),
        cells=tuple(cells),
        hypotheses=tuple(_judge(h, rows) for h in experiment.hypotheses),
        maps=tuple(maps.summarise(m, experiment.cells, rows) for m in experiment.spec.maps),
        survival=_survival(experiment, rows) if "breakdown_period" in metrics else None,
        screening=(
            {
                m: tuple(
                    screening.analyse(design, experiment.cells, [c.metrics[m].mean for c in cells])
                )
                for m in metrics
            }
            if design is not None
            else None
        ),
    )


def _judge(h: Hypothesis, rows: list[dict[str, str]]) -> HypothesisResult:
    """The difference of the metric's means between the two selections, and the verdict."""
    a = column([r for r in rows if _matches(r, h.greater)], h.metric)
    b = column([r for r in rows if _matches(r, h.than)], h.metric)
    diff = difference_ci(a, b)
    return HypothesisResult(
        hypothesis=h.text,
        metric=h.metric,
        greater=h.greater,
        than=h.than,
        n=(len(a), len(b)),
        means=(
            _round(math.fsum(a) / len(a)) if a else None,
            _round(math.fsum(b) / len(b)) if b else None,
        ),
        effect=_round(diff.mean),
        ci95=(_round(diff.low), _round(diff.high)),
        verdict=verdict(diff),
    )


def _survival(experiment: Experiment, rows: list[dict[str, str]]) -> tuple[SurvivalCurve, ...]:
    """Per cell, the share of runs whose contract has not broken down by each period (every run
    of a cell has the same horizon, so the Kaplan–Meier estimate is this share)."""
    curves = []
    for i, params in enumerate(experiment.cells):
        mine = [r for r in rows if r["cell"] == str(i)]
        if "contract_survived" in experiment.spec.metrics:  # runs without a contract: out
            mine = [r for r in mine if r.get("contract_survived") not in ("", None)]
        impl = experiment.config(params, 0).implementation
        horizon = impl.periods if impl is not None else 0
        ends = [int(float(r["breakdown_period"])) for r in mine if r.get("breakdown_period")]
        n = len(mine)
        share = tuple(
            (1.0 - sum(e <= t for e in ends) / n) if n else None for t in range(horizon + 1)
        )
        curves.append(SurvivalCurve(cell=i, params=params, runs=n, surviving=share))
    return tuple(curves)


def _round(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)


def _estimate(e: Estimate) -> MetricEstimate:
    return MetricEstimate(n=e.n, mean=_round(e.mean), low=_round(e.low), high=_round(e.high))
