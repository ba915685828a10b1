"""A government's phase 2 as its agent lives it: the game it was told, its compliance strategy,
and its record of past periods (its own moves and payoffs, what it inferred of the others).

:class:`Conduct` changes when the phase-2 rules of the agent change (what it remembers, what it
infers from a report, how it updates its picture of the terms); :mod:`negotiator.agents.agent` only
hands it the messages.
"""

from __future__ import annotations

import dataclasses

from negotiator.agents.base import make_params
from negotiator.agents.compliance import ComplianceStrategy, PeriodObservation
from negotiator.agents.inference import mode, posterior
from negotiator.agents.registry import resolve_compliance
from negotiator.io.messages import PeriodReport, RotationEvent, StageGameEvent, StrategySpec
from negotiator.model.stagegame import Move, StageGame
from negotiator.seeding import rng_for


class Conduct:
    """One government's phase-2 memory and its current compliance strategy."""

    def __init__(self, party: str, seed: int, strategy: StrategySpec) -> None:
        self.party = party
        self.seed = seed
        self.spec = strategy
        """The compliance strategy to start (from the welcome, or the last rotation)."""
        self.game: StageGame | None = None
        self.strategy: ComplianceStrategy | None = None
        self.generation = 0
        """How many compliance strategy instances it has started."""
        self.my_moves: list[Move] = []
        self.others_defected: list[bool] = []
        self.payoffs: list[float] = []
        self.defectors: list[int] = []
        self.beliefs: list[dict[int, float]] = []
        self.reports: list[PeriodReport] = []
        self.caught: list[bool] = []

    def on_stage_game(self, event: StageGameEvent) -> None:
        """The terms in force: the first time (or after a fresh start, forgetting its past
        conduct) it starts its strategy; otherwise the strategy gets the new game."""
        self.game = event.game
        if event.fresh_start:  # a new contract: past conduct is forgiven
            self._forget()
            self._start()
        elif self.strategy is None:
            self._start()
        else:
            self.strategy.game = self.game

    def on_rotation(self, event: RotationEvent) -> None:
        """A new official: the new game, maybe a new strategy, started afresh (memory kept)."""
        self.game = event.game
        if event.compliance is not None:
            self.spec = event.compliance
        self._start()

    def _forget(self) -> None:
        """Start phase-2 memory afresh (its own moves and what it saw of the others)."""
        self.my_moves.clear()
        self.others_defected.clear()
        self.payoffs.clear()
        self.defectors.clear()
        self.beliefs.clear()
        self.reports.clear()
        self.caught.clear()

    def observe(self, report: PeriodReport) -> None:
        """Remember a period: its own move and payoff, the number of other defectors it infers
        (:mod:`negotiator.agents.inference`), whether it was caught; then bring its picture of the
        terms up to date: its next fine (graduated sanctions), and, where detections are published,
        the others' mean next fine and the subsidy budget left (under ``private`` it projects the
        budget as if nobody were caught and prices the others' fines at the base fine)."""
        game = self.game
        self.my_moves.append(report.my_move)
        self.payoffs.append(report.payoff)
        self.reports.append(report)
        caught = report.fines_paid > 0 or (
            report.detected is not None and self.party in report.detected
        )
        self.caught.append(caught)
        if game is None:
            self.beliefs.append({0: 1.0})
            self.defectors.append(0)
            self.others_defected.append(False)
            return
        belief = posterior(game, report, self.party)
        count = mode(belief)
        self.beliefs.append(belief)
        self.defectors.append(count)
        self.others_defected.append(count >= 1)
        if report.budget_left is not None:  # published: the budget as it is
            budget = report.budget_left
        else:  # projected as if nobody were caught
            spent = game.n * min(game.subsidy, game.budget / game.n) if game.subsidy > 0 else 0.0
            budget = max(game.budget - spent, 0.0)
        self.game = dataclasses.replace(
            game,
            penalty=report.next_fine if report.next_fine is not None else game.penalty,
            base_penalty=report.peer_fine if report.peer_fine is not None else game.base_penalty,
            budget=budget,
            periods_left=max(game.periods_left - 1, 0),
        )
        if self.strategy is not None:
            self.strategy.game = self.game

    def _start(self) -> None:
        """A fresh instance of its compliance strategy (at the start, after a rotation or a
        fresh start); each later one draws from a stream of its own, not the first one's."""
        assert self.game is not None
        cls = resolve_compliance(self.spec.name)
        params = make_params(cls.Params, dict(self.spec.params))
        self.strategy = cls(self.party, self.game, params, self.seed)
        if self.generation:
            self.strategy.rng = rng_for(
                self.seed, "agent", self.party, "compliance", str(self.generation)
            )
        self.generation += 1

    def decide(self, period: int) -> Move | None:
        """Its move for ``period`` (None before it has a strategy: no stage game yet)."""
        if self.strategy is None:
            return None
        obs = PeriodObservation(
            period=period,
            my_moves=tuple(self.my_moves),
            others_defected=tuple(self.others_defected),
            payoffs=tuple(self.payoffs),
            defectors=tuple(self.defectors),
            beliefs=tuple(self.beliefs),
            reports=tuple(self.reports),
            caught=tuple(self.caught),
        )
        return self.strategy.decide(obs)
