"""Compliance strategies that weigh incentives: the myopic best response and a forward-looking
conditional cooperator (docs/model.md §6).

Both optimise the decision utility the engine pays, u = payoff + λ·(payoff − mean of the others'
payoffs − ω·[a published detection]), through :mod:`negotiator.model.theory`, the same functions the
summary uses for the theory beside the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from negotiator.agents.compliance import ComplianceStrategy, Move, PeriodObservation
from negotiator.model.stagegame import StageGame
from negotiator.model.theory import expected_utility, sustainable

#: A move must be better by more than this (relative) to count as better: ties go to C.
TIE = 1e-9


def best_move(game: StageGame, belief: dict[int, float]) -> Move:
    """The move with the higher expected decision utility given ``belief`` (ties: comply)."""
    comply = expected_utility(game, "C", belief)
    defect = expected_utility(game, "D", belief)
    return "D" if defect > comply + TIE * max(1.0, abs(comply)) else "C"


class BestResponse(ComplianceStrategy):
    """Myopic best response (adaptive expectations: the others repeat last period).

    Its belief about how many others will defect is its posterior about last period (none
    before the first period); it plays the move with the higher expected decision utility,
    counting its stage payoff, the expected fine (with graduated sanctions), the subsidy it
    keeps unless caught, its share of the others' fines, the effect of its move on the others'
    payoffs weighed with λ, and the standing lost to a published detection (Kandori, Mailath &
    Rob 1993 and Young 1993 study such myopic best-reply dynamics).
    """

    name = "best_response"

    def decide(self, obs: PeriodObservation) -> Move:
        belief = obs.beliefs[-1] if obs.beliefs else {0: 1.0}
        return best_move(self.game, belief)


@dataclass(frozen=True)
class ConditionalParams:
    punishment: int = 2
    """Periods it defects after seeing a defection it did not provoke, before it forgives."""

    def __post_init__(self) -> None:
        if isinstance(self.punishment, bool) or not isinstance(self.punishment, int):
            raise ValueError(f"punishment must be a whole number, got {self.punishment!r}")
        if self.punishment < 1:
            raise ValueError(f"punishment must be at least 1, got {self.punishment}")


class ConditionalCooperator(ComplianceStrategy):
    """A forward-looking conditional cooperator with punishment phases.

    It complies while cooperation is self-enforcing for it — δ ≥ δ*, its grim-trigger threshold
    from its own decision utility (λ, fines, the subsidy as paid, the budget, reputation:
    :func:`negotiator.model.theory.delta_star`) — and no punishment phase is under way; if δ < δ* it
    defects, knowing that the threat of punishment would not hold itself back. A defection seen
    or inferred in a cooperative period, another's or its own (a tremble), starts a punishment
    phase: it defects for the next ``punishment`` periods, then forgives. Defections during a
    phase are taken for punishment and start nothing, so governments that see the same
    defection punish together and return to cooperation together, as the firms of Green &
    Porter (1984) do after a low price; tit for tat, by contrast, echoes punishments back and
    forth when several governments watch each other. After Fischbacher, Gächter & Fehr (2001) on
    conditional cooperation and Friedman (1971) on trigger strategies.
    """

    name = "conditional_cooperator"
    Params = ConditionalParams

    def __init__(self, party: str, game: StageGame, params: Any, seed: int) -> None:
        super().__init__(party, game, params, seed)
        self.until = -1
        """The last period of the punishment phase under way, as an index into the history it
        remembers (which a fresh start empties): −1, none yet."""
        self.seen = 0

    def decide(self, obs: PeriodObservation) -> Move:
        for t in range(self.seen, len(obs.others_defected)):  # past periods not looked at yet
            quiet = t > self.until  # a cooperative period, not part of a phase
            if quiet and (obs.others_defected[t] or obs.my_moves[t] == "D"):
                self.until = t + self.params.punishment
        self.seen = len(obs.others_defected)
        if len(obs.my_moves) <= self.until:  # this period's index in its history
            return "D"
        return "C" if sustainable(self.game, self.game.discount) else "D"
