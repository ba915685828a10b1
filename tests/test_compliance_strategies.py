"""Phase-2 strategies: Axelrod's definitions against scripted opponents (hand-computed), plus the
stochastic and myopic ones. Every class inherits the shared strategy test base."""

from __future__ import annotations

import dataclasses

import pytest

from agents.compliance import StageGame
from agents.registry import compliance_strategies
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
    # no fine: defecting gains T − R = 2 > 0 whatever the opponent does
    expected = {"all_c": "DDDDDDDD", "all_d": "DDDDDDDD"}

    @pytest.mark.parametrize(
        ("change", "move"),
        [
            ({"penalty": 3.0}, "C"),  # p·F = 3 > gain 2
            ({"penalty": 1.5}, "D"),  # p·F = 1.5 < 2
            ({"penalty": 1.0, "subsidy": 1.5}, "C"),  # p·(F + s) = 2.5 > 2
            ({"penalty": 3.0, "detection": 0.5}, "D"),  # p·F = 1.5 < 2
            ({"penalty": 3.0, "lam": 1.0}, "D"),  # 2 + 1·(2 + 3) = 7 > 3
        ],
    )
    def test_weighs_the_gain_against_expected_fine_subsidy_and_promotion(self, change, move):
        game = dataclasses.replace(self.game, **change)
        cls = type(self).__mro__[0]
        probe = cls()
        probe.game = game
        assert set(probe.play("C" * 5)) == {move}


def test_registry_lists_all_ten():
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
    }


def test_stage_game_payoffs_interpolate_between_the_pure_cases():
    g = StageGame(R=3, S=0, T=5, P=1, n=3, detection=0, penalty=0, subsidy=0, lam=0)
    assert g.payoff("C", 0) == 3 and g.payoff("C", 2) == 0 and g.payoff("C", 1) == 1.5
    assert g.payoff("D", 0) == 5 and g.payoff("D", 2) == 1 and g.payoff("D", 1) == 3
