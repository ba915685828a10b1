"""The metrics of a run (docs/model.md §5–6), computed from the mediator's record and the true
utilities, as the typed parts of its summary (:mod:`negotiator.runtime.run_summary`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from negotiator.config import Config
from negotiator.model.analysis import Analysis
from negotiator.model.contract import Setting, superior_cofunding
from negotiator.runtime.run_summary import (
    Conduct,
    GuidanceSummary,
    ImplementationSummary,
    NegotiationSummary,
    PlanSummary,
    RunMetrics,
)

if TYPE_CHECKING:
    from negotiator.mediator.coordinator import Mediator, NegotiationResult
    from negotiator.mediator.implementation import ImplementationPhase


def run_metrics(
    config: Config, analysis: Analysis | None, mediator: Mediator, result: NegotiationResult
) -> RunMetrics:
    """What a run measured, once its mediator has run (``result`` is its record of phase 1)."""
    negotiation = None
    if config.negotiates:
        assert mediator.setting is not None and analysis is not None
        negotiation = negotiation_summary(config, mediator.setting, analysis, result)
    phase2 = mediator.implementation
    return RunMetrics(
        conduct=Conduct(
            invalid_actions=result.invalid_actions,
            rejected_messages=result.rejected_messages,
            auth_refused=result.auth_refused,
            absent=tuple(sorted(mediator.absent)),
        ),
        guidance=guidance_summary(mediator),
        negotiation=negotiation,
        implementation=implementation_summary(phase2) if phase2 is not None else None,
    )


def negotiation_summary(
    config: Config, setting: Setting, analysis: Analysis, result: NegotiationResult
) -> NegotiationSummary:
    """Phase-1 metrics. Without agreement every party keeps its reservation value."""
    parties = setting.domain.parties
    util = setting.utilities
    agreement, offer_turn = result.agreement, result.discount_exponent
    state = result.state
    single_text = config.negotiation.protocol == "single_text"
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
    return NegotiationSummary(
        agreement=agreement is not None,
        agreement_round=state.agreement_round,
        contract=setting.domain.decode(agreement) if agreement is not None else None,
        utilities=money,
        discounted_utilities=discounted,
        normalized_utilities=normalized,
        reservation={p: util[p].reservation for p in parties},
        welfare=math.fsum(money.values()),
        nash_product=nash_product,
        nash_distance=analysis.distance(money, nash),
        asymmetric_nash_distance=analysis.distance(money, analysis.asymmetric_nash),
        kalai_smorodinsky_distance=analysis.distance(money, analysis.kalai_smorodinsky),
        pareto_distance=analysis.pareto_distance(money),
        fairness=fairness,
        power=dict(setting.power),
        nash_point=nash.utilities if nash is not None else None,
        max_welfare=math.fsum(analysis.max_welfare.utilities.values()),
        outcomes=analysis.n_outcomes,
        pareto_size=len(analysis.pareto),
        status=state.status,
        rounds=result.rounds,
        settled_round=result.last_change_round if single_text else state.agreement_round,
        forfeits=result.forfeits,
    )


def guidance_summary(mediator: Mediator) -> GuidanceSummary:
    """Who the superior is, what it planned, what was declared and who was caught misreporting."""
    plan = mediator.plan
    tabled = None
    if plan is not None:
        domain = mediator.setting.domain if mediator.setting is not None else None
        tabled = PlanSummary(
            guidance=plan.guidance,
            text=domain.decode(plan.text) if plan.text is not None and domain else None,
            cofunding=plan.cofunding,
            subsidy=plan.subsidy,
            budget=plan.budget,
            based_on=plan.based_on,
        )
    declared = mediator.declarations
    return GuidanceSummary(
        superior=mediator.superior,
        plan=tabled,
        declarations=declared.claimed if declared is not None else None,
        misreports=tuple(declared.misreports) if declared is not None else None,
    )


def implementation_summary(phase: ImplementationPhase) -> ImplementationSummary:
    """Phase-2 metrics (docs/model.md §6) from the periods a :class:`ImplementationPhase` ran."""
    impl = phase.impl
    parties = phase.parties
    results = phase.results
    n_periods = len(results)
    complied = {p: sum(r.moves[p] == "C" for r in results) for p in parties}
    by_period = [sum(m == "C" for m in r.moves.values()) / len(parties) for r in results]
    total = sum(complied.values()) / (len(parties) * n_periods) if n_periods else None
    chosen = {p: "".join((r.intended or r.moves)[p] for r in results) for p in parties}
    survival = survival_of(chosen, impl.survival_window)
    has_contract = phase.terms.in_force or phase.contract_at_start is not None
    detections = {p: sum(p in r.detected for r in results) for p in parties}
    cumulative = dict(phase.state.cumulative)
    governments_total = math.fsum(cumulative.values())
    signed = phase.terms.in_force and phase.config.negotiates
    cofunding = superior_cofunding(phase.config) * n_periods if signed else 0.0
    superior_net = phase.state.fine_to_superior - phase.state.subsidies_paid - cofunding
    signing = phase.theory[0] if phase.theory else {"delta_star": {}, "sustainable": {}}
    return ImplementationSummary(
        contract_in_force=phase.terms.in_force,
        periods=n_periods,
        compliance_rate=total,
        compliance_by_government={p: complied[p] / n_periods for p in parties} if n_periods else {},
        compliance_by_period=by_period,
        moves={p: "".join(r.moves[p] for r in results) for p in parties},
        trembles=sum(
            sum(r.intended[p] != r.moves[p] for p in parties)
            for r in results
            if r.intended is not None
        ),
        detections=detections,
        penalties=math.fsum(math.fsum(r.fines_paid.values()) for r in results),
        fines_to_superior=phase.state.fine_to_superior,
        subsidies={p: math.fsum(r.subsidies[p] for r in results) for p in parties},
        subsidy_budget_left=phase.state.budget_left,
        cumulative_payoffs=cumulative,
        discounted_payoffs=dict(phase.state.discounted),
        governments_total=governments_total,
        superior_cofunding=cofunding,
        superior_net=superior_net,
        regional_welfare=governments_total + superior_net,
        cluster_output=math.fsum(
            math.fsum(r.stage[p] + r.noise[p] for p in parties) for r in results
        ),
        contract_survived=survival["survived"] if has_contract else None,
        breakdown_period=survival["breakdown"] if has_contract else None,
        kept_by_government=survival["kept"] if has_contract else None,
        breakdown_by_government=survival["breakdowns"] if has_contract else None,
        survival_window=impl.survival_window,
        renegotiations=len(phase.renegotiations),
        contract_changes=sum(bool(r["changed"]) for r in phase.renegotiations),
        transfers=dict(phase.transfers),
        renegotiation_log=phase.renegotiations,
        final_contract=phase.setting.domain.decode(phase.contract)
        if phase.contract is not None and phase.setting is not None
        else None,
        games={p: g.as_dict() for p, g in phase.games.items()},
        dilemma={p: g.is_dilemma for p, g in phase.games.items()},
        delta=impl.discount,
        delta_star=dict(signing["delta_star"]),
        delta_star_max=max(signing["delta_star"].values(), default=0.0),
        sustainable=dict(signing["sustainable"]),
        grim_trigger_sustainable=all(signing["sustainable"].values()),
        delta_star_history=list(phase.theory),
        phase2_forfeits=dict(phase.forfeits),
    )


def survival_of(chosen: dict[str, str], window: int) -> dict[str, Any]:
    """Survival of a contract from each government's chosen moves (C/D strings, one letter a
    period; a tremble does not count as a choice). A government kept the contract if it chose
    no D in the last ``window`` periods; it broke it down from the first period of a run of D
    of at least ``window`` periods (all of them, if fewer) that lasts to the end. The contract
    survived if every government kept it; its breakdown period is the earliest government's
    (None: none)."""
    periods = len(next(iter(chosen.values()), ""))
    w = min(window, periods)
    kept = {p: "D" not in moves[periods - w :] for p, moves in chosen.items()}
    breakdowns: dict[str, int | None] = {}
    for p, moves in chosen.items():
        run = len(moves) - len(moves.rstrip("D"))
        breakdowns[p] = periods - run + 1 if run >= w and run > 0 else None
    starts = [b for b in breakdowns.values() if b is not None]
    return {
        "survived": bool(periods) and all(kept.values()),
        "breakdown": min(starts) if starts else None,
        "kept": kept,
        "breakdowns": breakdowns,
    }
