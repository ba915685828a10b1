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
from typing import Any


@dataclass(frozen=True)
class Province:
    """The superior's decision rule, from its welcome (its own ``[superior]`` section)."""

    guidance: str
    cofunding: float
    subsidy: float
    budget: float

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Province:
        return cls(
            guidance=str(spec["guidance"]),
            cofunding=float(spec["cofunding"]),
            subsidy=float(spec["subsidy"]),
            budget=float(spec["budget"]),
        )

    def decide(self, brief: dict[str, Any]) -> dict[str, Any]:
        """The ``plan`` action body answering a planning brief."""
        if self.guidance == "none":
            return {"kind": "plan", "text": None, "cofunding": 0.0, "subsidy": 0.0, "budget": 0.0}
        if self.guidance == "cofunding":
            return {
                "kind": "plan",
                "text": None,
                "cofunding": self.cofunding,
                "subsidy": 0.0,
                "budget": 0.0,
            }
        with_money = self.guidance == "plan_and_subsidy"
        return {
            "kind": "plan",
            "text": brief.get("asymmetric_nash"),
            "cofunding": self.cofunding,
            "subsidy": self.subsidy if with_money else 0.0,
            "budget": self.budget if with_money else 0.0,
        }
