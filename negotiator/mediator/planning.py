"""Before phase 1: declarations (audited or not) and the superior's plan.

Declarations: each government declares its resource endowment (its statistical data). Under
``audited`` the mediator checks every figure against the true data, logs a
``misreport_detected`` event for a claim off by more than ``audit_tolerance`` and publishes the
verified figures; under ``public`` it publishes the claims as made; under ``private`` it publishes
nothing. Whatever uses the declarations — the superior's plan — sees verified data under
``audited`` and the claims otherwise.

The plan: the mediator computes the asymmetric-Nash outcome of the economy the (verified)
declarations describe and sends it as a planning brief to the superior agent, which decides what
to table (see ``agents/superior.py``). With an explicit domain there is nothing to declare and the
brief is computed from the true utilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from negotiator.config import Config, config_from_dict
from negotiator.io.messages import DeclareRequest, PlanAction, PlanningBrief, PlanRequest
from negotiator.mediator import rules
from negotiator.mediator.channel import Channel, Host
from negotiator.model.analysis import analyze
from negotiator.model.contract import build_setting
from negotiator.model.domain import Outcome


@dataclass
class Plan:
    """The superior's decisions, as received."""

    superior: str
    guidance: str
    text: Outcome | None = None
    cofunding: float = 0.0
    subsidy: float = 0.0
    budget: float = 0.0
    based_on: str = "declared"


@dataclass
class Declarations:
    """What each government declared and what was verified."""

    claimed: dict[str, dict[str, float]] = field(default_factory=dict)
    used: dict[str, dict[str, float]] = field(default_factory=dict)
    misreports: list[str] = field(default_factory=list)


def collect_declarations(host: Host, channel: Channel, now: float) -> Declarations:
    """Ask every government for its data and handle the answers per transparency."""
    config = host.config
    parties = host.parties
    assert config.scenario is not None
    truth = config.scenario.resources
    level = config.mediator.transparency
    out = Declarations()
    log = channel.log
    log.emit("request", kind="declare", parties=list(parties), t=now)
    for p in parties:
        channel.send(p, DeclareRequest(truth=truth[p]))
    resources = set(config.scenario.elasticities)
    answers = channel.collect(
        "declaration",
        set(parties),
        config.negotiation.turn_timeout,
        lambda sender, body: rules.declaration(body, resources),
    )
    for p in parties:  # in name order for the log
        claimed = answers.get(p)
        if claimed is None:
            log.emit("forfeit", party=p, stage="declaration", reason="silent", t=now)
            claimed = dict(truth[p])
        out.claimed[p] = claimed
        log.emit("declaration", party=p, resources=claimed, t=now)
        off = any(
            abs(claimed[r] - truth[p][r]) > config.mediator.audit_tolerance * max(truth[p][r], 1e-9)
            for r in truth[p]
        )
        if level == "audited":
            out.used[p] = dict(truth[p])
            if off:
                out.misreports.append(p)
                log.emit(
                    "misreport_detected", party=p, claimed=claimed, verified=dict(truth[p]), t=now
                )
        else:
            out.used[p] = claimed
    published = host.transparency.declarations(out.claimed, out.used)
    if published is not None:
        for p in parties:
            channel.send(p, published)
    log.flush()
    return out


def planning_brief(config: Config, declared: dict[str, dict[str, float]] | None) -> PlanningBrief:
    """The asymmetric-Nash outcome of the economy described by ``declared`` (or the true one)."""
    planned = config
    if declared is not None and config.scenario is not None:
        data = config.model_dump(mode="json", exclude_none=True)
        data["scenario"]["resources"] = declared
        planned = config_from_dict(data, source="planning brief")
    setting = build_setting(planned)
    analysis = analyze(setting.domain, setting.utilities, setting.power)
    point = analysis.asymmetric_nash
    return PlanningBrief(
        asymmetric_nash=setting.domain.decode(point.outcome) if point is not None else None,
        power=dict(setting.power),
    )


def ask_superior(
    host: Host, channel: Channel, brief: PlanningBrief, based_on: str, now: float
) -> Plan:
    """Send the brief to the superior agent and take its decision (no answer: no plan)."""
    config = host.config
    superior = config.superior_name
    assert superior is not None and config.superior is not None
    plan = Plan(superior=superior, guidance=config.superior.guidance, based_on=based_on)
    channel.log.emit("request", kind="plan", party=superior, t=now)
    channel.send(superior, PlanRequest(brief))
    domain = host.setting.domain if host.setting is not None else None

    def check(sender: str, body: dict[str, Any]) -> PlanAction:
        return rules.plan(body, domain)

    answers = channel.collect("plan", {superior}, config.negotiation.turn_timeout, check)
    decided: PlanAction | None = answers.get(superior)
    if decided is not None:
        spec = config.superior
        plan.text = domain.encode(decided.text) if decided.text and domain else None
        # the superior cannot commit more than its configured means
        plan.cofunding = min(decided.cofunding, spec.cofunding)
        plan.subsidy = min(decided.subsidy, spec.subsidy)
        plan.budget = min(decided.budget, spec.budget)
    channel.log.emit(
        "plan",
        superior=plan.superior,
        guidance=plan.guidance,
        text=domain.decode(plan.text) if plan.text is not None and domain else None,
        cofunding=plan.cofunding,
        subsidy=plan.subsidy,
        budget=plan.budget,
        based_on=based_on,
        t=now,
    )
    channel.log.flush()
    return plan
