"""The superior (the province): guides the negotiation from above (docs/model.md §8).

It receives a planning brief from the mediator — the asymmetric-Nash outcome computed from the
governments' declarations (verified ones only under ``audited``), which is the one piece of
analysis §7 lets the mediator send to an agent — and decides, as messages like everyone else:

* ``none``: no plan, no money;
* ``cofunding``: no plan, but it co-funds its configured share of the shared infrastructure
  (money without guidance, to tell the two apart);
* ``plan``: table the brief as the plan (the single-text start or the first SAOP offer) and co-fund
  its configured share of the shared infrastructure;
* ``plan_and_subsidy``: also commit a per-period subsidy from a budget for phase 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from negotiator.io.messages import PlanAction, PlanningBrief, SuperiorSpec


@dataclass(frozen=True)
class Province:
    """The superior's decision rule, from its welcome (its own ``[superior]`` section)."""

    guidance: str
    cofunding: float
    subsidy: float
    budget: float

    @classmethod
    def from_spec(cls, spec: SuperiorSpec) -> Province:
        return cls(spec.guidance, spec.cofunding, spec.subsidy, spec.budget)

    def decide(self, brief: PlanningBrief) -> PlanAction:
        """The ``plan`` action answering a planning brief."""
        if self.guidance == "none":
            return PlanAction(text=None, cofunding=0.0, subsidy=0.0, budget=0.0)
        if self.guidance == "cofunding":
            return PlanAction(text=None, cofunding=self.cofunding, subsidy=0.0, budget=0.0)
        with_money = self.guidance == "plan_and_subsidy"
        return PlanAction(
            text=brief.asymmetric_nash,
            cofunding=self.cofunding,
            subsidy=self.subsidy if with_money else 0.0,
            budget=self.budget if with_money else 0.0,
        )
