"""What a government can infer under each transparency level (docs/model.md §6 and §8).

Under ``private`` a government is told its own payoff and fines, not the others' moves; it
infers how many defected. Without noise the inference is exact, so the classic strategies play
exactly as under public transparency with every defection detected; with noise far larger than
what one defector changes, monitoring becomes imperfect and the inference is sometimes wrong.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from negotiator.agents.inference import mode, posterior
from negotiator.io.messages import PeriodReport, StrategySpec
from negotiator.mediator.transparency import Transparency
from negotiator.model.game import stage_games
from negotiator.model.stagegame import Terms
from negotiator.protocols.compliance import ComplianceGame
from negotiator.runtime.runner import RunOptions, run
from negotiator.runtime.runner import prepare as prepare_run
from tests.conftest import DEFAULT, ROOT, load
from tests.test_best_response import view

PD = ROOT / "configs" / "scenarios" / "prisoners_dilemma.toml"


def default_games():
    config = load(DEFAULT)
    setting = prepare_run(config).setting
    plan = setting.domain.encode(
        {
            "surplus_split": {"yongkang": 0.5, "wuyi": 0.3, "jinyun": 0.2},
            "infra_cost_split": {"yongkang": 0.5, "wuyi": 0.3, "jinyun": 0.2},
            "env_standard": "strict",
            "enforcement": "third_party_audit",
            "penalty": "high",
            "renegotiation": True,
        }
    )
    return config, stage_games(config, setting, plan)


def play_and_infer(noise: float, level: str, detection: float, seed: int = 3, periods: int = 40):
    """Play random moves through the engine; return (true, inferred) other-defector counts for
    every government and period, as each infers them from its own period report."""
    _, games = default_games()
    parties = tuple(games)
    engine = ComplianceGame(parties, seed, noise, 0.9)
    terms = Terms(True, detection, 10.0, 0.0, 0.0)
    state = engine.initial(0.0)
    transparency = Transparency(level)
    rng = random.Random(seed)
    pairs = []
    for _ in range(periods):
        moves = {p: rng.choice("CD") for p in parties}
        state, result, _ = engine.play(state, moves, games, terms, {})
        for p in parties:
            g = view((p, *[q for q in parties if q != p]), games, terms, {p: 0.0}, 0)
            g = dataclasses.replace(g, noise=noise)
            report = transparency.period_report(p, result)
            truth = sum(result.moves[q] == "D" for q in parties if q != p)
            pairs.append((truth, mode(posterior(g, report, p))))
    return pairs


@pytest.mark.parametrize("detection", [0.0, 0.5])
def test_without_noise_a_private_government_infers_the_exact_count(detection):
    pairs = play_and_infer(noise=0.0, level="private", detection=detection)
    assert all(truth == inferred for truth, inferred in pairs)


def test_with_noise_far_above_one_defectors_effect_the_inference_is_sometimes_wrong():
    _, games = default_games()
    effect = min((g.R - g.S) / 2 for g in games.values())
    pairs = play_and_infer(noise=20 * effect, level="private", detection=0.0)
    wrong = sum(truth != inferred for truth, inferred in pairs)
    assert 0 < wrong < len(pairs)


def test_published_detections_are_used():
    # noise hides the payoff, but with every defection detected and published the count is exact
    _, games = default_games()
    effect = min((g.R - g.S) / 2 for g in games.values())
    pairs = play_and_infer(noise=20 * effect, level="public", detection=1.0)
    assert all(truth == inferred for truth, inferred in pairs)


def test_fines_received_tell_a_complier_how_many_were_caught():
    # a complier receiving 10/2 = 5 with F = 10 knows one other was caught among 2 compliers:
    # one other defected, whatever the (noisy) payoff says
    _, games = default_games()
    parties = tuple(games)
    terms = Terms(True, 1.0, 10.0, 0.0, 0.0)
    g = dataclasses.replace(view(parties, games, terms, {parties[0]: 0.0}, 0), noise=1000.0)
    report = PeriodReport(1, "C", payoff=0.0, fines_received=5.0)
    assert posterior(g, report, parties[0]) == {1: 1.0}


def moves_of(*overrides: str, tmp_path, seed: int = 1) -> dict[str, str]:
    config = load(PD, "implementation.periods=40", *overrides, seed=seed)
    summary = run(config, RunOptions(out=tmp_path, transport="inproc")).summary
    return summary.implementation.moves


PRIVATE_BLIND = ("mediator.transparency='private'", "implementation.detection=0.0")
PUBLIC_SEEN = ("mediator.transparency='public'", "implementation.detection=1.0")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mine", "theirs"),
    [
        ("tit_for_tat", "alternator"),
        ("grudger", "suspicious_tit_for_tat"),
        ("grudger", "alternator"),
    ],
)
def test_private_play_without_detection_equals_public_play_with_full_detection(
    mine, theirs, tmp_path
):
    strategies = (f"parties.row.compliance='{mine}'", f"parties.col.compliance='{theirs}'")
    private = moves_of(*strategies, *PRIVATE_BLIND, tmp_path=tmp_path / "private")
    public = moves_of(*strategies, *PUBLIC_SEEN, tmp_path=tmp_path / "public")
    assert private == public
    row, col = private["row"], private["col"]
    if mine == "tit_for_tat":
        assert row == "C" + col[:-1]  # mirrors the other's previous move
    else:
        first = col.find("D")
        assert first >= 0
        assert row == "C" * (first + 1) + "D" * (len(row) - first - 1)  # for ever after


def test_an_agent_takes_its_next_fine_and_published_figures_from_the_report():
    from negotiator.agents.conduct import Conduct
    from negotiator.model.stagegame import StageGame

    conduct = Conduct("a", 0, StrategySpec("tit_for_tat"))
    conduct.game = StageGame(
        3.0, 0.0, 5.0, 1.0, 3, 0.5, 10.0, 2.0, 0.0, budget=100.0, graduated=1.0
    )
    report = PeriodReport(
        period=1,
        my_move="D",
        payoff=0.0,
        fines_paid=10.0,
        next_fine=20.0,  # its second offence costs twice the first
        detected=("a",),
        peer_fine=15.0,
        budget_left=96.0,  # two were paid 2, the one caught nothing
    )
    conduct.observe(report)
    assert conduct.game.penalty == 20.0 and conduct.game.base_penalty == 15.0
    assert conduct.game.budget == 96.0
    conduct.observe(dataclasses.replace(report, period=2, next_fine=30.0))
    assert conduct.game.penalty == 30.0
    # under private nothing is published: the budget is projected as if all were paid
    private = dataclasses.replace(report, period=3, detected=None, peer_fine=None, budget_left=None)
    conduct.observe(private)
    assert conduct.game.budget == 96.0 - 3 * 2.0 and conduct.game.base_penalty == 15.0
