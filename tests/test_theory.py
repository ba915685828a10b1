"""The theory beside the run: δ* and ``grim_trigger_sustainable`` in a run's summary equal a hand
computation from the decision utility the engine pays (λ, the subsidy as paid, the budget),
at signing and after a change of terms."""

from __future__ import annotations

import pytest

from negotiator.model.stagegame import StageGame
from negotiator.model.theory import delta_star, gain_and_loss, sustainable
from negotiator.runtime.run_summary import ImplementationSummary
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import ROOT, load

PD = ROOT / "configs" / "scenarios" / "prisoners_dilemma.toml"  # R, S, T, P = 3, 0, 5, 1


def summary_of(tmp_path, *overrides: str) -> ImplementationSummary:
    config = load(PD, "implementation.periods=20", *overrides)
    impl = run(config, RunOptions(out=tmp_path, transport="inproc")).summary.implementation
    assert impl is not None
    return impl


@pytest.mark.slow
def test_plain_dilemma_with_a_fine(tmp_path):
    # λ = 0: δ* = (T − R − p·F)/(T − P) = (2 − 0.5·2)/4
    impl = summary_of(tmp_path, "implementation.detection=0.5", "implementation.penalty=2.0")
    assert impl.delta_star == {"row": pytest.approx(0.25), "col": pytest.approx(0.25)}
    assert impl.grim_trigger_sustainable is True  # δ = 1


@pytest.mark.slow
def test_promotion_pressure_weighs_fines_and_the_others_payoffs(tmp_path):
    # λ = 1, p = 1, F = 1, N = 2. Defecting once: own payoff 5 − 1, the other's 0 + 1;
    # u = 2·own − other: G = 2·(4 − 3) − (1 − 3) = 4. Grim punishment: own 1 − 1, other 1 − 1
    # (fines to the superior): L = (2·3 − 3) − (2·0 − 0) = 3. δ* = 4/7.
    impl = summary_of(
        tmp_path,
        "implementation.detection=1.0",
        "implementation.penalty=1.0",
        "parties.row.promotion=1.0",
        "parties.col.promotion=1.0",
        "implementation.discount=0.5",
    )
    assert impl.delta_star["row"] == pytest.approx(4 / 7)
    assert impl.sustainable == {"row": False, "col": False}
    assert impl.grim_trigger_sustainable is False


@pytest.mark.slow
def test_a_subsidy_counts_as_paid_and_as_the_budget_allows(tmp_path):
    # three governments; p = 0.5, F = 2, s = 3 to everyone not caught, budget 90 over 20
    # periods: on average 90/(3·20) = 1.5 a period. Defecting loses p·(F + 1.5) in expectation:
    # δ* = (2 − 0.5·3.5)/4 = 1/16. With a budget of 1,000 (s paid in full), 2 − 0.5·5 < 0: δ* = 0.
    common = (
        "parties.third={compliance='tit_for_tat'}",
        "implementation.detection=0.5",
        "implementation.penalty=2.0",
        "implementation.subsidy=3.0",
        "implementation.discount=0.05",
    )
    impl = summary_of(tmp_path / "a", *common, "implementation.budget=90.0")
    assert impl.delta_star["row"] == pytest.approx(1 / 16)
    assert impl.grim_trigger_sustainable is False  # δ = 0.05 < 1/16
    impl = summary_of(tmp_path / "b", *common, "implementation.budget=1000.0")
    assert impl.delta_star["row"] == 0.0
    assert impl.grim_trigger_sustainable is True


@pytest.mark.slow
def test_delta_star_is_recomputed_when_a_shock_changes_lambda(tmp_path):
    impl = summary_of(
        tmp_path,
        "implementation.detection=1.0",
        "implementation.penalty=1.0",
        "implementation.shocks=[{kind='rotation', at=[5], government='row', promotion=1.0}]",
    )
    history = impl.delta_star_history
    assert [h["period"] for h in history] == [1, 5]
    assert history[0]["delta_star"]["row"] == pytest.approx((2 - 1) / 4)
    # λ = 1 for row only; col's mean game is the same 3/0/5/1: as in the test above
    assert history[1]["delta_star"]["row"] == pytest.approx(4 / 7)
    assert impl.delta_star["row"] == pytest.approx(0.25)  # the summary's δ*: at signing


def test_at_lambda_zero_the_threshold_is_the_textbook_one():
    for p, fine, s in [(0.0, 0.0, 0.0), (0.5, 2.0, 0.0), (0.3, 1.0, 1.0), (1.0, 9.0, 0.0)]:
        g = StageGame(3.0, 0.0, 5.0, 1.0, 2, p, fine, s, 0.0)
        assert delta_star(g) == pytest.approx(min(max((2 - p * (fine + s)) / 4, 0.0), 1.0))


def test_a_punishment_that_does_not_hurt_sustains_nothing():
    # λ large: under the grim punishment the others lose more than it does, so its standing
    # rises; if that outweighs its own loss, no discount factor sustains compliance
    g = StageGame(3.0, 0.0, 5.0, 2.9, 2, 0.0, 0.0, 0.0, 5.0, peer_R=30.0, peer_P=0.0)
    gain, loss = gain_and_loss(g)
    assert gain > 0 and loss <= 0
    assert delta_star(g) == 1.0 and not sustainable(g, 1.0)
