"""The phase-2 stage game as plain values (docs/model.md §6), shared by the engine and the agents.

:class:`Dilemma` is one government's N-player Prisoner's Dilemma (R, S, T, P); :class:`Terms` is
what the mediator enforces; :class:`StageGame` is everything one government is told about its
own game — its payoffs, the terms, its promotion weight, the mean game of its peers and the
environment's noise — and nothing about another government's utility. Pure values: no config,
no I/O, so that agents import this module without the rest of the library.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

Move = Literal["C", "D"]


def stage_payoff(R: float, S: float, T: float, P: float, move: str, d: float, n: int) -> float:
    """Complier: R − (R − S)·d/(n − 1); defector: T − (T − P)·d/(n − 1), with ``d`` defectors
    among the other n − 1 (the one formula of the stage game)."""
    share = d / (n - 1)
    if move == "C":
        return R - (R - S) * share
    return T - (T - P) * share


@dataclass(frozen=True)
class Dilemma:
    """One government's stage game. Derived games need not be dilemmas (T > R > P > S): a
    contract worth less than the race, or a government that loses more from a race than it can
    poach, gives another ordering; :attr:`is_dilemma` says which."""

    R: float
    S: float
    T: float
    P: float

    def payoff(self, move: str, others_defecting: int, n: int) -> float:
        return stage_payoff(self.R, self.S, self.T, self.P, move, others_defecting, n)

    @property
    def is_dilemma(self) -> bool:
        return self.T > self.R > self.P > self.S

    def as_dict(self) -> dict[str, float]:
        return {"R": self.R, "S": self.S, "T": self.T, "P": self.P}


@dataclass(frozen=True)
class Terms:
    """What the mediator enforces in phase 2. Without a contract nothing is enforced."""

    in_force: bool
    detection: float
    penalty: float
    subsidy: float
    budget: float
    env_level: int | None = None
    renegotiable: bool = False
    reputation: float = 0.0
    """ω: what a published detection costs an official's standing (in money, inside the
    promotion term). Zero unless detections are published (transparency public or audited)."""
    graduated: float = 0.0
    """γ: the fine for a government's k-th detected offence is F·(1 + γ·(k − 1)) (Ostrom)."""

    def fine(self, offences: int) -> float:
        """The fine for the next detected offence of a government detected ``offences`` times."""
        return self.penalty * (1.0 + self.graduated * offences)

    def enforced(self) -> Terms:
        """These terms if in force, else the terms of no contract (nothing enforced)."""
        return self if self.in_force else NO_CONTRACT


NO_CONTRACT = Terms(in_force=False, detection=0.0, penalty=0.0, subsidy=0.0, budget=0.0)


@dataclass(frozen=True)
class StageGame:
    """What a government knows of its phase-2 game, as its ``stage_game`` event tells it.

    Its own R, S, T, P; the number of governments; the terms as they apply to it (its own next
    fine, the base fine of the others, the subsidy and the superior's budget left); its promotion
    weight λ and the reputation cost ω of a published detection; the *mean* stage game of its
    peers (what a promotion tournament compares it with: no single peer's payoffs); the market
    noise σ; the discount factor and the periods left. A government never learns another's
    utility function.
    """

    R: float
    S: float
    T: float
    P: float
    n: int
    """Number of governments."""
    detection: float
    penalty: float
    """Its own fine if it is detected defecting now."""
    subsidy: float
    lam: float
    """This government's promotion-pressure weight λ."""
    peer_R: float | None = None
    """Mean of the other governments' R (None: assume its own)."""
    peer_S: float | None = None
    peer_T: float | None = None
    peer_P: float | None = None
    base_penalty: float | None = None
    """The fine another government pays when detected (None: the same as its own)."""
    budget: float = math.inf
    """The superior's subsidy budget left when the terms were announced."""
    periods_left: int = 0
    """Periods still to play when the terms were announced (0: unknown)."""
    noise: float = 0.0
    """σ of the market noise added to every realised payoff."""
    reputation: float = 0.0
    """ω: standing lost by a published detection (0 unless detections are published)."""
    published: bool = False
    """Whether detected defectors are published (transparency public or audited)."""
    graduated: float = 0.0
    discount: float = 1.0

    def payoff(self, move: str, others_defecting: float) -> float:
        """Stage payoff with ``others_defecting`` defectors among the other n − 1."""
        return stage_payoff(self.R, self.S, self.T, self.P, move, others_defecting, self.n)

    @property
    def peers(self) -> Dilemma:
        """The mean stage game of the other governments."""
        return Dilemma(
            self.R if self.peer_R is None else self.peer_R,
            self.S if self.peer_S is None else self.peer_S,
            self.T if self.peer_T is None else self.peer_T,
            self.P if self.peer_P is None else self.peer_P,
        )

    @property
    def others_fine(self) -> float:
        return self.penalty if self.base_penalty is None else self.base_penalty

    def mean_subsidy(self) -> float:
        """The subsidy per government and period the budget can pay, on average, over the rest
        of phase 2 if nobody is caught: min(s, budget / (n · periods left))."""
        if self.subsidy <= 0:
            return 0.0
        periods = max(self.periods_left, 1)
        return min(self.subsidy, self.budget / (self.n * periods))

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "budget" and math.isinf(value):
                value = None  # JSON has no infinity: null means unlimited
            spec[f.name] = value
        return spec

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> StageGame:
        """From a ``game`` body; keys this version does not know are ignored, missing optional
        keys take their defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in spec.items() if k in known}
        if values.get("budget", 0.0) is None:
            values["budget"] = math.inf
        return cls(**values)
