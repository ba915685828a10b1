"""Governments that learn to comply or defect from experience (docs/model.md §6).

Both learners are stochastic (seeded) and learn from their realised decision utility,
u = payoff + λ·(payoff − mean of the others' payoffs − ω·[a published detection]). A government
sees its own payoff but not the others': it estimates their mean from the number of defectors it
inferred (:mod:`negotiator.agents.inference`) and its peers' mean stage game
(:func:`negotiator.model.theory.expected_money`).

* ``roth_erev``: reinforcement learning, Roth & Erev (1995), in the three-parameter form of
  Erev & Roth (1998): propensities q_j, choice probability q_j / Σ q; after each period
  q_j ← (1 − φ)·q_j + E_j with E = R(x)·(1 − ε) for the move played and R(x)·ε for the other,
  R(x) = x − x_min (x_min: the lowest decision utility the stage game in force allows), initial
  propensities s(1)·X/2 with X the mean of R over the game's corners. Defaults φ = 0.1,
  ε = 0.2, s(1) = 9, Erev & Roth's estimates.
* ``ewa``: experience-weighted attraction, Camerer & Ho (1999): N(t) = ρ·N(t − 1) + 1 and
  A_j(t) = [φ·N(t − 1)·A_j(t − 1) + (δ + (1 − δ)·[j played])·π_j(t)] / N(t), with π the decision
  utility scaled to [0, 1] over the game's corners (the foregone one estimated at the inferred
  number of defectors); choice by logit with sensitivity λ_ewa. Defaults φ = 0.9, δ = 0.5,
  ρ = 0.9, λ_ewa = 5, N(0) = 1, A(0) = 0 (typical of Camerer & Ho's estimates; not fitted here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from negotiator.agents.compliance import ComplianceStrategy, Move, PeriodObservation
from negotiator.agents.inference import mode
from negotiator.model.stagegame import StageGame
from negotiator.model.theory import expected_money, expected_utility

MOVES: tuple[Move, Move] = ("C", "D")


def corners(game: StageGame) -> list[float]:
    """Expected decision utility of each move when none and when all of the others defect."""
    return [expected_utility(game, m, {k: 1.0}) for m in MOVES for k in sorted({0, game.n - 1})]


def realised_utility(game: StageGame, obs: PeriodObservation, t: int) -> float:
    """Its decision utility of past period ``t`` (0-based) as it can estimate it: its own
    realised payoff, the others' mean estimated at the inferred number of defectors."""
    move = obs.my_moves[t]
    k = obs.defectors[t] if t < len(obs.defectors) else 0
    _, others, _ = expected_money(game, move, k)
    payoff = obs.payoffs[t]
    published = game.published and t < len(obs.caught) and obs.caught[t]
    return payoff + game.lam * (payoff - others - (game.reputation if published else 0.0))


def _check(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {value}")


@dataclass(frozen=True)
class RothErevParams:
    forgetting: float = 0.1
    """φ: how fast old propensities fade."""
    experimentation: float = 0.2
    """ε: the share of a reinforcement that goes to the move not played."""
    strength: float = 9.0
    """s(1): the weight of the initial propensities, in units of the mean reinforcement."""

    def __post_init__(self) -> None:
        _check("forgetting", self.forgetting, 0.0, 1.0)
        _check("experimentation", self.experimentation, 0.0, 1.0)
        if not self.strength > 0:
            raise ValueError(f"strength must be > 0, got {self.strength}")


class RothErev(ComplianceStrategy):
    """Reinforcement learning (Roth & Erev 1995; Erev & Roth 1998); see the module docstring."""

    name = "roth_erev"
    Params = RothErevParams
    stochastic = True

    def __init__(self, party: str, game: StageGame, params: Any, seed: int) -> None:
        super().__init__(party, game, params, seed)
        values = corners(game)
        floor = min(values)
        scale = math.fsum(v - floor for v in values) / len(values) or 1.0
        start = params.strength * scale / 2
        self.propensity = {"C": start, "D": start}
        self.seen = 0

    def decide(self, obs: PeriodObservation) -> Move:
        phi, eps = self.params.forgetting, self.params.experimentation
        floor = min(corners(self.game))  # the game in force: shocks move it
        for t in range(self.seen, len(obs.my_moves)):
            reward = max(realised_utility(self.game, obs, t) - floor, 0.0)
            played = obs.my_moves[t]
            for m in MOVES:
                share = (1 - eps) if m == played else eps
                self.propensity[m] = (1 - phi) * self.propensity[m] + reward * share
        self.seen = len(obs.my_moves)
        total = self.propensity["C"] + self.propensity["D"]
        comply = self.propensity["C"] / total if total > 0 else 0.5
        return "C" if self.rng.random() < comply else "D"


@dataclass(frozen=True)
class EwaParams:
    phi: float = 0.9
    """Decay of past attractions."""
    delta: float = 0.5
    """Weight of the payoff of the move not played (0: reinforcement only, 1: belief-based)."""
    rho: float = 0.9
    """Decay of the experience weight N."""
    sensitivity: float = 5.0
    """λ_ewa of the logit choice, per unit of the scaled payoff."""

    def __post_init__(self) -> None:
        _check("phi", self.phi, 0.0, 1.0)
        _check("delta", self.delta, 0.0, 1.0)
        _check("rho", self.rho, 0.0, 1.0)
        if not self.sensitivity >= 0:
            raise ValueError(f"sensitivity must be ≥ 0, got {self.sensitivity}")


class Ewa(ComplianceStrategy):
    """Experience-weighted attraction learning (Camerer & Ho 1999); see the module docstring."""

    name = "ewa"
    Params = EwaParams
    stochastic = True

    def __init__(self, party: str, game: StageGame, params: Any, seed: int) -> None:
        super().__init__(party, game, params, seed)
        self.attraction = {"C": 0.0, "D": 0.0}
        self.experience = 1.0
        self.seen = 0

    def decide(self, obs: PeriodObservation) -> Move:
        p = self.params
        values = corners(self.game)
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        for t in range(self.seen, len(obs.my_moves)):
            played = obs.my_moves[t]
            k = obs.defectors[t] if t < len(obs.defectors) else 0
            if t < len(obs.beliefs) and obs.beliefs[t]:
                k = mode(obs.beliefs[t])
            payoff = {
                m: (
                    realised_utility(self.game, obs, t)
                    if m == played
                    else expected_utility(self.game, m, {k: 1.0})
                )
                for m in MOVES
            }
            before = self.experience
            self.experience = p.rho * before + 1.0
            for m in MOVES:
                weight = p.delta + (1 - p.delta) * (m == played)
                scaled = (payoff[m] - low) / span
                self.attraction[m] = (
                    p.phi * before * self.attraction[m] + weight * scaled
                ) / self.experience
        self.seen = len(obs.my_moves)
        gap = p.sensitivity * (self.attraction["D"] - self.attraction["C"])
        comply = 1.0 / (1.0 + math.exp(min(gap, 700.0)))
        return "C" if self.rng.random() < comply else "D"
