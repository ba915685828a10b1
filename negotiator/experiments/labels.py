"""Every sweep metric's human label, unit and kind, for axes and tables (definitions:
docs/experiments.md, docs/model.md §5–6).

An experiment file's ``[units]`` (e.g. ``"money, 20 periods"``) is more specific than the unit
here and replaces it. The kind decides how a metric is drawn: ``binary`` (0 or 1 per run: its mean
is a proportion, drawn on [0, 1] with a Wilson interval), ``share`` (a fraction per run: [0, 1]
with the t interval), ``count`` and ``amount`` (the t interval on a free axis).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Kind = Literal["binary", "share", "count", "amount"]


@dataclass(frozen=True)
class MetricLabel:
    """How a metric is named on a figure: ``label (unit)``."""

    label: str
    unit: str
    kind: Kind


_MONEY = "money, all periods"

#: metric → label, unit, kind; one entry per name of :data:`~.metrics.METRICS` (tested), the
#: yes-or-no ones those of :data:`~.metrics.BINARY`.
LABELS: dict[str, MetricLabel] = {
    "agreement": MetricLabel("Agreement reached", "share of runs", "binary"),
    "agreement_round": MetricLabel("Round of agreement", "round", "count"),
    "rounds": MetricLabel("Rounds played in phase 1", "rounds", "count"),
    "settled_round": MetricLabel("Round the contract was settled", "round", "count"),
    "welfare": MetricLabel("Welfare of the agreement", "money per period", "amount"),
    "pareto_distance": MetricLabel(
        "Distance to the Pareto frontier", "normalised utility", "amount"
    ),
    "nash_distance": MetricLabel("Distance to the Nash point", "normalised utility", "amount"),
    "fairness": MetricLabel("Fairness (min / max normalised gain)", "ratio", "share"),
    "misreports": MetricLabel("Misreports caught", "per run", "count"),
    "compliance_rate": MetricLabel("Compliance rate", "share of moves", "share"),
    "contract_survived": MetricLabel("Contract survived", "share of runs", "binary"),
    "cluster_output": MetricLabel("Cluster output", _MONEY, "amount"),
    "cumulative_payoff": MetricLabel("Governments' cumulative payoff", _MONEY, "amount"),
    "discounted_payoff": MetricLabel(
        "Governments' discounted payoff", "money, discounted", "amount"
    ),
    "detections": MetricLabel("Defections detected", "per run", "count"),
    "renegotiations": MetricLabel("Renegotiations (reopenings)", "per run", "count"),
    "governments_total": MetricLabel("Governments' total payoff", _MONEY, "amount"),
    "superior_net": MetricLabel("Superior's net flows", _MONEY, "amount"),
    "regional_welfare": MetricLabel("Regional welfare", _MONEY, "amount"),
    "grim_trigger_sustainable": MetricLabel(
        "Grim trigger sustains compliance", "share of runs", "binary"
    ),
    "breakdown_period": MetricLabel("Breakdown period", "period, runs that broke down", "count"),
    "contract_changes": MetricLabel("Renegotiations that changed the contract", "per run", "count"),
    "trembles": MetricLabel("Trembles", "per run", "count"),
    "delta_star_max": MetricLabel(
        "Largest δ* (grim-trigger threshold)", "discount factor", "share"
    ),
}


def describe(metric: str, units: dict[str, str] | None = None) -> MetricLabel:
    """The label of ``metric``, its unit replaced by the experiment's ``units`` if given there
    (a metric without an entry is named by itself)."""
    base = LABELS.get(metric, MetricLabel(metric, "", "amount"))
    unit = (units or {}).get(metric, base.unit)
    return MetricLabel(base.label, unit, base.kind)


def axis_label(metric: str, units: dict[str, str] | None = None) -> str:
    """``Label (unit)``."""
    d = describe(metric, units)
    return f"{d.label} ({d.unit})" if d.unit else d.label


def wilson(mean: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson's score interval of a proportion ``mean`` observed in ``n`` runs (95 % by
    default): inside [0, 1], and not of width zero when every run gave the same answer."""
    if n <= 0:
        return (0.0, 1.0)
    centre = (mean + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(mean * (1 - mean) / n + z * z / (4 * n * n))
    low = 0.0 if mean <= 0.0 else max(0.0, centre - half)
    high = 1.0 if mean >= 1.0 else min(1.0, centre + half)
    return (low, high)
