"""The iterated Prisoner's Dilemma through the real mediator and agents: every pair of the eight
classic strategies plays exactly as the standard (Axelrod library) definitions say."""

from __future__ import annotations

import json

import pytest

from negotiator.experiments.tournament import TournamentResult, play_tournament, ranking
from tests.conftest import ROOT, cli, load
from tests.test_sweep import pinned_sha256

PD = ROOT / "configs" / "scenarios" / "prisoners_dilemma.toml"
PAYOFF = {("C", "C"): 3, ("C", "D"): 0, ("D", "C"): 5, ("D", "D"): 1}

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_leftover_processes")]


def reference_move(name: str, mine: str, theirs: str) -> str:
    """An independent statement of each definition, on the two histories."""
    if name == "cooperator":
        return "C"
    if name == "defector":
        return "D"
    if name == "tit_for_tat":
        return theirs[-1] if theirs else "C"
    if name == "suspicious_tit_for_tat":
        return theirs[-1] if theirs else "D"
    if name == "grudger":
        return "D" if "D" in theirs else "C"
    if name == "alternator":
        return "C" if len(mine) % 2 == 0 else "D"
    if name == "tit_for_two_tats":
        return "D" if theirs[-2:] == "DD" else "C"
    if name == "win_stay_lose_shift":  # cooperate iff both made the same move last turn
        if not mine:
            return "C"
        return "C" if mine[-1] == theirs[-1] else "D"
    raise AssertionError(name)


def reference_match(a: str, b: str, turns: int) -> tuple[str, str]:
    x, y = "", ""
    for _ in range(turns):
        x, y = x + reference_move(a, x, y), y + reference_move(b, y, x)
    return x, y


# hand-computed, 10 turns
HAND = {
    ("tit_for_tat", "alternator"): ("CCDCDCDCDC", "CDCDCDCDCD"),
    ("win_stay_lose_shift", "defector"): ("CDCDCDCDCD", "DDDDDDDDDD"),
    ("suspicious_tit_for_tat", "tit_for_tat"): ("DCDCDCDCDC", "CDCDCDCDCD"),
    ("grudger", "alternator"): ("CCDDDDDDDD", "CDCDCDCDCD"),
    ("tit_for_two_tats", "defector"): ("CCDDDDDDDD", "DDDDDDDDDD"),
    ("alternator", "win_stay_lose_shift"): ("CDCDCDCDCD", "CCDDCCDDCC"),
}


@pytest.fixture(scope="module")
def tournaments(tmp_path_factory):
    config = load(PD)
    out = tmp_path_factory.mktemp("tournaments")
    return {turns: play_tournament(config, turns=turns, out=out) for turns in (10, 200)}


@pytest.mark.parametrize("turns", [10, 200])
def test_every_pair_plays_the_standard_definitions(tournaments, turns):
    result = tournaments[turns]
    strategies = load(PD).tournament.strategies
    assert len(result.matches) == len(strategies) ** 2  # every ordered pair and self-play
    for match in result.matches:
        a, b = match.players
        assert match.actions == reference_match(a, b, turns), (a, b)
        x, y = match.actions
        assert match.scores == (
            sum(PAYOFF[(i, j)] for i, j in zip(x, y)),
            sum(PAYOFF[(j, i)] for i, j in zip(x, y)),
        )


def test_the_json_is_that_of_before_and_reads_back(tournaments):
    result = tournaments[10]
    data = result.to_json()
    assert pinned_sha256(data) == "0fd73c3c4b041ad1243d67236fc5c3c6bc5e198fc22654e7a594d8e4dc091e0e"
    back = TournamentResult.from_json(json.loads(json.dumps(data)), result.folder)
    assert back.to_json() == data and back.ranking == result.ranking


def test_hand_computed_short_matches(tournaments):
    played = {m.players: m.actions for m in tournaments[10].matches}
    for pair, actions in HAND.items():
        assert played[pair] == actions, pair


def test_long_match_invariants(tournaments):
    for match in tournaments[200].matches:
        (a, b), (x, y) = match.players, match.actions
        for name, mine, theirs in ((a, x, y), (b, y, x)):
            if name == "tit_for_tat":
                assert mine[1:] == theirs[:-1] and mine[0] == "C"
            if name == "grudger" and "D" in theirs:
                assert set(mine[theirs.index("D") + 1 :]) <= {"D"}
            if name == "alternator":
                assert mine == "CD" * 100


def test_ranking_excludes_self_play_and_orders_by_mean(tournaments):
    result = tournaments[200]
    means = [r.mean_score_per_turn for r in result.ranking]
    assert means == sorted(means, reverse=True)
    # cooperator meets the other seven twice (both seats); self-play (3 per turn) is left out
    coop = [m for m in result.matches if "cooperator" in m.players]
    scores = [
        m.scores[m.players.index("cooperator")] / 200 for m in coop if m.players[0] != m.players[1]
    ]
    mean = next(r for r in result.ranking if r.strategy == "cooperator")
    assert mean.mean_score_per_turn == pytest.approx(sum(scores) / len(scores))
    assert ranking([], [], 200) == []


def test_tournament_json_command(tmp_path):
    proc = cli("tournament", str(PD), "--turns", "20", "--json", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"turns", "game", "ranking", "matches"}
    assert out["game"] == {"R": 3.0, "S": 0.0, "T": 5.0, "P": 1.0} and out["turns"] == 20
    assert {"strategy", "mean_score_per_turn"} == set(out["ranking"][0])
    assert {"players", "actions", "scores"} == set(out["matches"][0])


def test_tournament_needs_a_single_stage_game(tmp_path):
    proc = cli("tournament", str(ROOT / "configs/scenarios/yongkang_wuyi_jinyun.toml"))
    assert proc.returncode == 2 and "no [tournament] section" in proc.stderr
