"""Build a negotiation domain and the parties' utilities from a config (docs/model.md §2).

Two sources: the default contract derived from the scenario economics (``[scenario]`` +
``[contract]``), or an explicit domain written by hand (``[domain]`` + ``parties.*.values``).
The formulas of the derived contract are documented in ``docs/model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from negotiator.config import Config, ContractSection
from negotiator.model.domain import Domain, Issue, Outcome, Utility
from negotiator.model.scenario import Economy, economy

ENV_LEVELS = ("basic", "strict", "strictest")
ENFORCEMENT_LEVELS = ("none", "self_report", "third_party_audit")
PENALTY_LEVELS = ("none", "low", "high")


@dataclass(frozen=True)
class CashFlows:
    """A government's money per period under a contract, if everyone keeps it (docs/model.md §6:
    phase-2 payoffs are cash flows only; the negotiation terms that stand for expectations —
    the value of protection, of a renegotiation option, of expected fines — are not here)."""

    base: float
    """Stand-alone output Y_g (an explicit domain: the reservation value)."""
    share: float
    """Its credited share of the cooperative surplus, σ_g·S (an explicit domain: the
    contract's whole gain over the reservation value). Partners who defect stop honouring it."""
    cost: float
    """Its share of the shared infrastructure's annual cost, net of the superior's co-funding:
    what it saves by skipping its share."""
    fixed: float
    """Flows that do not depend on anyone's move: the environmental standard's cost to its
    producers and the damage it avoids, and its part of the audit fee."""

    @property
    def value(self) -> float:
        """R_g: the contract's cash value per period when everyone complies."""
        return self.base + self.share - self.cost + self.fixed


def cash_flows(
    config: Config,
    setting: Setting,
    contract: Outcome | None,
    surplus_factor: float = 1.0,
    transfers: dict[str, float] | None = None,
) -> dict[str, CashFlows]:
    """Each government's :class:`CashFlows` under ``contract`` (None: no contract, only its
    stand-alone output). ``surplus_factor`` scales S (a demand shock), as in
    :func:`build_setting`; ``transfers`` (side payments of a renegotiated contract) are fixed
    flows."""
    parties = setting.domain.parties
    eco = setting.economy
    if contract is None:
        return {
            p: CashFlows(eco.standalone[p] if eco else setting.utilities[p].reservation, 0, 0, 0)
            for p in parties
        }
    paid = transfers or {}
    if eco is None:  # an explicit domain: every value is money, all of it cooperative gain
        out = {}
        for p in parties:
            u = setting.utilities[p]
            gain = u(contract) - u.reservation
            if surplus_factor != 1.0:  # a demand shock scales every share issue's amount
                gain = build_setting(config, surplus_factor).utilities[p](contract) - u.reservation
            out[p] = CashFlows(u.reservation, gain, 0.0, paid.get(p, 0.0))
        return out
    c = config.contract
    decoded = setting.domain.decode(contract)
    names = [i.name for i in setting.domain.issues]
    env = contract[names.index("env_standard")]
    audit = contract[names.index("enforcement")]
    surplus = eco.surplus * surplus_factor
    n = len(parties)
    infra = c.infra_cost * (1.0 - _cofunding(config))
    out = {}
    for p in parties:
        firms = eco.resource_share[p].get("firms", 1.0 / n)
        land = eco.resource_share[p].get("land", 1.0 / n)
        fixed = (
            -c.env_producer_cost[env] * surplus * firms
            + c.env_damage_saved[env] * land
            - c.audit_fee[audit] / n
            + paid.get(p, 0.0)
        )
        out[p] = CashFlows(
            base=eco.standalone[p],
            share=float(decoded["surplus_split"][p]) * surplus,
            cost=float(decoded["infra_cost_split"][p]) * infra,
            fixed=fixed,
        )
    return out


def _cofunding(config: Config) -> float:
    """The share of the shared infrastructure a guiding superior pays."""
    sup = config.superior
    return sup.cofunding if sup is not None and sup.guidance != "none" else 0.0


def superior_cofunding(config: Config) -> float:
    """What a guiding superior pays per period towards the shared infrastructure of a derived
    contract (0 without a scenario or guidance)."""
    if config.scenario is None:
        return 0.0
    return config.contract.infra_cost * _cofunding(config)


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
        cofunding = _cofunding(config)
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
