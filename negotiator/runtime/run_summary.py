"""The typed summary of a run: what ``summary.json`` holds, as frozen dataclasses.

A :class:`RunSummary` is built once per run (:func:`build_summary`, called by the runner and by
replay's branches) from the :class:`RunMetrics` that ``runner.execute`` computes; its
:meth:`RunSummary.to_json` is exactly the ``summary.json`` object (same keys, same order, same
values) and :meth:`RunSummary.from_json` reads one back. The parts:

* the identity (run id, seed, protocol, parties, final digest, log, wall time) and its origin:
  a :class:`LocalRun` (the economy and the processes) or a :class:`BranchOrigin` (a branch of a
  logged run, :func:`negotiator.replay.branch`);
* :class:`NegotiationSummary`: phase 1 (docs/model.md §5), present when the config negotiates;
* :class:`Conduct`: invalid actions, rejected messages, refused handshakes, absent parties;
* :class:`GuidanceSummary`: the superior, its plan, the declarations and the misreports caught;
* :class:`ImplementationSummary`: phase 2 (docs/model.md §6), present when the run has one.

Values that are themselves documents (a decoded contract, the economy's report, a renegotiation
record) stay JSON objects: their form belongs to the model that writes them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from negotiator.config import Config
from negotiator.errors import OutputError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

JSONObject = dict[str, Any]
"""A nested JSON document of the summary (a decoded contract, a report, a record)."""

_Part = TypeVar("_Part", bound="DataclassInstance")


def _fields_json(part: DataclassInstance) -> JSONObject:
    """A part whose field names are its JSON keys, in field order."""
    return {f.name: getattr(part, f.name) for f in fields(part)}


def _from_fields(cls: type[_Part], data: JSONObject) -> _Part:
    """The part ``cls`` from the keys of ``data`` named by its fields (others are ignored)."""
    return cls(**{f.name: data[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class NegotiationSummary:
    """Phase 1 (docs/model.md §5). Without agreement every party keeps its reservation value."""

    agreement: bool
    agreement_round: int | None
    contract: JSONObject | None
    utilities: dict[str, float]
    discounted_utilities: dict[str, float]
    normalized_utilities: dict[str, float]
    reservation: dict[str, float]
    welfare: float
    nash_product: float
    nash_distance: float | None
    asymmetric_nash_distance: float | None
    kalai_smorodinsky_distance: float | None
    pareto_distance: float
    fairness: float | None
    power: dict[str, float]
    nash_point: dict[str, float] | None
    max_welfare: float
    outcomes: int
    pareto_size: int
    status: str
    rounds: int
    settled_round: int | None
    forfeits: dict[str, int]
    """Written after ``invalid_actions`` (:class:`Conduct`) in ``summary.json``."""


@dataclass(frozen=True)
class Conduct:
    """How the participants behaved on the wire."""

    invalid_actions: dict[str, int]
    rejected_messages: int
    auth_refused: int
    absent: tuple[str, ...]


@dataclass(frozen=True)
class PlanSummary:
    """The superior's plan, as it was tabled."""

    guidance: str
    text: JSONObject | None
    cofunding: float
    subsidy: float
    budget: float
    based_on: str


@dataclass(frozen=True)
class GuidanceSummary:
    """Who the superior is, what it planned, what was declared and who was caught misreporting
    (``declarations`` and ``misreports`` are both None when nothing was declared)."""

    superior: str | None
    plan: PlanSummary | None = None
    declarations: dict[str, dict[str, float]] | None = None
    misreports: tuple[str, ...] | None = None

    def to_json(self) -> JSONObject:
        out: JSONObject = {"superior": self.superior}
        if self.plan is not None:
            out["plan"] = _fields_json(self.plan)
        if self.declarations is not None:
            out["declarations"] = self.declarations
            out["misreports"] = list(self.misreports or ())
        return out

    @classmethod
    def from_json(cls, data: JSONObject) -> GuidanceSummary:
        plan = data.get("plan")
        declared = "declarations" in data
        return cls(
            superior=data["superior"],
            plan=_from_fields(PlanSummary, plan) if plan is not None else None,
            declarations=data["declarations"] if declared else None,
            misreports=tuple(data["misreports"]) if declared else None,
        )


@dataclass(frozen=True)
class ImplementationSummary:
    """Phase 2 (docs/model.md §6): compliance, payoffs, survival, renegotiation, theory."""

    contract_in_force: bool
    periods: int
    compliance_rate: float | None
    compliance_by_government: dict[str, float]
    compliance_by_period: list[float]
    moves: dict[str, str]
    trembles: int
    detections: dict[str, int]
    penalties: float
    fines_to_superior: float
    subsidies: dict[str, float]
    subsidy_budget_left: float
    cumulative_payoffs: dict[str, float]
    discounted_payoffs: dict[str, float]
    governments_total: float
    superior_cofunding: float
    superior_net: float
    regional_welfare: float
    cluster_output: float
    contract_survived: bool | None
    breakdown_period: int | None
    kept_by_government: dict[str, bool] | None
    breakdown_by_government: dict[str, int | None] | None
    survival_window: int
    renegotiations: int
    contract_changes: int
    transfers: dict[str, float]
    renegotiation_log: list[JSONObject]
    final_contract: JSONObject | None
    games: dict[str, dict[str, float]]
    dilemma: dict[str, bool]
    delta: float
    delta_star: dict[str, float]
    delta_star_max: float
    sustainable: dict[str, bool]
    grim_trigger_sustainable: bool
    delta_star_history: list[JSONObject]
    phase2_forfeits: dict[str, int]


@dataclass(frozen=True)
class RunMetrics:
    """Everything a run measured (``runner.execute`` computes it; replay's branches too)."""

    conduct: Conduct
    guidance: GuidanceSummary
    negotiation: NegotiationSummary | None = None
    implementation: ImplementationSummary | None = None

    def to_json(self) -> JSONObject:
        out: JSONObject = {}
        if self.negotiation is not None:
            out |= _fields_json(self.negotiation)
            del out["forfeits"]
        out["invalid_actions"] = self.conduct.invalid_actions
        if self.negotiation is not None:
            out["forfeits"] = self.negotiation.forfeits
        out |= {
            "rejected_messages": self.conduct.rejected_messages,
            "auth_refused": self.conduct.auth_refused,
            "absent": list(self.conduct.absent),
        }
        out |= self.guidance.to_json()
        if self.implementation is not None:
            out["implementation"] = _fields_json(self.implementation)
        return out

    @classmethod
    def from_json(cls, data: JSONObject) -> RunMetrics:
        impl = data.get("implementation")
        return cls(
            conduct=Conduct(
                data["invalid_actions"],
                data["rejected_messages"],
                data["auth_refused"],
                tuple(data["absent"]),
            ),
            guidance=GuidanceSummary.from_json(data),
            negotiation=_from_fields(NegotiationSummary, data) if "agreement" in data else None,
            implementation=_from_fields(ImplementationSummary, impl) if impl else None,
        )

    def headline(self) -> JSONObject:
        """The few results repeated in the log's ``run_finished`` event."""
        out: JSONObject = {}
        if self.negotiation is not None:
            n = self.negotiation
            out |= {"agreement": n.agreement, "status": n.status, "utilities": n.utilities}
        if self.implementation is not None:
            i = self.implementation
            out |= {
                "compliance_rate": i.compliance_rate,
                "contract_survived": i.contract_survived,
                "cumulative_payoffs": i.cumulative_payoffs,
            }
        return out


@dataclass(frozen=True)
class LocalRun:
    """What an ordinary run adds: the economy and the processes that took part."""

    economy: JSONObject | None
    agent_pids: dict[str, int]
    mediator_pid: int


@dataclass(frozen=True)
class BranchOrigin:
    """A branch of a logged run: the parent's run id, where it branched, what changed."""

    branched_from: str | None
    phase: int
    after: int
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class RunSummary:
    """A run's summary (``summary.json``)."""

    run_id: str
    seed: int
    protocol: str | None
    parties: tuple[str, ...]
    metrics: RunMetrics
    final_digest: str
    log: str
    wall_seconds: float
    origin: LocalRun | BranchOrigin

    @property
    def negotiation(self) -> NegotiationSummary | None:
        return self.metrics.negotiation

    @property
    def conduct(self) -> Conduct:
        return self.metrics.conduct

    @property
    def guidance(self) -> GuidanceSummary:
        return self.metrics.guidance

    @property
    def implementation(self) -> ImplementationSummary | None:
        return self.metrics.implementation

    @property
    def branch(self) -> BranchOrigin | None:
        return self.origin if isinstance(self.origin, BranchOrigin) else None

    def write(self, run_dir: Path) -> Path:
        """Write ``summary.json`` into ``run_dir`` (:class:`OutputError` if it cannot be)."""
        path = run_dir / "summary.json"
        try:
            path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path

    def to_json(self) -> JSONObject:
        """Exactly the ``summary.json`` object."""
        out: JSONObject = {"run_id": self.run_id}
        origin = self.origin
        if isinstance(origin, BranchOrigin):
            out |= {
                "branched_from": origin.branched_from,
                "branch_point": {"phase": origin.phase, "after": origin.after},
                "overrides": list(origin.overrides),
            }
        out |= {"seed": self.seed, "protocol": self.protocol, "parties": list(self.parties)}
        out |= self.metrics.to_json()
        if isinstance(origin, LocalRun):
            out["economy"] = origin.economy
        out |= {"final_digest": self.final_digest, "log": self.log}
        if isinstance(origin, LocalRun):
            out |= {"agent_pids": origin.agent_pids, "mediator_pid": origin.mediator_pid}
        out["wall_seconds"] = self.wall_seconds
        return out

    @classmethod
    def from_json(cls, data: JSONObject) -> RunSummary:
        """A summary read back from ``summary.json``."""
        origin: LocalRun | BranchOrigin
        if "branched_from" in data:
            point = data["branch_point"]
            origin = BranchOrigin(
                data["branched_from"], point["phase"], point["after"], tuple(data["overrides"])
            )
        else:
            origin = LocalRun(data["economy"], data["agent_pids"], data["mediator_pid"])
        return cls(
            run_id=data["run_id"],
            seed=data["seed"],
            protocol=data["protocol"],
            parties=tuple(data["parties"]),
            metrics=RunMetrics.from_json(data),
            final_digest=data["final_digest"],
            log=data["log"],
            wall_seconds=data["wall_seconds"],
            origin=origin,
        )


def build_summary(
    config: Config,
    run_id: str,
    metrics: RunMetrics,
    *,
    final_digest: str,
    log: str,
    started: float,
    origin: LocalRun | BranchOrigin,
) -> RunSummary:
    """The summary of a run of ``config`` that started at ``started`` (``time.monotonic()``)."""
    return RunSummary(
        run_id=run_id,
        seed=config.run.seed,
        protocol=config.negotiation.protocol if config.negotiates else None,
        parties=tuple(config.party_names),
        metrics=metrics,
        final_digest=final_digest,
        log=log,
        wall_seconds=round(time.monotonic() - started, 3),
        origin=origin,
    )
