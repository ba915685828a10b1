"""The economics of the cluster (docs/model.md §1): outputs, surplus, dependence and power.

Pure functions of the ``[scenario]`` section; nothing here negotiates or talks to anyone.

Dependence of i on j (Emerson 1962; Pfeffer & Salancik 1978: importance × what i lacks × what j
controls) is D[i][j] = Σ_r α_r · (1 − x[i][r]/X_r) · x[j][r]/X_r. A second, counterfactual reading
is reported beside it: the share of i's Shapley value of the cooperative surplus that i loses when
j leaves the cluster (computed for up to :data:`COUNTERFACTUAL_MAX` governments).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from negotiator.config import ScenarioSection

#: The counterfactual dependence needs the Shapley value of 2^N coalitions: skipped above this N.
COUNTERFACTUAL_MAX = 12


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
    counterfactual: dict[str, dict[str, float]] | None = None
    """Share of i's Shapley value of the surplus lost when j leaves (None above
    :data:`COUNTERFACTUAL_MAX` governments or without a surplus)."""
    shapley: dict[str, float] | None = None
    """Each government's Shapley value of the cooperative surplus (same condition)."""

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
            "shapley": dict(self.shapley) if self.shapley is not None else None,
            "counterfactual": (
                {i: dict(row) for i, row in self.counterfactual.items()}
                if self.counterfactual is not None
                else None
            ),
        }


def economy(scenario: ScenarioSection) -> Economy:
    """Compute the :class:`Economy` of a scenario."""
    alpha = scenario.elasticities
    x = scenario.resources
    govs = tuple(x)
    res = tuple(alpha)
    total = {r: math.fsum(x[g][r] for g in govs) for r in res}
    standalone = {g: _output(scenario, (g,)) for g in govs}
    joint = _output(scenario, govs)

    dependence: dict[str, dict[str, float]] = {}
    for i in govs:
        dependence[i] = {
            j: math.fsum(
                alpha[r] * (1.0 - x[i][r] / total[r]) * x[j][r] / total[r]
                for r in res
                if total[r] > 0
            )
            for j in govs
            if j != i
        }
    held = {g: math.fsum(dependence[j][g] for j in govs if j != g) for g in govs}
    norm = math.fsum(held.values())
    power = {g: (held[g] / norm if norm > 0 else 1.0 / len(govs)) for g in govs}
    shares = {g: {r: x[g][r] / total[r] for r in res} for g in govs}
    shapley, counterfactual = _counterfactual(scenario, govs)
    return Economy(govs, res, standalone, joint, dependence, power, shares, counterfactual, shapley)


def _output(scenario: ScenarioSection, members: Sequence[str]) -> float:
    """Output of a coalition pooling its resources: A·(1 + σ)·Π_r (Σ x)^α_r; a single
    government produces alone (no agglomeration gain)."""
    if not members:
        return 0.0
    x = scenario.resources
    gain = 1.0 + scenario.agglomeration if len(members) > 1 else 1.0
    factors = [math.fsum(x[g][r] for g in members) ** a for r, a in scenario.elasticities.items()]
    return float(scenario.productivity * gain * math.prod(factors))


def _counterfactual(
    scenario: ScenarioSection, govs: tuple[str, ...]
) -> tuple[dict[str, float] | None, dict[str, dict[str, float]] | None]:
    """Shapley values of the surplus game v(C) = Y(C) − Σ_{g∈C} Y_g, and the share of i's value
    lost when j leaves: (φ_i(N) − φ_i(N∖{j})) / φ_i(N). Negative when j competes with i for the
    same resource (i gains when j leaves)."""
    if len(govs) > COUNTERFACTUAL_MAX:
        return None, None
    alone = {g: _output(scenario, (g,)) for g in govs}
    cache: dict[frozenset[str], float] = {}

    def value(members: frozenset[str]) -> float:
        if members not in cache:
            ordered = [g for g in govs if g in members]
            cache[members] = _output(scenario, ordered) - math.fsum(alone[g] for g in ordered)
        return cache[members]

    def shapley(players: tuple[str, ...]) -> dict[str, float]:
        n = len(players)
        out = {}
        for i in players:
            others = [p for p in players if p != i]
            terms = []
            for k in range(len(others) + 1):
                weight = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                for coalition in itertools.combinations(others, k):
                    base = frozenset(coalition)
                    terms.append(weight * (value(base | {i}) - value(base)))
            out[i] = math.fsum(terms)
        return out

    full = shapley(govs)
    if any(v <= 1e-12 for v in full.values()):
        return full, None  # someone gains nothing from cooperation: no share to lose
    matrix: dict[str, dict[str, float]] = {i: {} for i in govs}
    for j in govs:
        without = shapley(tuple(g for g in govs if g != j))
        for i in govs:
            if i != j:
                matrix[i][j] = (full[i] - without[i]) / full[i]
    return full, matrix
