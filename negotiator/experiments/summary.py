"""The typed summary of a sweep: what ``summary.json`` (and ``sweep --json``) holds.

:func:`negotiator.experiments.results.summarise` builds a :class:`SweepSummary` from the rows of
``results.csv``; :func:`negotiator.experiments.sweep.execute` adds the invocation's
:class:`SweepRuns`. :meth:`SweepSummary.to_json` is exactly the ``summary.json`` object (same
keys, same order, same values) and :meth:`SweepSummary.from_json` reads one back. The parts: a
:class:`Cell` per grid cell (a :class:`MetricEstimate` per metric), a :class:`HypothesisResult` per
hypothesis, a :class:`~negotiator.experiments.maps.MapResult` per map, a :class:`SurvivalCurve`
per cell when ``breakdown_period`` is collected, and the Morris screening's
:class:`~negotiator.experiments.screening.FactorEffect` ranking per metric.

A cell's ``params`` and a hypothesis' selectors stay JSON objects: grid keys and their values
are the experiment file's, not fixed fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from negotiator.experiments.maps import MapResult
from negotiator.experiments.screening import FactorEffect

JSONObject = dict[str, Any]
"""A JSON object of the summary whose keys come from the experiment file (grid keys)."""


def _pair(values: list[Any]) -> tuple[Any, Any]:
    a, b = values
    return a, b


@dataclass(frozen=True)
class MetricEstimate:
    """A metric's mean and 95 % interval over a cell's runs (rounded; None where undefined)."""

    n: int
    mean: float | None
    low: float | None
    high: float | None

    def to_json(self) -> JSONObject:
        return asdict(self)

    @classmethod
    def from_json(cls, data: JSONObject) -> MetricEstimate:
        return cls(n=data["n"], mean=data["mean"], low=data["low"], high=data["high"])


@dataclass(frozen=True)
class Cell:
    """One cell of the grid (or point of a screening design): its parameters and estimates."""

    cell: int
    params: JSONObject
    runs: int
    metrics: dict[str, MetricEstimate]

    def to_json(self) -> JSONObject:
        return {
            "cell": self.cell,
            "params": self.params,
            "runs": self.runs,
            "metrics": {m: e.to_json() for m, e in self.metrics.items()},
        }

    @classmethod
    def from_json(cls, data: JSONObject) -> Cell:
        return cls(
            cell=data["cell"],
            params=data["params"],
            runs=data["runs"],
            metrics={m: MetricEstimate.from_json(e) for m, e in data["metrics"].items()},
        )


@dataclass(frozen=True)
class HypothesisResult:
    """A hypothesis judged: the difference of the metric's means (``greater`` − ``than``), its
    95 % interval and the verdict."""

    hypothesis: str
    metric: str
    greater: JSONObject
    than: JSONObject
    n: tuple[int, int]
    means: tuple[float | None, float | None]
    effect: float | None
    ci95: tuple[float | None, float | None]
    verdict: str

    def to_json(self) -> JSONObject:
        return {
            "hypothesis": self.hypothesis,
            "metric": self.metric,
            "greater": self.greater,
            "than": self.than,
            "n": list(self.n),
            "means": list(self.means),
            "effect": self.effect,
            "ci95": list(self.ci95),
            "verdict": self.verdict,
        }

    @classmethod
    def from_json(cls, data: JSONObject) -> HypothesisResult:
        return cls(
            hypothesis=data["hypothesis"],
            metric=data["metric"],
            greater=data["greater"],
            than=data["than"],
            n=_pair(data["n"]),
            means=_pair(data["means"]),
            effect=data["effect"],
            ci95=_pair(data["ci95"]),
            verdict=data["verdict"],
        )


@dataclass(frozen=True)
class SurvivalCurve:
    """A cell's share of contracts not broken down by each period 0..horizon."""

    cell: int
    params: JSONObject
    runs: int
    surviving: tuple[float | None, ...]

    def to_json(self) -> JSONObject:
        return {
            "cell": self.cell,
            "params": self.params,
            "runs": self.runs,
            "surviving": list(self.surviving),
        }

    @classmethod
    def from_json(cls, data: JSONObject) -> SurvivalCurve:
        return cls(
            cell=data["cell"],
            params=data["params"],
            runs=data["runs"],
            surviving=tuple(data["surviving"]),
        )


@dataclass(frozen=True)
class SweepRuns:
    """The invocation that wrote the summary: runs in all, run now and resumed, and its speed."""

    total: int
    this_invocation: int
    resumed_from: int
    seconds: float
    runs_per_second: float | None
    workers: int
    executor: str
    transport: str

    def to_json(self) -> JSONObject:
        return asdict(self)

    @classmethod
    def from_json(cls, data: JSONObject) -> SweepRuns:
        return cls(
            total=data["total"],
            this_invocation=data["this_invocation"],
            resumed_from=data["resumed_from"],
            seconds=data["seconds"],
            runs_per_second=data["runs_per_second"],
            workers=data["workers"],
            executor=data["executor"],
            transport=data["transport"],
        )


@dataclass(frozen=True)
class SweepSummary:
    """A sweep's statistics. ``survival`` is present when ``breakdown_period`` is collected,
    ``screening`` (metric → factors by μ*, empty where undefined) for a Morris design, ``runs``
    once :func:`~negotiator.experiments.sweep.execute` has added the invocation."""

    experiment: str
    description: str
    seeds: int
    units: dict[str, str]
    hidden: tuple[str, ...]
    cells: tuple[Cell, ...]
    hypotheses: tuple[HypothesisResult, ...]
    maps: tuple[MapResult, ...]
    survival: tuple[SurvivalCurve, ...] | None = None
    screening: dict[str, tuple[FactorEffect, ...]] | None = None
    runs: SweepRuns | None = None

    @property
    def metrics(self) -> list[str]:
        """The metrics summarised (those of the first cell; none without cells)."""
        return list(self.cells[0].metrics) if self.cells else []

    def to_json(self) -> JSONObject:
        """The ``summary.json`` object."""
        out: JSONObject = {
            "experiment": self.experiment,
            "description": self.description,
            "seeds": self.seeds,
            "units": dict(self.units),
            "hidden": list(self.hidden),
            "cells": [c.to_json() for c in self.cells],
            "hypotheses": [h.to_json() for h in self.hypotheses],
            "maps": [m.to_json() for m in self.maps],
        }
        if self.survival is not None:
            out["survival"] = [c.to_json() for c in self.survival]
        if self.screening is not None:
            out["screening"] = {
                m: [f.to_json() for f in ranking] for m, ranking in self.screening.items()
            }
        if self.runs is not None:
            out["runs"] = self.runs.to_json()
        return out

    @classmethod
    def from_json(cls, data: JSONObject) -> SweepSummary:
        """A summary read back from ``summary.json``."""
        survival = data.get("survival")
        screening = data.get("screening")
        runs = data.get("runs")
        return cls(
            experiment=data["experiment"],
            description=data["description"],
            seeds=data["seeds"],
            units=dict(data["units"]),
            hidden=tuple(data["hidden"]),
            cells=tuple(Cell.from_json(c) for c in data["cells"]),
            hypotheses=tuple(HypothesisResult.from_json(h) for h in data["hypotheses"]),
            maps=tuple(MapResult.from_json(m) for m in data["maps"]),
            survival=(
                tuple(SurvivalCurve.from_json(c) for c in survival)
                if survival is not None
                else None
            ),
            screening=(
                {
                    m: tuple(FactorEffect.from_json(f) for f in ranking)
                    for m, ranking in screening.items()
                }
                if screening is not None
                else None
            ),
            runs=SweepRuns.from_json(runs) if runs is not None else None,
        )
