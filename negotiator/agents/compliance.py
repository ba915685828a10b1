"""Phase-2 compliance strategies: the base class, what a government observes, and the classic
automata (docs/model.md §6).

With two governments and perfect observation each classic strategy matches the Axelrod library's
definition. "The opponent defected" means that the government saw or inferred at least one
defection by another government last period: every government infers the number of defectors
from its own payoff and fines (:mod:`negotiator.agents.inference`), and transparency adds the
published list of detected defectors. Strategies that weigh incentives are in
:mod:`negotiator.agents.incentives`, learners in :mod:`negotiator.agents.learners`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from negotiator.agents.base import NoParams
from negotiator.io.messages import PeriodReport
from negotiator.model.stagegame import Move, StageGame
from negotiator.seeding import rng_for

__all__ = ["ComplianceStrategy", "Move", "NoParams", "PeriodObservation", "StageGame"]


@dataclass(frozen=True)
class PeriodObservation:
    """What a government knows when it decides period ``period`` (1-based)."""

    period: int
    my_moves: tuple[Move, ...]
    """Its own past moves, as carried out."""
    others_defected: tuple[bool, ...]
    """Per past period: whether it saw or inferred a defection by another government
    (the estimated count below is at least one)."""
    payoffs: tuple[float, ...]
    """Its own realised payoffs of past periods."""
    defectors: tuple[int, ...] = ()
    """Per past period: the estimated number of other governments that defected (the mode of
    its posterior; exact when observation is perfect)."""
    beliefs: tuple[dict[int, float], ...] = ()
    """Per past period: its posterior over that number (see :mod:`negotiator.agents.inference`)."""
    reports: tuple[PeriodReport, ...] = ()
    """The period reports themselves (fines, subsidy, published detections)."""
    caught: tuple[bool, ...] = field(default=())
    """Per past period: whether it was itself detected (it paid a fine)."""


class ComplianceStrategy:
    """Base class: subclasses set ``name`` (and ``Params``, ``stochastic``) and implement
    :meth:`decide`. Randomness must come from ``self.rng``. ``self.game`` is the government's
    current :class:`StageGame` (replaced when the terms change)."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[Any]] = NoParams
    stochastic: ClassVar[bool] = False

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

    def decide(self, obs: PeriodObservation) -> Move:
        return "C"


class Defector(ComplianceStrategy):
    """Always defects."""

    name = "defector"

    def decide(self, obs: PeriodObservation) -> Move:
        return "D"


class TitForTat(ComplianceStrategy):
    """Complies first, then does what the opponent did last period (defects iff a defection by
    another government was observed last period)."""

    name = "tit_for_tat"

    def decide(self, obs: PeriodObservation) -> Move:
        return "D" if obs.others_defected and obs.others_defected[-1] else "C"


class SuspiciousTitForTat(ComplianceStrategy):
    """Tit for tat that defects first."""

    name = "suspicious_tit_for_tat"

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

    def decide(self, obs: PeriodObservation) -> Move:
        return "C" if len(obs.my_moves) % 2 == 0 else "D"


class TitForTwoTats(ComplianceStrategy):
    """Defects only after observing defections in both of the last two periods."""

    name = "tit_for_two_tats"

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

    def __init__(self, party: str, game: StageGame, params: GenerousParams, seed: int) -> None:
        super().__init__(party, game, params, seed)
        g = params.generosity
        if g is None:
            g = nowak_sigmund(game)
        self.generosity = min(max(g, 0.0), 1.0)

    def decide(self, obs: PeriodObservation) -> Move:
        if not obs.others_defected or not obs.others_defected[-1]:
            return "C"
        return "C" if self.rng.random() < self.generosity else "D"


def nowak_sigmund(game: StageGame) -> float:
    """min(1 − (T − R)/(R − S), (R − P)/(T − P)), Nowak & Sigmund's generosity, for a stage
    game that is a dilemma; 0 (plain tit for tat) for one that is not."""
    if not (game.T > game.R > game.P > game.S):
        return 0.0
    return min(1 - (game.T - game.R) / (game.R - game.S), (game.R - game.P) / (game.T - game.P))


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
