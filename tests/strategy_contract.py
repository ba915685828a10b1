"""The base test every negotiation strategy's tests inherit (like Axelrod's strategy tests).

A subclass names the strategy (and, if needed, the config and the party it plays); the base class
plays it against scripted opponents through the real SAOP state machine, in process, and checks
determinism under a seed, valid moves, and individual rationality.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from agents.base import AgentContext, NegotiationStrategy, TurnObservation
from agents.registry import resolve
from negotiator.actions import Accept, Offer
from negotiator.contract import Setting, build_setting
from negotiator.domain import Outcome
from negotiator.protocols import StackedAlternatingOffers
from tests.conftest import BUYER_SELLER, load


def make_strategy(
    setting: Setting,
    party: str,
    name: str,
    params: dict[str, Any],
    *,
    deadline: int,
    seed: int = 1,
    discounts: dict[str, float] | None = None,
) -> NegotiationStrategy:
    ctx = AgentContext(
        party=party,
        domain=setting.domain,
        utility=setting.utilities[party],
        protocol="saop",
        deadline=deadline,
        order=setting.domain.parties,
        discounts=discounts or dict.fromkeys(setting.domain.parties, 1.0),
        seed=seed,
    )
    cls = resolve(name)
    return cls(ctx, cls.make_params(params))


def scripted(outcomes_by_turn):
    """An opponent that tables ``outcomes_by_turn(turn)`` at every one of its turns."""
    return outcomes_by_turn


class StrategyContract:
    strategy: ClassVar[str]
    params: ClassVar[dict[str, Any]] = {}
    config: ClassVar[Path] = BUYER_SELLER
    party: ClassVar[str] = "buyer"
    deadline: ClassVar[int] = 20

    def setting(self) -> Setting:
        return build_setting(load(self.config))

    def make(self, seed: int = 1) -> NegotiationStrategy:
        return make_strategy(
            self.setting(),
            self.party,
            self.strategy,
            self.params,
            deadline=self.deadline,
            seed=seed,
        )

    def play(self, opponent_offer, seed: int = 1) -> list[Any]:
        """Play the strategy against an opponent that always tables ``opponent_offer(turn)``;
        return the strategy's moves. Uses the real protocol (both orders: strategy first)."""
        setting = self.setting()
        me = self.make(seed)
        other = next(p for p in setting.domain.parties if p != self.party)
        proto = StackedAlternatingOffers(setting.domain, (self.party, other), self.deadline)
        state = proto.initial()
        moves = []
        while state.open:
            actor = proto.actor(state)
            if actor == self.party:
                obs = TurnObservation(state.round, state.turn, state.standing, state.proposer)
                move = me.respond(obs)
                proto.check(state, actor, move)
                moves.append(move)
            else:
                move = Offer(opponent_offer(state.turn))
            state, _ = proto.step(state, actor, move)
        return moves

    def extremes(self) -> tuple[Outcome, Outcome]:
        """The strategy's best and worst outcome."""
        setting = self.setting()
        u = setting.utilities[self.party]
        outcomes = list(setting.domain.iter_outcomes())
        return max(outcomes, key=u), min(outcomes, key=u)

    # -- the contract every strategy must honour ---------------------------------------------

    def test_deterministic_under_a_seed(self):
        _, worst = self.extremes()
        assert self.play(lambda t: worst, seed=7) == self.play(lambda t: worst, seed=7)

    def test_never_accepts_below_reservation(self):
        setting = self.setting()
        u = setting.utilities[self.party]
        _, worst = self.extremes()
        assert u(worst) < u.reservation
        moves = self.play(lambda t: worst)
        assert not any(isinstance(m, Accept) for m in moves)

    def test_accepts_its_best_outcome_at_once(self):
        best, _ = self.extremes()
        setting = self.setting()
        u = setting.utilities[self.party]
        moves = self.play(lambda t: best)
        first_answer = moves[1]  # moves[0] opens (nothing to accept yet)
        assert isinstance(first_answer, Accept) or u(first_answer.outcome) >= u(best) - 1e-12

    def test_offers_are_in_the_domain_and_individually_rational(self):
        setting = self.setting()
        u = setting.utilities[self.party]
        _, worst = self.extremes()
        for move in self.play(lambda t: worst):
            if isinstance(move, Offer):
                assert setting.domain.decode(move.outcome)  # encodable
                assert u(move.outcome) >= u.reservation - 1e-9

    def test_does_not_accept_its_own_offer_when_it_comes_back(self):
        # after the others forfeit, the turn returns to the proposer with its own offer standing
        me = self.make()
        opening = me.respond(TurnObservation(1, 0, None, None))
        assert isinstance(opening, Offer)
        again = me.respond(TurnObservation(2, 2, opening.outcome, self.party))
        assert isinstance(again, Offer)
