"""Scenario configuration: TOML files validated by pydantic, with typed ``--set`` overrides.

A config either derives the negotiation domain from the economic scenario of docs/model.md §1
(``[scenario]`` + ``[contract]``) or gives it explicitly (``[domain]`` + per-party value tables).
Every error becomes a :class:`~negotiator.errors.ConfigError` with one line that names the field.
The reference for every key is ``docs/config.md``.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agents.registry import StrategyError, validate_compliance, validate_strategy
from negotiator.errors import ConfigError

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
ParamValue = float | int | str | bool


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RunSection(_Section):
    """``[run]``: naming and the root seed of every random stream."""

    name: Name = "run"
    seed: int = 0


class ScenarioSection(_Section):
    """``[scenario]``: resources, output elasticities and productivity (docs/model.md §1)."""

    units: str = "100 million yuan per year"
    productivity: Annotated[float, Field(gt=0)] = 20.0
    agglomeration: Annotated[float, Field(gt=-1.0)] = 0.0
    elasticities: dict[Name, Annotated[float, Field(gt=0)]]
    resources: dict[Name, dict[Name, Annotated[float, Field(ge=0)]]]

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioSection:
        total = sum(self.elasticities.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"scenario.elasticities: must sum to 1, not {total:g}")
        if len(self.resources) < 2:
            raise ValueError("scenario.resources: at least two governments are needed")
        wanted = set(self.elasticities)
        for gov, endowment in self.resources.items():
            missing, extra = wanted - set(endowment), set(endowment) - wanted
            if missing or extra:
                what = f"missing {sorted(missing)}" if missing else f"unknown {sorted(extra)}"
                raise ValueError(
                    f"scenario.resources.{gov}: {what} (resources are {sorted(wanted)})"
                )
        for r in wanted:
            if sum(e[r] for e in self.resources.values()) <= 0:
                raise ValueError(f"scenario.resources: nobody holds any {r!r}")
        return self


def _three(name: str) -> Any:
    return Field(min_length=3, max_length=3, description=name)


class ContractSection(_Section):
    """``[contract]``: parameters of the default contract issues derived from the scenario (§4)."""

    share_step: Annotated[float, Field(gt=0, le=0.5)] = 0.1
    infra_cost: Annotated[float, Field(ge=0)] = 10.0
    env_producer_cost: list[Annotated[float, Field(ge=0, le=1)]] = _three("fraction of S")
    env_damage_saved: list[Annotated[float, Field(ge=0)]] = _three("money saved downstream")
    detection: list[Probability] = _three("detection probability")
    audit_fee: list[Annotated[float, Field(ge=0)]] = _three("audit fee")
    protection_value: Annotated[float, Field(ge=0)] = 10.0
    penalty: list[Annotated[float, Field(ge=0)]] = _three("fine per detected breach")
    penalty_weight: Annotated[float, Field(ge=0)] = 2.0
    renegotiation_value: Annotated[float, Field(ge=0)] = 1.0

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        defaults = {
            "env_producer_cost": [0.0, 0.04, 0.10],
            "env_damage_saved": [0.0, 3.0, 5.0],
            "detection": [0.0, 0.3, 0.8],
            "audit_fee": [0.0, 0.3, 1.5],
            "penalty": [0.0, 2.0, 5.0],
        }
        if isinstance(data, dict):
            return {**defaults, **data}
        return data

    @model_validator(mode="after")
    def _grid(self) -> ContractSection:
        _check_step("contract.share_step", self.share_step)
        return self


def _check_step(field: str, step: float) -> None:
    units = 1.0 / step
    if abs(units - round(units)) > 1e-6:
        raise ValueError(f"{field}: 1/step must be a whole number, not {units:g}")


IssueKind = Literal["share", "ordinal", "categorical", "boolean"]


class IssueSpec(_Section):
    """One ``[[domain.issues]]`` entry of an explicit domain."""

    name: Name
    kind: IssueKind
    values: list[str] | None = None
    step: Annotated[float, Field(gt=0, le=0.5)] | None = None


class DomainSection(_Section):
    """``[domain]``: an explicit negotiation domain (issues; values are per party)."""

    issues: list[IssueSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _issues(self) -> DomainSection:
        seen: set[str] = set()
        for i, issue in enumerate(self.issues):
            where = f"domain.issues[{i}] ({issue.name})"
            if issue.name in seen:
                raise ValueError(f"{where}: duplicate issue name")
            if issue.name == "transfer":
                raise ValueError(
                    f"{where}: the name 'transfer' is reserved for a renegotiation's side payments"
                )
            seen.add(issue.name)
            if issue.kind == "share":
                if issue.step is None:
                    raise ValueError(f"{where}: a share issue needs a grid `step`")
                if issue.values is not None:
                    raise ValueError(f"{where}: a share issue takes `step`, not `values`")
                _check_step(f"{where}.step", issue.step)
            elif issue.kind == "boolean":
                if issue.values not in (None, ["false", "true"]):
                    raise ValueError(f"{where}: a boolean issue has the values false and true only")
                if issue.step is not None:
                    raise ValueError(f"{where}: `step` is only for share issues")
            else:
                if not issue.values or len(issue.values) < 2:
                    raise ValueError(f"{where}: needs a list of at least two `values`")
                if len(set(issue.values)) != len(issue.values):
                    raise ValueError(f"{where}: duplicate values")
                if issue.step is not None:
                    raise ValueError(f"{where}: `step` is only for share issues")
        return self


class PartySpec(_Section):
    """``[parties.NAME]``: a government's strategies, promotion pressure and, for explicit
    domains, its utility."""

    strategy: str = "linear"
    params: dict[str, ParamValue] = Field(default_factory=dict)
    discount: Annotated[float, Field(gt=0, le=1)] = 1.0
    reservation: float | None = None
    offset: float = 0.0
    values: dict[str, float | dict[str, float]] | None = None
    compliance: str = "tit_for_tat"
    compliance_params: dict[str, ParamValue] = Field(default_factory=dict)
    promotion: Annotated[float, Field(ge=0)] = 0.0
    """λ: weight of relative performance in the official's decision utility (phase 2)."""
    parent: Name | None = None
    """The administrative unit this government belongs to (see ``[hierarchy]``)."""
    declaration: Literal["truthful", "exaggerate"] = "truthful"
    """How it declares its data to the mediator (audited declarations, the superior's plan)."""
    exaggeration: Annotated[float, Field(ge=0)] = 0.25
    """With ``declaration = "exaggerate"``: the fraction by which it inflates its resources."""


class NegotiationSection(_Section):
    """``[negotiation]``: protocol, deadline and the wall-clock budget of one turn."""

    enabled: bool = True
    protocol: Literal["saop", "single_text"] = "saop"
    deadline: Annotated[int, Field(ge=1, le=100_000)] = 60
    turn_timeout: Annotated[float, Field(gt=0, le=3600)] = 5.0
    invalid_limit: Annotated[int, Field(ge=1)] = 3
    order: list[Name] | None = None
    stall: Annotated[int, Field(ge=1)] = 10
    """Single text: stop after this many rounds without an accepted mutation."""


class PayoffSpec(_Section):
    """A Prisoner's Dilemma stage game: T > R > P > S."""

    R: float
    S: float
    T: float
    P: float

    @model_validator(mode="after")
    def _dilemma(self) -> PayoffSpec:
        if not self.T > self.R > self.P > self.S:
            raise ValueError(
                f"not a Prisoner's Dilemma: need T > R > P > S, got T={self.T:g} R={self.R:g} "
                f"P={self.P:g} S={self.S:g}"
            )
        return self


ShockKind = Literal["demand", "rotation", "incident"]


class ShockSpec(_Section):
    """One ``[[implementation.shocks]]`` entry: what happens, and when (fixed periods or a
    Poisson process)."""

    kind: ShockKind
    at: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)
    rate: Annotated[float, Field(gt=0)] | None = None
    factor: Annotated[float, Field(ge=0)] = 1.0
    government: Name | None = None
    promotion: Annotated[float, Field(ge=0)] | None = None
    compliance: str | None = None
    damage: Annotated[float, Field(ge=0)] = 0.0

    @model_validator(mode="after")
    def _when_and_what(self) -> ShockSpec:
        if bool(self.at) == (self.rate is not None):
            raise ValueError("give exactly one of `at` (periods) or `rate` (per period)")
        if self.kind == "rotation" and self.promotion is None and self.compliance is None:
            raise ValueError("a rotation changes `promotion` (λ) or `compliance` (strategy)")
        if self.kind != "rotation" and (self.promotion is not None or self.compliance):
            raise ValueError("`promotion` and `compliance` are for rotation shocks")
        if self.kind == "incident" and self.damage <= 0:
            raise ValueError("an incident needs a `damage` > 0")
        return self


class MediatorSection(_Section):
    """``[mediator]``: what each party may see (docs/model.md §8) and what auditing adds."""

    transparency: Literal["private", "public", "audited"] = "public"
    audit_detection_boost: Probability = 0.2
    """Under ``audited``: added to every detection probability in phase 2 (capped at 1)."""
    heartbeat_timeout: Annotated[float, Field(gt=0)] = 5.0
    """Seconds without any message (heartbeats included) after which a silent party is taken
    for gone: its later turns are forfeited at once; in phase 2 it counts as not complying."""
    expel_after: Annotated[int, Field(ge=1)] = 25
    """A party whose actions were rejected this many times in a row is expelled (absent)."""
    audit_tolerance: Annotated[float, Field(ge=0)] = 0.01
    """Under ``audited``: a declared figure off by more than this fraction is a misreport."""


Guidance = Literal["none", "cofunding", "plan", "plan_and_subsidy"]


class SuperiorSection(_Section):
    """``[superior]``: the higher-level government (an agent process of its own)."""

    guidance: Guidance = "plan"
    cofunding: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Share of the shared infrastructure's cost the superior pays (with guidance)."""
    subsidy: Annotated[float, Field(ge=0)] = 0.0
    """plan_and_subsidy: per-period subsidy to every government not caught defecting."""
    budget: Annotated[float, Field(ge=0)] = 0.0
    """plan_and_subsidy: total subsidy budget over phase 2."""


class TournamentSection(_Section):
    """``[tournament]``: the compliance strategies of ``python run.py tournament``."""

    strategies: list[str] = Field(min_length=2)
    turns: Annotated[int, Field(ge=1, le=100_000)] = 200


class ImplementationSection(_Section):
    """``[implementation]``: phase 2, the compliance game (docs/model.md §6). Absent: no phase 2."""

    periods: Annotated[int, Field(ge=1, le=1_000_000)] = 20
    discount: Annotated[float, Field(gt=0, le=1)] = 0.95
    assume_contract: bool = True
    """Without a negotiation phase: play under the terms below (true) or with no contract."""
    renegotiation: Literal["contract", "always", "never"] = "contract"
    """Whether a shock may reopen the contract: as the contract says, or forced on or off."""
    payoffs: PayoffSpec | dict[Name, PayoffSpec] | None = None
    stage_game: Literal["acts", "scaled"] = "acts"
    """How a derived stage game gets T and S: from the acts of defecting (skipping the cost
    share, secret tax breaks that poach firms) or by the earlier scaling with τ and κ."""
    race_cost: Annotated[float, Field(gt=0)] = 5.0
    """What a government's secret tax breaks cost it per period (P_g = Y_g − race_cost)."""
    poaching: Annotated[float, Field(ge=0, le=1)] = 0.1
    """ρ: the share of a complying government's output that its partners' secret tax breaks
    pull away when all of them defect (ρ/(N − 1) per defecting partner)."""
    tau: Annotated[float, Field(gt=0)] = 0.5
    kappa: Annotated[float, Field(gt=0)] = 0.5
    noise: Annotated[float, Field(ge=0)] = 0.0
    tremble: Probability = 0.0
    """Probability that a government's move is carried out as the opposite one (action noise)."""
    reputation: Annotated[float, Field(ge=0)] = 0.0
    """ω: what a published detection costs an official's standing with the superior, inside the
    promotion term (money per detection; public and audited transparency only)."""
    graduated: Annotated[float, Field(ge=0)] = 0.0
    """γ: graduated sanctions, the fine of a government's k-th detected offence is
    F·(1 + γ·(k − 1)) (Ostrom 1990)."""
    detection: Probability | None = None
    penalty: Annotated[float, Field(ge=0)] | None = None
    subsidy: Annotated[float, Field(ge=0)] = 0.0
    budget: Annotated[float, Field(ge=0)] = 0.0
    incident_mitigation: list[Probability] = Field(
        default_factory=lambda: [0.0, 0.5, 0.8], min_length=3, max_length=3
    )
    renegotiation_trigger: Literal["self_enforcing", "threshold"] = "self_enforcing"
    """When a renegotiable contract is reopened: when it stops being self-enforcing for some
    government, or after a shock moved some R_g by more than ``renegotiation_threshold``."""
    renegotiation_threshold: Annotated[float, Field(gt=0)] = 0.1
    transfer_pot: Annotated[float, Field(ge=0)] = 0.5
    """Side payments a renegotiation may add: a pot of this fraction of the contract's cash gain
    at signing, divided on a grid (0: no transfers)."""
    transfer_steps: Annotated[int, Field(ge=1, le=50)] = 4
    """Grid of the transfer pot: 1/(N·transfer_steps), so that an equal split (no transfer) is
    on it."""
    renegotiation_package: Annotated[int, Field(ge=1)] = 2
    """A renegotiation's mutations change up to this many issues at once."""
    fresh_start: bool = True
    """After a renegotiation that changed the contract, governments forget past conduct."""
    survival_window: Annotated[int, Field(ge=1)] = 5
    """W: the contract survived if no government defected in the last W periods; a breakdown is
    a run of defections by one government of at least W periods that lasts to the end."""
    survival_threshold: Any = Field(default=None, exclude=True)
    """Removed in 0.2 (an error names it); kept as a field so that the message can say why."""
    decision_timeout: Annotated[float, Field(gt=0, le=3600)] = 5.0
    shocks: list[ShockSpec] = Field(default_factory=list)


class Config(_Section):
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
    def _whole(self) -> Config:
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
        self._check_phase2()
        self._check_superior()
        order = self.negotiation.order
        if order is not None and sorted(order) != sorted(self.parties):
            raise ValueError(
                f"negotiation.order: must list each party once: {sorted(self.parties)}"
            )
        for name, party in self.parties.items():
            if not self.negotiation.enabled:
                break
            try:
                validate_strategy(
                    party.strategy,
                    party.params,
                    n_parties=len(self.parties),
                    protocol=self.negotiation.protocol,
                )
            except StrategyError as exc:
                raise ValueError(f"parties.{name}.{exc.field}: {exc}") from None
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

    def _check_phase2(self) -> None:
        for name, party in self.parties.items():
            try:
                validate_compliance(party.compliance, party.compliance_params)
            except StrategyError as exc:
                field = (
                    "compliance"
                    if exc.field == "strategy"
                    else exc.field.replace("params", "compliance_params", 1)
                )
                raise ValueError(f"parties.{name}.{field}: {exc}") from None
        if self.tournament is not None:
            for i, name in enumerate(self.tournament.strategies):
                try:
                    validate_compliance(name, {})
                except StrategyError as exc:
                    raise ValueError(f"tournament.strategies[{i}]: {exc}") from None
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
                raise ValueError(f"{where}.government: unknown party {shock.government!r}")
            if shock.compliance is not None:
                try:
                    validate_compliance(shock.compliance, {})
                except StrategyError as exc:
                    raise ValueError(f"{where}.compliance: {exc}") from None
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


# ---------------------------------------------------------------------------------------------
# loading


_KEY = r"[A-Za-z0-9_\-]+(\[\d+\])?"
KEY_PATTERN = re.compile(rf"{_KEY}(\.{_KEY})*")
"""A dotted key, each part optionally indexing a list: ``implementation.shocks[0].factor``."""


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``a.b.c=value``; the value is read as a TOML value, else taken as a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or not KEY_PATTERN.fullmatch(key):
        raise ConfigError(f"--set {text!r}: expected KEY.PATH=VALUE, e.g. negotiation.deadline=80")
    try:
        value: Any = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def set_key(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``dotted`` (``a.b``, ``a.list[0].b``) in a raw config mapping, creating tables on the
    way (the one dotted-key setter: ``--set``, experiments, branches). A list must exist."""
    node: Any = data
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        name, _, index = part.partition("[")
        last = i == len(parts) - 1
        where = ".".join(parts[: i + 1])
        if not isinstance(node, dict):
            raise ConfigError(f"{dotted}: {'.'.join(parts[:i])} is not a table")
        if not index:
            if last:
                node[name] = value
                return
            node = node.setdefault(name, {})
            continue
        items = node.get(name)
        k = int(index.rstrip("]"))
        if not isinstance(items, list) or not 0 <= k < len(items):
            raise ConfigError(f"{dotted}: {where} is not an item of a list")
        if last:
            items[k] = value
            return
        node = items[k]


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of the raw config ``data`` with each ``a.b=v`` override applied."""
    import copy

    out = copy.deepcopy(data)
    for text in overrides:
        key, value = parse_override(text)
        try:
            set_key(out, key, value)
        except ConfigError as exc:
            raise ConfigError(f"--set {text!r}: {str(exc).split(': ', 1)[1]}") from None
    return out


#: pydantic's names for the alternatives of a union, which it puts in an error's path.
_UNION_TAGS = frozenset({"float", "int", "str", "bool"})


def format_validation_error(exc: ValidationError) -> str:
    """One line: the field path and message of the first error, and how many more there are.
    A union reports an error for each of its alternatives; those that only say the value is not
    of that alternative's type (``float_type``, ``dict_type``, …) give way to the others, which
    say what is wrong inside the value."""
    errors = exc.errors()
    first = next((e for e in errors if not e["type"].endswith("_type")), errors[0])
    msg = str(first["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    # drop pydantic's union and validator tags (e.g. "function-after[...]") from the path;
    # list positions are written [i]
    parts: list[str] = []
    for p in first["loc"]:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif "[" not in str(p) and "(" not in str(p) and str(p) not in _UNION_TAGS:
            parts.append(("." if parts else "") + str(p))
    loc = "".join(parts)
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "missing":
        msg = "required key is missing"
    text = msg if (not loc or msg.startswith(loc.split(".")[0])) else f"{loc}: {msg}"
    if first["type"] not in ("extra_forbidden", "missing") and "input" in first and loc:
        text += f" (got {first['input']!r})" if not isinstance(first["input"], dict) else ""
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return text


def config_from_dict(data: dict[str, Any], *, source: str = "config") -> Config:
    """Validate a raw config mapping; raise :class:`ConfigError` with a one-line message."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {format_validation_error(exc)}") from None


def load_config(
    path: str | Path, overrides: list[str] | None = None, seed: int | None = None
) -> Config:
    """Read, override and validate a TOML config. ``seed`` replaces ``run.seed``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    data = apply_overrides(data, overrides or [])
    if seed is not None:
        data.setdefault("run", {})["seed"] = seed
    return config_from_dict(data, source=str(path))


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
