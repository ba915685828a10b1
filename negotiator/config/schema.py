"""The whole config: :class:`Config` and the rules that relate its tables to each other.

Pure schema, like :mod:`negotiator.config.sections`: it knows no strategies. Strategy names and
parameters are checked by a :class:`StrategyCheck` that the validation context carries
(``Config.model_validate(data, context={STRATEGY_CHECK: check})``); the loader
(:func:`negotiator.config.loading.config_from_dict`) passes the strategy registry's
(:mod:`negotiator.config.strategies`). Validated without one, strategies are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import Field, ValidationInfo, model_validator

from negotiator.config.sections import (
    ContractSection,
    DomainSection,
    ImplementationSection,
    MediatorSection,
    Name,
    NegotiationSection,
    ParamValue,
    PartySpec,
    RunSection,
    ScenarioSection,
    Section,
    SuperiorSection,
    TournamentSection,
)
from negotiator.errors import unknown

STRATEGY_CHECK = "strategy_check"
"""The key of the :class:`StrategyCheck` in pydantic's validation context."""


@dataclass(frozen=True)
class Rejection:
    """Why a strategy check failed: the key at fault, relative to the strategy's table
    (``strategy``, ``params``, ``params.KEY``), and the reason."""

    field: str
    reason: str


class StrategyCheck(Protocol):
    """Checks strategy names and parameters against the strategies that exist."""

    def negotiation(
        self, name: str, params: dict[str, ParamValue], *, n_parties: int, protocol: str
    ) -> Rejection | None:
        """A phase-1 strategy: ``name`` resolves, plays ``protocol`` with ``n_parties`` and
        ``params`` fit it."""

    def compliance(self, name: str, params: dict[str, ParamValue]) -> Rejection | None:
        """A phase-2 strategy: ``name`` resolves and ``params`` fit it."""


def _strategy_check(info: ValidationInfo) -> StrategyCheck | None:
    context = info.context
    check: StrategyCheck | None = context.get(STRATEGY_CHECK) if isinstance(context, dict) else None
    return check


class Config(Section):
    """A whole scenario: everything a run needs apart from run-time options (transport, out dir)."""

    run: RunSection = Field(default_factory=RunSection)
    scenario: ScenarioSection | None = None
    contract: ContractSection = Field(default_factory=lambda: ContractSection())
    domain: DomainSection | None = None
    negotiation: NegotiationSection = Field(default_factory=NegotiationSection)
    mediator: MediatorSection = Field(default_factory=MediatorSection)
    implementation: ImplementationSection | None = None
    tournament: TournamentSection | None = None
    superior: SuperiorSection | None = None
    hierarchy: dict[Name, Name] = Field(default_factory=dict)
    """Parent of each administrative unit above the governments (unit → parent)."""
    parties: dict[Name, PartySpec]

    @property
    def party_names(self) -> list[str]:
        """Parties in protocol order (``negotiation.order`` or declaration order)."""
        return list(self.negotiation.order or self.parties)

    @property
    def negotiates(self) -> bool:
        """Whether the run has phase 1 (else phase 2 starts under assumed contract terms)."""
        return self.negotiation.enabled

    @model_validator(mode="after")
    def _whole(self, info: ValidationInfo) -> Config:
        check = _strategy_check(info)
        if len(self.parties) < 2:
            raise ValueError("parties: at least two parties are needed")
        if "mediator" in self.parties:
            raise ValueError("parties.mediator: the name is reserved for the mediator")
        if self.scenario is not None and self.domain is not None:
            raise ValueError("config: give exactly one of [scenario] (derived domain) or [domain]")
        if self.negotiation.enabled and self.scenario is None and self.domain is None:
            raise ValueError("config: give [scenario] (derived domain) or [domain] to negotiate")
        if not self.negotiation.enabled:
            if self.implementation is None:
                raise ValueError("negotiation.enabled: false needs an [implementation] phase")
            if self.implementation.payoffs is None and self.scenario is None:
                raise ValueError(
                    "implementation.payoffs: required when there is no negotiation and no "
                    "[scenario] to derive the stage game from"
                )
        if self.scenario is not None:
            self._check_derived(self.scenario)
        elif self.domain is not None:
            self._check_explicit(self.domain)
        self._check_phase2(check)
        self._check_superior()
        order = self.negotiation.order
        if order is not None and sorted(order) != sorted(self.parties):
            raise ValueError(
                f"negotiation.order: must list each party once: {sorted(self.parties)}"
            )
        if self.negotiation.enabled and check is not None:
            self._check_strategies(check)
        if self.negotiation.enabled and any(
            p.strategy == "rubinstein" for p in self.parties.values()
        ):
            self._check_rubinstein()
        return self

    @property
    def superior_name(self) -> str | None:
        """The superior: the lowest common parent of all governments (None without one)."""
        if self.superior is None:
            return None
        return common_parent({p: spec.parent for p, spec in self.parties.items()}, self.hierarchy)

    def _check_superior(self) -> None:
        chains = {p: spec.parent for p, spec in self.parties.items()}
        for unit, parent in self.hierarchy.items():
            if unit in self.parties:
                raise ValueError(f"hierarchy.{unit}: governments name their parent with `parent`")
            if parent in self.parties:
                raise ValueError(f"hierarchy.{unit}: a government cannot be a parent")
        seen_cycle = _find_cycle(self.hierarchy)
        if seen_cycle:
            raise ValueError(f"hierarchy: cycle through {seen_cycle}")
        if self.superior is None:
            return
        name = common_parent(chains, self.hierarchy)
        if name is None:
            raise ValueError(
                "superior: the governments have no common parent (give each a `parent` and "
                "link the units in [hierarchy])"
            )
        if name in self.parties:
            raise ValueError(f"superior: {name!r} is a government, not a superior")
        impl = self.implementation
        if self.superior.guidance == "plan_and_subsidy" and impl is not None and impl.subsidy > 0:
            raise ValueError(
                "implementation.subsidy: with a superior giving plan_and_subsidy the subsidy "
                "is the superior's (set superior.subsidy and superior.budget)"
            )
        if self.superior.guidance != "plan_and_subsidy" and (
            self.superior.subsidy > 0 or self.superior.budget > 0
        ):
            raise ValueError('superior.subsidy: only with guidance = "plan_and_subsidy"')

    def _check_strategies(self, check: StrategyCheck) -> None:
        for name, party in self.parties.items():
            rejected = check.negotiation(
                party.strategy,
                party.params,
                n_parties=len(self.parties),
                protocol=self.negotiation.protocol,
            )
            if rejected is not None:
                raise ValueError(f"parties.{name}.{rejected.field}: {rejected.reason}")

    def _check_compliance(self, check: StrategyCheck) -> None:
        for name, party in self.parties.items():
            rejected = check.compliance(party.compliance, party.compliance_params)
            if rejected is not None:
                field = (
                    "compliance"
                    if rejected.field == "strategy"
                    else rejected.field.replace("params", "compliance_params", 1)
                )
                raise ValueError(f"parties.{name}.{field}: {rejected.reason}")
        if self.tournament is not None:
            for i, name in enumerate(self.tournament.strategies):
                rejected = check.compliance(name, {})
                if rejected is not None:
                    raise ValueError(f"tournament.strategies[{i}]: {rejected.reason}")

    def _check_phase2(self, check: StrategyCheck | None) -> None:
        if check is not None:
            self._check_compliance(check)
        impl = self.implementation
        if impl is None:
            return
        if impl.survival_threshold is not None:
            raise ValueError(
                "implementation.survival_threshold: removed in 0.2: contract_survived now means "
                "that no government defected in the last survival_window periods"
            )
        if impl.subsidy > 0 and impl.budget <= 0:
            raise ValueError("implementation.subsidy: needs a budget > 0 to be paid from")
        if isinstance(impl.payoffs, dict):
            missing = sorted(set(self.parties) - set(impl.payoffs))
            extra = sorted(set(impl.payoffs) - set(self.parties))
            if missing or extra:
                what = f"missing {missing}" if missing else f"unknown parties {extra}"
                raise ValueError(f"implementation.payoffs: {what}")
        for i, shock in enumerate(impl.shocks):
            where = f"implementation.shocks[{i}]"
            if shock.government is not None and shock.government not in self.parties:
                party = unknown("party", shock.government, self.parties)
                raise ValueError(f"{where}.government: {party}")
            if shock.compliance is not None and check is not None:
                rejected = check.compliance(shock.compliance, {})
                if rejected is not None:
                    raise ValueError(f"{where}.compliance: {rejected.reason}")
            if any(t > impl.periods for t in shock.at):
                raise ValueError(f"{where}.at: periods must be within 1..{impl.periods}")

    def _check_derived(self, scenario: ScenarioSection) -> None:
        govs = set(scenario.resources)
        if set(self.parties) != govs:
            missing, extra = sorted(govs - set(self.parties)), sorted(set(self.parties) - govs)
            what = f"missing {missing}" if missing else f"not in scenario.resources: {extra}"
            raise ValueError(f"parties: {what}")
        for name, party in self.parties.items():
            if party.offset != 0.0:
                raise ValueError(
                    f"parties.{name}.offset: only for explicit [domain] configs; a derived "
                    "domain's offset is the stand-alone output"
                )
            for key in ("values", "reservation"):
                if getattr(party, key) is not None:
                    raise ValueError(
                        f"parties.{name}.{key}: only for explicit [domain] configs; "
                        "a derived domain computes it from [scenario]"
                    )

    def _check_explicit(self, domain: DomainSection) -> None:
        issues = {i.name: i for i in domain.issues}
        for name, party in self.parties.items():
            if party.reservation is None:
                raise ValueError(f"parties.{name}.reservation: required with an explicit [domain]")
            values = party.values or {}
            for issue_name in issues:
                if issue_name not in values:
                    raise ValueError(f"parties.{name}.values.{issue_name}: missing")
            for issue_name, table in values.items():
                where = f"parties.{name}.values.{issue_name}"
                issue = issues.get(issue_name)
                if issue is None:
                    raise ValueError(f"{where}: no such issue in [domain]")
                if issue.kind == "share":
                    if isinstance(table, dict):
                        raise ValueError(
                            f"{where}: a share issue takes one amount (share × amount)"
                        )
                    continue
                if not isinstance(table, dict):
                    raise ValueError(f"{where}: needs a table value → utility")
                labels = issue.values or ["false", "true"]
                missing = [v for v in labels if v not in table]
                extra = [v for v in table if v not in labels]
                if missing or extra:
                    what = f"missing {missing}" if missing else f"unknown values {extra}"
                    raise ValueError(f"{where}: {what} (the issue's values are {labels})")

    def _check_rubinstein(self) -> None:
        shares = (
            [i for i in self.domain.issues if i.kind == "share"] if self.domain is not None else []
        )
        if (
            len(self.parties) != 2
            or self.domain is None
            or len(self.domain.issues) != 1
            or not shares
        ):
            name = next(n for n, p in self.parties.items() if p.strategy == "rubinstein")
            raise ValueError(
                f"parties.{name}.strategy: rubinstein needs two parties and a domain of exactly "
                "one share issue"
            )
        for name, party in self.parties.items():
            amount = (party.values or {}).get(shares[0].name, 0.0)
            if party.reservation != 0.0 or not isinstance(amount, float | int) or amount <= 0:
                raise ValueError(
                    f"parties.{name}: rubinstein bargaining needs reservation = 0 and a positive "
                    "amount for the share issue"
                )


def ancestors(unit: str | None, hierarchy: dict[str, str]) -> list[str]:
    """``unit`` and its parents, upwards (``hierarchy`` maps unit → parent)."""
    out: list[str] = []
    while unit is not None and unit not in out:
        out.append(unit)
        unit = hierarchy.get(unit)
    return out


def common_parent(parents: dict[str, str | None], hierarchy: dict[str, str]) -> str | None:
    """The lowest unit that is a parent (direct or not) of every government, or None."""
    chains = [ancestors(parent, hierarchy) for parent in parents.values()]
    if not chains or any(not chain for chain in chains):
        return None
    common = set(chains[0]).intersection(*chains[1:])
    for unit in chains[0]:  # lowest first
        if unit in common:
            return unit
    return None


def _find_cycle(hierarchy: dict[str, str]) -> str | None:
    for start in hierarchy:
        unit: str | None = start
        seen: set[str] = set()
        while unit is not None:
            if unit in seen:
                return unit
            seen.add(unit)
            unit = hierarchy.get(unit)
    return None
