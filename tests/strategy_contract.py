"""The base tests every strategy's tests inherit (like Axelrod's strategy tests).

:class:`StrategyContract` is the shared base of phase-1 and phase-2 strategies: a subclass names
the strategy and says how to play it against a scripted opponent; the base checks that the name
is registered and that play is deterministic under a seed. :class:`NegotiationStrategyContract`
plays through the real SAOP state machine (valid moves, individual rationality);
:class:`ComplianceStrategyContract` plays scripted opponents with perfect observation and
compares against hand-computed sequences.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from negotiator.agents.base import AgentContext, NegotiationStrategy, TurnObservation, make_params
from negotiator.agents.compliance import ComplianceStrategy, PeriodObservation, StageGame
from negotiator.agents.registry import resolve, resolve_compliance
from negotiator.model.actions import Accept, Offer
from negotiator.model.contract import Setting, build_setting
from negotiator.model.domain import Outcome
from negotiator.model.stagegame import Dilemma, Terms
from negotiator.protocols import StackedAlternatingOffers
from negotiator.protocols.compliance import settle
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
    """Shared by every strategy test class."""

    strategy: ClassVar[str]
    params: ClassVar[dict[str, Any]] = {}

    def resolve_class(self) -> type:  # pragma: no cover - abstract
        raise NotImplementedError

    def scripts(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """Scripted opponents by name."""
        raise NotImplementedError

    def play(self, opponent: Any, seed: int = 1) -> list[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def test_name_is_registered(self):
        assert self.resolve_class().name == self.strategy

    def test_deterministic_under_a_seed(self):
        for script in self.scripts().values():
            assert self.play(script, seed=7) == self.play(script, seed=7)


class NegotiationStrategyContract(StrategyContract):
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

    def resolve_class(self) -> type:
        return resolve(self.strategy)

    def scripts(self) -> dict[str, Any]:
        best, worst = self.extremes()
        return {"worst": lambda t: worst, "best": lambda t: best}

    # -- the contract every negotiation strategy must honour ---------------------------------

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


class ComplianceStrategyContract(StrategyContract):
    """Phase-2 strategies against scripted opponents, observed perfectly (N = 2, p = 1)."""

    game: ClassVar[StageGame] = StageGame(
        R=3.0, S=0.0, T=5.0, P=1.0, n=2, detection=1.0, penalty=0.0, subsidy=0.0, lam=0.0
    )
    #: Hand-computed first moves against each script (a subclass fills it in).
    expected: ClassVar[dict[str, str]] = {}
    turns: ClassVar[int] = 8

    def resolve_class(self) -> type:
        return resolve_compliance(self.strategy)

    def scripts(self) -> dict[str, Any]:
        return {
            "all_c": "C" * self.turns,
            "all_d": "D" * self.turns,
            "alternating": ("CD" * self.turns)[: self.turns],
            "two_d": ("CDD" + "C" * self.turns)[: self.turns],
        }

    def make(self, seed: int = 1) -> ComplianceStrategy:
        cls = resolve_compliance(self.strategy)
        return cls("me", self.game, make_params(cls.Params, self.params), seed)

    def play(self, opponent: Any, seed: int = 1) -> list[Any]:
        me = self.make(seed)
        mine: list[str] = []
        payoffs: list[float] = []
        for period in range(1, len(opponent) + 1):
            seen = [int(m == "D") for m in opponent[: period - 1]]
            obs = PeriodObservation(
                period=period,
                my_moves=tuple(mine),
                others_defected=tuple(d == 1 for d in seen),
                payoffs=tuple(payoffs),
                defectors=tuple(seen),
                beliefs=tuple({d: 1.0} for d in seen),
                caught=tuple(m == "D" and self.game.detection >= 1.0 for m in mine),
            )
            mine.append(me.decide(obs))
            payoffs.append(self.realised(mine[-1], opponent[period - 1]))
        return mine

    def realised(self, mine: str, theirs: str) -> float:
        """My payoff in the engine when both moves are seen (p = 1) or none is (p < 1)."""
        g = self.game
        game = Dilemma(g.R, g.S, g.T, g.P)
        moves = {"me": mine, "other": theirs}
        caught = tuple(p for p, m in moves.items() if m == "D" and g.detection >= 1.0)
        terms = Terms(True, g.detection, g.penalty, g.subsidy, budget=1e12)
        money = settle(
            ("me", "other"), moves, caught, {"me": game, "other": game}, terms, {}, budget=1e12
        )
        return money.payoffs["me"]

    def test_hand_computed_sequences(self):
        scripts = self.scripts()
        for name, expected in self.expected.items():
            assert "".join(self.play(scripts[name])) == expected, name

    def test_moves_are_c_or_d(self):
        for script in self.scripts().values():
            assert set(self.play(script)) <= {"C", "D"}

    def test_a_stochastic_strategy_says_so(self):
        plays = {"".join(self.play("CD" * 30, seed=s)) for s in range(1, 6)}
        assert (len(plays) > 1) == self.resolve_class().stochastic
