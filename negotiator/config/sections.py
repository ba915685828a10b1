"""The tables of a config file: one pydantic model per section, checked on its own.

Pure schema: types, ranges and the rules that concern one table only (elasticities sum to 1,
issues of an explicit domain are well formed, a shock says when and what). Rules that relate
tables to each other are :class:`negotiator.config.schema.Config`'s. The reference for every key
is ``docs/config.md``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
ParamValue = float | int | str | bool


class Section(BaseModel):
    """Base of every table: unknown keys are refused, numbers must be finite, models frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RunSection(Section):
    """``[run]``: naming and the root seed of every random stream."""

    name: Name = "run"
    seed: int = 0


class ScenarioSection(Section):
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


class ContractSection(Section):
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
Label = Annotated[str, Field(min_length=1)]


class Labelled(Section):
    """A table that may carry a ``label``: the original name of an issue or party imported from
    another tool (``import genius``), which ``export genius`` writes back. An absent label is left
    out of the table's dump, so that a config without labels keeps its canonical form (the
    ``run_started`` line of its log, and so every digest)."""

    @model_serializer(mode="wrap")
    def _without_absent_label(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and getattr(self, "label", None) is None:
            data.pop("label", None)
        return data


class IssueSpec(Labelled):
    """One ``[[domain.issues]]`` entry of an explicit domain."""

    name: Name
    label: Label | None = None
    """The issue's original name (e.g. from a Genius domain), when ``name`` had to differ."""
    kind: IssueKind
    values: list[str] | None = None
    step: Annotated[float, Field(gt=0, le=0.5)] | None = None


class DomainSection(Section):
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


class PartySpec(Labelled):
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
    label: Label | None = None
    """The party's original name (e.g. a Genius profile's file name), when its name had to
    differ."""


class NegotiationSection(Section):
    """``[negotiation]``: protocol, deadline and the wall-clock budget of one turn."""

    enabled: bool = True
    protocol: Literal["saop", "single_text"] = "saop"
    deadline: Annotated[int, Field(ge=1, le=100_000)] = 60
    turn_timeout: Annotated[float, Field(gt=0, le=3600)] = 5.0
    invalid_limit: Annotated[int, Field(ge=1)] = 3
    order: list[Name] | None = None
    stall: Annotated[int, Field(ge=1)] = 10
    """Single text: stop after this many rounds without an accepted mutation."""


class PayoffSpec(Section):
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


class ShockSpec(Section):
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


class MediatorSection(Section):
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


class SuperiorSection(Section):
    """``[superior]``: the higher-level government (an agent process of its own)."""

    guidance: Guidance = "plan"
    cofunding: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Share of the shared infrastructure's cost the superior pays (with guidance)."""
    subsidy: Annotated[float, Field(ge=0)] = 0.0
    """plan_and_subsidy: per-period subsidy to every government not caught defecting."""
    budget: Annotated[float, Field(ge=0)] = 0.0
    """plan_and_subsidy: total subsidy budget over phase 2."""


class TournamentSection(Section):
    """``[tournament]``: the compliance strategies of ``python run.py tournament``."""

    strategies: list[str] = Field(min_length=2)
    turns: Annotated[int, Field(ge=1, le=100_000)] = 200


class ImplementationSection(Section):
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
