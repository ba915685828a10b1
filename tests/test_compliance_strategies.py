"""Phase-2 strategies: Axelrod's definitions against scripted opponents (hand-computed), plus the
stochastic and myopic ones. Every class inherits the shared strategy test base."""

from __future__ import annotations

import dataclasses

import pytest

from negotiator.agents.compliance import StageGame
from negotiator.agents.registry import compliance_strategies
from tests.strategy_contract import ComplianceStrategyContract

# scripts: all_c = CCCCCCCC, all_d = DDDDDDDD, alternating = CDCDCDCD, two_d = CDDCCCCC


class TestCooperator(ComplianceStrategyContract):
    strategy = "cooperator"
    expected = {"all_c": "CCCCCCCC", "all_d": "CCCCCCCC", "alternating": "CCCCCCCC"}


class TestDefector(ComplianceStrategyContract):
    strategy = "defector"
    expected = {"all_c": "DDDDDDDD", "all_d": "DDDDDDDD", "two_d": "DDDDDDDD"}


class TestTitForTat(ComplianceStrategyContract):
    strategy = "tit_for_tat"
    expected = {
        "all_c": "CCCCCCCC",
        "all_d": "CDDDDDDD",
        "alternating": "CCDCDCDC",
        "two_d": "CCDDCCCC",
    }


class TestGrudger(ComplianceStrategyContract):
    strategy = "grudger"
    expected = {
        "all_c": "CCCCCCCC",
        "all_d": "CDDDDDDD",
        "alternating": "CCDDDDDD",
        "two_d": "CCDDDDDD",
    }


class TestWinStayLoseShift(ComplianceStrategyContract):
    strategy = "win_stay_lose_shift"
    expected = {
        "all_c": "CCCCCCCC",
        "all_d": "CDCDCDCD",
        "alternating": "CCDDCCDD",
        "two_d": "CCDCCCCC",
    }


class TestAlternator(ComplianceStrategyContract):
    strategy = "alternator"
    expected = {name: "CDCDCDCD" for name in ("all_c", "all_d", "alternating", "two_d")}


class TestSuspiciousTitForTat(ComplianceStrategyContract):
    strategy = "suspicious_tit_for_tat"
    expected = {
        "all_c": "DCCCCCCC",
        "all_d": "DDDDDDDD",
        "alternating": "DCDCDCDC",
        "two_d": "DCDDCCCC",
    }


class TestTitForTwoTats(ComplianceStrategyContract):
    strategy = "tit_for_two_tats"
    expected = {
        "all_c": "CCCCCCCC",
        "all_d": "CCDDDDDD",
        "alternating": "CCCCCCCC",
        "two_d": "CCCDCCCC",
    }


class TestGenerousTitForTat(ComplianceStrategyContract):
    strategy = "generous_tit_for_tat"
    expected = {"all_c": "CCCCCCCC"}

    def test_forgives_at_the_nowak_sigmund_rate(self):
        # default generosity for (3, 0, 5, 1): min(1 − 2/3, 2/4) = 1/3
        me = self.make()
        assert me.generosity == pytest.approx(1 / 3)
        moves = self.play("D" * 3000)
        rate = moves[1:].count("C") / (len(moves) - 1)
        assert rate == pytest.approx(1 / 3, abs=0.03)

    def test_different_seeds_differ(self):
        assert self.play("D" * 200, seed=1) != self.play("D" * 200, seed=2)


class TestBestResponse(ComplianceStrategyContract):
    strategy = "best_response"
    # no fine: defecting gains T − R = 2 against C and P − S = 1 against D
    expected = {"all_c": "DDDDDDDD", "all_d": "DDDDDDDD"}

    @pytest.mark.parametrize(
        ("change", "move"),
        [
            ({"penalty": 3.0}, "C"),  # p·F = 3 > gain 2
            ({"penalty": 1.5}, "D"),  # p·F = 1.5 < 2
            ({"penalty": 1.0, "subsidy": 1.5}, "C"),  # p·(F + s) = 2.5 > 2
            ({"penalty": 3.0, "detection": 0.5}, "D"),  # p·F = 1.5 < 2
            # λ = 1: u = 2·payoff − other's payoff; the fine goes to the other, so it counts
            # twice: D gives 2·(5 − 3) − (0 + 3) = 1 < C's 2·3 − 3 = 3
            ({"penalty": 3.0, "lam": 1.0}, "C"),
            ({"penalty": 1.5, "lam": 1.0}, "D"),  # 2·3.5 − 1.5 = 5.5 > 3
            # the earlier rule (gain + λ(gain + m) > p·F: 2 + 0.5·5 > 2.5) said D; weighing the
            # fine with λ as well: 1.5·2.5 − 0.5·2.5 = 2.5 < 3
            ({"penalty": 2.5, "lam": 0.5}, "C"),
            # a published detection costs ω inside the promotion term: 5.5 − 2 > 3, 5.5 − 3 < 3
            ({"penalty": 1.5, "lam": 1.0, "reputation": 2.0, "published": True}, "D"),
            ({"penalty": 1.5, "lam": 1.0, "reputation": 3.0, "published": True}, "C"),
        ],
    )
    def test_weighs_fine_subsidy_promotion_and_reputation_alike(self, change, move):
        game = dataclasses.replace(self.game, **change)
        probe = type(self)()
        probe.game = game
        assert set(probe.play("C" * 5)) == {move}


class TestConditionalCooperator(ComplianceStrategyContract):
    strategy = "conditional_cooperator"
    # 3, 0, 5, 1 without a fine: δ* = (T − R)/(T − P) = 0.5
    game = dataclasses.replace(ComplianceStrategyContract.game, discount=0.9)
    expected = {
        "all_c": "CCCCCCCC",
        # a defection in a cooperative period starts two periods of punishment; defections
        # during them start nothing; then it forgives and is exploited again
        "all_d": "CDDCDDCD",
        "two_d": "CCDDCCCC",  # the second D answered its own punishment: not punished again
        "alternating": "CCDDCCDD",
    }

    def test_defects_when_compliance_is_not_self_enforcing(self):
        probe = type(self)()
        probe.game = dataclasses.replace(self.game, discount=0.4)  # δ < δ* = 0.5
        assert set(probe.play("C" * 6)) == {"D"}

    def test_punishment_length_is_a_parameter(self):
        probe = type(self)()
        probe.params = {"punishment": 3}
        assert "".join(probe.play("CD" + "C" * 8)) == "CCDDDCCCCC"


class TestRothErev(ComplianceStrategyContract):
    strategy = "roth_erev"

    def test_complies_more_when_defecting_is_fined(self):
        # reinforcement relative to the lowest payoff discriminates slowly (probability
        # matching), so compare: with a fine of 4, D pays 1 against C's 3; without, 5
        def late_compliance(penalty: float) -> float:
            probe = type(self)()
            probe.game = dataclasses.replace(self.game, penalty=penalty)
            late = [probe.play("C" * 400, seed=s)[200:] for s in range(1, 6)]
            return sum(m.count("C") for m in late) / (200 * len(late))

        assert late_compliance(4.0) > late_compliance(0.0) + 0.15


class TestEwa(ComplianceStrategyContract):
    strategy = "ewa"

    def test_learns_to_defect_without_a_fine(self):
        moves = self.play("C" * 200)
        assert moves[-50:].count("D") >= 45

    def test_learns_to_comply_with_a_deterrent_fine(self):
        probe = type(self)()
        probe.game = dataclasses.replace(self.game, penalty=4.0)
        assert probe.play("C" * 200)[-50:].count("C") >= 45


def test_registry_lists_them_all():
    assert set(compliance_strategies()) == {
        "cooperator",
        "defector",
        "tit_for_tat",
        "grudger",
        "win_stay_lose_shift",
        "alternator",
        "suspicious_tit_for_tat",
        "tit_for_two_tats",
        "generous_tit_for_tat",
        "best_response",
        "conditional_cooperator",
        "roth_erev",
        "ewa",
    }


def test_stage_game_payoffs_interpolate_between_the_pure_cases():
    g = StageGame(R=3, S=0, T=5, P=1, n=3, detection=0, penalty=0, subsidy=0, lam=0)
    assert g.payoff("C", 0) == 3 and g.payoff("C", 2) == 0 and g.payoff("C", 1) == 1.5
    assert g.payoff("D", 0) == 5 and g.payoff("D", 2) == 1 and g.payoff("D", 1) == 3


def test_a_conditional_cooperator_punishes_after_a_fresh_start():
    # a new contract empties its memory while the period number goes on: the phase is counted
    # in the periods it remembers
    from negotiator.agents.compliance import PeriodObservation

    cls = compliance_strategies()["conditional_cooperator"]
    game = StageGame(3.0, 0.0, 5.0, 1.0, 2, 1.0, 0.0, 0.0, 0.0, discount=0.9)
    me = cls("me", game, cls.Params(), seed=1)
    obs = PeriodObservation(
        period=10,
        my_moves=("C", "C"),
        others_defected=(False, True),
        payoffs=(3.0, 0.0),
        defectors=(0, 1),
        beliefs=({0: 1.0}, {1: 1.0}),
    )
    assert me.decide(obs) == "D"
