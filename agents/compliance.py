"""Phase-2 compliance strategies: comply (C) or defect (D) each period (DESIGN §6).

With two governments and perfect observation each matches the Axelrod library's definition.
For N > 2, "the opponent defected" means "a defection by another government was observed last
period" — what a government observes is decided by the mediator (transparency, detection), so a
strategy reacts to the defections it was shown, never to ones it was not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from negotiator.seeding import rng_for

Move = Literal["C", "D"]


@dataclass(frozen=True)
class StageGame:
    """One government's stage game and the contract terms it plays under (all public to it)."""

    R: float
    S: float
    T: float
    P: float
    n: int
    """Number of governments."""
    detection: float
    penalty: float
    subsidy: float
    lam: float
    """This government's promotion-pressure weight λ."""

    def payoff(self, move: Move, others_defecting: int) -> float:
        """Stage payoff with ``others_defecting`` defectors among the other n − 1."""
        share = others_defecting / (self.n - 1)
        if move == "C":
            return self.R - (self.R - self.S) * share
        return self.T - (self.T - self.P) * share

    def to_spec(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> StageGame:
        return cls(**{k: spec[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class PeriodObservation:
    """What a government knows when it decides period ``period`` (1-based)."""

    period: int
    my_moves: tuple[Move, ...]
    """Its own past moves."""
    others_defected: tuple[bool, ...]
    """Per past period: whether it observed a defection by another government."""
    payoffs: tuple[float, ...]
    """Its own realised payoffs of past periods."""


@dataclass(frozen=True)
class NoParams:
    pass


class ComplianceStrategy:
    """Base class: subclasses set ``name`` (and ``Params``, ``stochastic``) and implement
    :meth:`decide`. Randomness must come from ``self.rng``."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[Any]] = NoParams
    stochastic: ClassVar[bool] = False
    memory_depth: ClassVar[float] = math.inf

    def __init__(self, party: str, game: StageGame, params: Any, seed: int) -> None:
        self.party = party
        self.game = game
        self.params = params
        self.rng = rng_for(seed, "agent", party, "compliance")

    def decide(self, obs: PeriodObservation) -> Move:  # pragma: no cover - abstract
        raise NotImplementedError


class Cooperator(ComplianceStrategy):
    """Always complies."""

    name = "cooperator"
    memory_depth = 0

    def decide(self, obs: PeriodObservation) -> Move:
        return "C"


class Defector(ComplianceStrategy):
    """Always defects."""

    name = "defector"
    memory_depth = 0

    def decide(self, obs: PeriodObservation) -> Move:
        return "D"


class TitForTat(ComplianceStrategy):
    """Complies first, then does what the opponent did last period (defects iff a defection by
    another government was observed last period)."""

    name = "tit_for_tat"
    memory_depth = 1

    def decide(self, obs: PeriodObservation) -> Move:
        return "D" if obs.others_defected and obs.others_defected[-1] else "C"


class SuspiciousTitForTat(ComplianceStrategy):
    """Tit for tat that defects first."""

    name = "suspicious_tit_for_tat"
    memory_depth = 1

    def decide(self, obs: PeriodObservation) -> Move:
        if not obs.others_defected:
            return "D"
        return "D" if obs.others_defected[-1] else "C"


class Grudger(ComplianceStrategy):
    """Complies until it observes a defection, then defects for ever."""

    name = "grudger"

    def decide(self, obs: PeriodObservation) -> Move:
        return "D" if any(obs.others_defected) else "C"


class WinStayLoseShift(ComplianceStrategy):
    """Pavlov: complies first; repeats its last move if the opponent complied last period
    (a win: R or T), otherwise switches."""

    name = "win_stay_lose_shift"
    memory_depth = 1

    def decide(self, obs: PeriodObservation) -> Move:
        if not obs.my_moves:
            return "C"
        last = obs.my_moves[-1]
        if obs.others_defected[-1]:
            return "D" if last == "C" else "C"
        return last


class Alternator(ComplianceStrategy):
    """Complies, defects, complies, ... regardless of the others."""

    name = "alternator"
    memory_depth = 1

    def decide(self, obs: PeriodObservation) -> Move:
        return "C" if len(obs.my_moves) % 2 == 0 else "D"


class TitForTwoTats(ComplianceStrategy):
    """Defects only after observing defections in both of the last two periods."""

    name = "tit_for_two_tats"
    memory_depth = 2

    def decide(self, obs: PeriodObservation) -> Move:
        last_two = obs.others_defected[-2:]
        return "D" if len(last_two) == 2 and all(last_two) else "C"


@dataclass(frozen=True)
class GenerousParams:
    generosity: float | None = None
    """Probability of complying after a defection; default (Nowak & Sigmund)
    min(1 − (T − R)/(R − S), (R − P)/(T − P)) from the government's own stage game."""

    def __post_init__(self) -> None:
        if self.generosity is not None and not 0.0 <= self.generosity <= 1.0:
            raise ValueError(f"generosity must be in [0, 1], got {self.generosity}")


class GenerousTitForTat(ComplianceStrategy):
    """Tit for tat that forgives an observed defection with probability ``generosity``."""

    name = "generous_tit_for_tat"
    Params = GenerousParams
    stochastic = True
    memory_depth = 1

    def __init__(self, party: str, game: StageGame, params: GenerousParams, seed: int) -> None:
        super().__init__(party, game, params, seed)
        g = params.generosity
        if g is None:
            g = min(
                1 - (game.T - game.R) / (game.R - game.S), (game.R - game.P) / (game.T - game.P)
            )
        self.generosity = min(max(g, 0.0), 1.0)

    def decide(self, obs: PeriodObservation) -> Move:
        if not obs.others_defected or not obs.others_defected[-1]:
            return "C"
        return "C" if self.rng.random() < self.generosity else "D"


class BestResponse(ComplianceStrategy):
    """Myopic best response with the promotion term.

    Expects the others to repeat last period (a defection observed ⇒ one defector, else none) and
    assumes they face its own stage game. Switching from C to D raises its payoff by
    Δ = payoff(D, d) − payoff(C, d) and lowers each other's by (R − S)/(n − 1), so the mean of the
    others falls by m = (R − S)/(n − 1). With decision utility u = payoff + λ·(payoff − mean of
    others) it defects iff Δ + λ·(Δ + m) > p·(F + s): the expected fine plus the subsidy lost when
    caught.
    """

    name = "best_response"
    memory_depth = 1

    def decide(self, obs: PeriodObservation) -> Move:
        g = self.game
        d = 1 if obs.others_defected and obs.others_defected[-1] else 0
        d = min(d, g.n - 1)
        gain = g.payoff("D", d) - g.payoff("C", d)
        harm = (g.R - g.S) / (g.n - 1)
        expected_cost = g.detection * (g.penalty + g.subsidy)
        return "D" if gain + g.lam * (gain + harm) > expected_cost else "C"


CLASSIC: tuple[type[ComplianceStrategy], ...] = (
    Cooperator,
    Defector,
    TitForTat,
    Grudger,
    WinStayLoseShift,
    Alternator,
    SuspiciousTitForTat,
    TitForTwoTats,
)
REGISTERED: tuple[type[ComplianceStrategy], ...] = (*CLASSIC, GenerousTitForTat, BestResponse)
