"""Build a negotiation domain and the parties' utilities from a config (DESIGN §4).

Two sources: the default contract derived from the scenario economics (``[scenario]`` +
``[contract]``), or an explicit domain written by hand (``[domain]`` + ``parties.*.values``).
The formulas of the derived contract are documented in ``docs/model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from negotiator.config import Config, ContractSection
from negotiator.domain import Domain, Issue, Utility
from negotiator.scenario import Economy, economy

ENV_LEVELS = ("basic", "strict", "strictest")
ENFORCEMENT_LEVELS = ("none", "self_report", "third_party_audit")
PENALTY_LEVELS = ("none", "low", "high")


@dataclass(frozen=True)
class Setting:
    """A negotiation as the mediator sees it: the domain, every party's true utility, the power
    weights of the asymmetric Nash solution and, for derived domains, the economy."""

    domain: Domain
    utilities: dict[str, Utility]
    power: dict[str, float]
    economy: Economy | None


def build_setting(config: Config, surplus_factor: float = 1.0) -> Setting:
    """The domain and utilities a config describes (derived or explicit).

    ``surplus_factor`` scales the surplus S (a demand shock): in a derived domain S enters the
    surplus split and the producers' cost of environmental standards; in an explicit domain every
    share issue's amounts are scaled. A superior that guides (``plan`` or ``plan_and_subsidy``)
    pays its ``cofunding`` share of the shared infrastructure.
    """
    parties = tuple(config.party_names)
    if config.scenario is not None:
        eco = economy(config.scenario)
        sup = config.superior
        cofunding = sup.cofunding if sup is not None and sup.guidance != "none" else 0.0
        domain, utilities = _derived(eco, config.contract, parties, surplus_factor, cofunding)
        return Setting(domain, utilities, {p: eco.power[p] for p in parties}, eco)
    assert config.domain is not None
    issues: list[Issue] = []
    for spec in config.domain.issues:
        if spec.kind == "share":
            assert spec.step is not None
            issues.append(Issue(spec.name, "share", parties=parties, units=round(1 / spec.step)))
        else:
            issues.append(Issue(spec.name, spec.kind, labels=tuple(spec.values or ())))
    domain = Domain(tuple(issues), parties)
    utilities = {}
    for p in parties:
        party = config.parties[p]
        values = party.values or {}
        tables = []
        for issue in domain.issues:
            v = values[issue.name]
            if issue.kind == "share":
                assert isinstance(v, float | int)
                amount = float(v) * surplus_factor
                tables.append(tuple(issue.share_of(k, p) * amount for k in range(issue.size)))
            else:
                assert isinstance(v, dict)
                tables.append(tuple(float(v[label]) for label in issue.labels))
        assert party.reservation is not None
        utilities[p] = Utility(p, tuple(tables), party.offset, party.reservation)
    return Setting(domain, utilities, {p: 1.0 / len(parties) for p in parties}, None)


def _derived(
    eco: Economy,
    c: ContractSection,
    parties: tuple[str, ...],
    surplus_factor: float,
    cofunding: float = 0.0,
) -> tuple[Domain, dict[str, Utility]]:
    units = round(1 / c.share_step)
    issues = (
        Issue("surplus_split", "share", parties=parties, units=units),
        Issue("infra_cost_split", "share", parties=parties, units=units),
        Issue("env_standard", "ordinal", labels=ENV_LEVELS),
        Issue("enforcement", "ordinal", labels=ENFORCEMENT_LEVELS),
        Issue("penalty", "ordinal", labels=PENALTY_LEVELS),
        Issue("renegotiation", "boolean"),
    )
    domain = Domain(issues, parties)
    n = len(parties)
    s = eco.surplus * surplus_factor
    utilities = {}
    for g in parties:
        dep = eco.dependence_on_others(g)
        pow_ = eco.others_dependence_on(g)
        firms = eco.resource_share[g].get("firms", 1.0 / n)
        land = eco.resource_share[g].get("land", 1.0 / n)
        surplus = issues[0]
        infra = issues[1]
        tables = (
            tuple(surplus.share_of(k, g) * s for k in range(surplus.size)),
            tuple(
                -infra.share_of(k, g) * c.infra_cost * (1.0 - cofunding) for k in range(infra.size)
            ),
            tuple(
                -cost * s * firms + saved * land
                for cost, saved in zip(c.env_producer_cost, c.env_damage_saved, strict=True)
            ),
            tuple(
                p * c.protection_value * dep - fee / n
                for p, fee in zip(c.detection, c.audit_fee, strict=True)
            ),
            tuple(fine * c.penalty_weight * (dep - pow_) for fine in c.penalty),
            (0.0, c.renegotiation_value * dep),
        )
        standalone = eco.standalone[g]
        utilities[g] = Utility(g, tables, offset=standalone, reservation=standalone)
    return domain, utilities
