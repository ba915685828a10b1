"""The metrics of a run (DESIGN §9), computed from the true utilities by the mediator side."""

from __future__ import annotations

import math
from typing import Any

from negotiator.analysis import Analysis
from negotiator.config import Config
from negotiator.contract import Setting
from negotiator.domain import Outcome


def negotiation_metrics(
    config: Config,
    setting: Setting,
    analysis: Analysis,
    agreement: Outcome | None,
    agreement_round: int | None,
    offer_turn: int | None,
) -> dict[str, Any]:
    """Phase-1 metrics. Without agreement every party keeps its reservation value."""
    parties = setting.domain.parties
    util = setting.utilities
    if agreement is not None:
        money = {p: util[p](agreement) for p in parties}
        tau = offer_turn or 0
        discounted = {p: money[p] * config.parties[p].discount ** tau for p in parties}
    else:
        money = {p: util[p].reservation for p in parties}
        discounted = dict(money)
    normalized = analysis.normalized(money)
    d_norm = analysis.normalized(analysis.disagreement)
    gains = [normalized[p] - d_norm[p] for p in parties]
    fairness = min(gains) / max(gains) if max(gains) > 0 else None
    nash = analysis.nash
    nash_product = (
        math.prod(max(money[p] - util[p].reservation, 0.0) for p in parties)
        if agreement is not None
        else 0.0
    )
    return {
        "agreement": agreement is not None,
        "agreement_round": agreement_round,
        "contract": setting.domain.decode(agreement) if agreement is not None else None,
        "utilities": money,
        "discounted_utilities": discounted,
        "normalized_utilities": normalized,
        "reservation": {p: util[p].reservation for p in parties},
        "welfare": math.fsum(money.values()),
        "nash_product": nash_product,
        "nash_distance": analysis.distance(money, nash),
        "asymmetric_nash_distance": analysis.distance(money, analysis.asymmetric_nash),
        "kalai_smorodinsky_distance": analysis.distance(money, analysis.kalai_smorodinsky),
        "pareto_distance": analysis.pareto_distance(money),
        "fairness": fairness,
        "power": dict(setting.power),
        "nash_point": nash.utilities if nash is not None else None,
        "max_welfare": math.fsum(analysis.max_welfare.utilities.values()),
        "outcomes": analysis.n_outcomes,
        "pareto_size": len(analysis.pareto),
    }
