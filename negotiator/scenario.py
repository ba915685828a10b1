"""The economics of the cluster (DESIGN §3): outputs, surplus, dependence and bargaining power.

Pure functions of the ``[scenario]`` section; nothing here negotiates or talks to anyone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from negotiator.config import ScenarioSection


@dataclass(frozen=True)
class Economy:
    """What the scenario implies: every figure the summary and the default contract use."""

    governments: tuple[str, ...]
    resources: tuple[str, ...]
    standalone: dict[str, float]
    """Y_g = A · Π_r x[g][r]^α_r."""
    joint: float
    """Y_joint = A · (1 + σ) · Π_r X_r^α_r."""
    dependence: dict[str, dict[str, float]]
    """D[i][j]: how much i depends on j."""
    power: dict[str, float]
    """Bargaining power w_g ∝ Σ_j D[j][g], normalised to sum to one."""
    resource_share: dict[str, dict[str, float]]
    """x[g][r] / X_r: each government's share of each resource."""

    @property
    def surplus(self) -> float:
        """S = Y_joint − Σ_g Y_g."""
        return self.joint - math.fsum(self.standalone.values())

    def dependence_on_others(self, g: str) -> float:
        """Σ_{j≠g} D[g][j]: how much g needs the others."""
        return math.fsum(self.dependence[g].values())

    def others_dependence_on(self, g: str) -> float:
        """Σ_{j≠g} D[j][g]: how much the others need g."""
        return math.fsum(self.dependence[j][g] for j in self.governments if j != g)

    def report(self) -> dict[str, Any]:
        """The economy as plain data for summaries and ``analyze --json``."""
        govs = self.governments
        return {
            "standalone_output": dict(self.standalone),
            "joint_output": self.joint,
            "surplus": self.surplus,
            "surplus_pct": 100.0 * self.surplus / math.fsum(self.standalone.values()),
            "matrix": {i: dict(self.dependence[i]) for i in govs},
            "power_asymmetry": {
                i: {j: self.dependence[i][j] - self.dependence[j][i] for j in govs if j != i}
                for i in govs
            },
            "mutual_dependence": {
                i: {j: self.dependence[i][j] + self.dependence[j][i] for j in govs if j != i}
                for i in govs
            },
            "power": dict(self.power),
        }


def economy(scenario: ScenarioSection) -> Economy:
    """Compute the :class:`Economy` of a scenario."""
    alpha = scenario.elasticities
    x = scenario.resources
    govs = tuple(x)
    res = tuple(alpha)
    total = {r: math.fsum(x[g][r] for g in govs) for r in res}
    a = scenario.productivity
    standalone = {g: a * math.prod(x[g][r] ** alpha[r] for r in res) for g in govs}
    joint = a * (1.0 + scenario.agglomeration) * math.prod(total[r] ** alpha[r] for r in res)

    dependence: dict[str, dict[str, float]] = {}
    for i in govs:
        row: dict[str, float] = {}
        for j in govs:
            if j == i:
                continue
            d = 0.0
            for r in res:
                others = total[r] - x[i][r]
                if others > 0:
                    d += alpha[r] * (1.0 - x[i][r] / total[r]) * x[j][r] / others
            row[j] = d
        dependence[i] = row
    held = {g: math.fsum(dependence[j][g] for j in govs if j != g) for g in govs}
    norm = math.fsum(held.values())
    power = {g: (held[g] / norm if norm > 0 else 1.0 / len(govs)) for g in govs}
    shares = {g: {r: x[g][r] / total[r] for r in res} for g in govs}
    return Economy(govs, res, standalone, joint, dependence, power, shares)
