"""The metrics a sweep can collect (the ``metrics`` of an experiment file), read from a run's
typed summary. A metric is None where it is not defined for a run (e.g. ``agreement`` in a run
without phase 1, ``compliance_rate`` in one without phase 2).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from negotiator.runtime.run_summary import ImplementationSummary, RunSummary

#: Phase-1 metrics: the field of the same name of the run's negotiation summary.
PHASE1 = (
    "agreement",
    "agreement_round",
    "rounds",
    "settled_round",
    "welfare",
    "pareto_distance",
    "nash_distance",
    "fairness",
)

#: Phase-2 metrics: the field of the same name of the run's implementation summary.
PHASE2 = (
    "compliance_rate",
    "contract_survived",
    "cluster_output",
    "renegotiations",
    "governments_total",
    "superior_net",
    "regional_welfare",
    "grim_trigger_sustainable",
    "breakdown_period",
    "contract_changes",
    "trembles",
    "delta_star_max",
)

#: The yes-or-no metrics (1.0 yes, 0.0 no): their mean is a proportion.
BINARY = ("agreement", "contract_survived", "grim_trigger_sustainable")

_Metric = Callable[[RunSummary], float | None]


def _misreports(s: RunSummary) -> float | None:
    caught = s.metrics.guidance.misreports
    return float(len(caught)) if caught is not None else None


def _over_governments(total: Callable[[ImplementationSummary], float]) -> _Metric:
    def of(s: RunSummary) -> float | None:
        return total(s.implementation) if s.implementation is not None else None

    return of


#: Metrics computed from several fields.
DERIVED: dict[str, _Metric] = {
    "misreports": _misreports,
    "cumulative_payoff": _over_governments(lambda i: math.fsum(i.cumulative_payoffs.values())),
    "discounted_payoff": _over_governments(lambda i: math.fsum(i.discounted_payoffs.values())),
    "detections": _over_governments(lambda i: float(sum(i.detections.values()))),
}

#: Every metric's name, in the order error messages list them.
METRICS = (
    *PHASE1,
    "misreports",
    *PHASE2[:3],
    "cumulative_payoff",
    "discounted_payoff",
    "detections",
    *PHASE2[3:],
)


def metric(summary: RunSummary, name: str) -> float | None:
    """The value of metric ``name`` (one of :data:`METRICS`) for the run of ``summary``."""
    if name in DERIVED:
        return DERIVED[name](summary)
    if name not in PHASE1 and name not in PHASE2:
        raise KeyError(name)
    part = summary.negotiation if name in PHASE1 else summary.implementation
    value = getattr(part, name) if part is not None else None
    return None if value is None else float(value)
