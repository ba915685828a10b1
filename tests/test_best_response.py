"""The myopic best response maximises the decision utility the engine pays (docs/model.md §6).

Over random stage games (any ordering, different for every government), detection p, fines F
(with graduated sanctions and every government's record of offences), subsidies s with or
without a binding budget, promotion weights λ,
reputation ω and beliefs about how many others defect, the expected decision utility the agent
computes (:func:`negotiator.model.theory.expected_utility`) equals the one the engine pays, found by
enumerating every profile of the others' moves and every set of detections through the engine's
own settlement (:func:`negotiator.protocols.compliance.settle`); and ``best_response`` picks the
move with the larger one.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negotiator.agents.compliance import PeriodObservation
from negotiator.agents.incentives import BestResponse
from negotiator.model.stagegame import Dilemma, StageGame, Terms
from negotiator.protocols.compliance import settle

money = st.floats(-50.0, 50.0, allow_nan=False)


@st.composite
def situations(draw):
    n = draw(st.integers(2, 5))
    parties = tuple(f"g{i}" for i in range(n))
    games = {p: Dilemma(draw(money), draw(money), draw(money), draw(money)) for p in parties}
    p = draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0))
    fine = draw(st.floats(0.0, 20.0))
    subsidy = draw(st.sampled_from([0.0]) | st.floats(0.0, 10.0))
    budget = draw(st.sampled_from([math.inf]) | st.floats(0.0, 60.0))
    graduated = draw(st.sampled_from([0.0]) | st.floats(0.0, 2.0))
    offences = {q: draw(st.integers(0, 3)) for q in parties}
    lam = {q: draw(st.floats(0.0, 3.0)) for q in parties}
    reputation = draw(st.sampled_from([0.0]) | st.floats(0.0, 10.0))
    weights = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    if sum(weights) <= 0:
        weights[0] = 1.0
    belief = {k: w for k, w in enumerate(weights) if w > 0}
    terms = Terms(
        True,
        p,
        fine,
        subsidy,
        budget if math.isfinite(budget) else 1e18,
        reputation=reputation,
        graduated=graduated,
    )
    return parties, games, terms, lam, offences, belief


def view(parties, games, terms, lam, offences) -> StageGame:
    """What government g0 is told (as the mediator builds it, detections published)."""
    if isinstance(offences, int):
        offences = {parties[0]: offences}
    me, others = parties[0], [games[q] for q in parties[1:]]
    g = games[me]
    peer_fine = math.fsum(terms.fine(offences.get(q, 0)) for q in parties[1:]) / len(others)
    return StageGame(
        g.R,
        g.S,
        g.T,
        g.P,
        len(parties),
        terms.detection,
        terms.fine(offences.get(me, 0)),
        terms.subsidy,
        lam[me],
        peer_R=math.fsum(o.R for o in others) / len(others),
        peer_S=math.fsum(o.S for o in others) / len(others),
        peer_T=math.fsum(o.T for o in others) / len(others),
        peer_P=math.fsum(o.P for o in others) / len(others),
        base_penalty=peer_fine,
        budget=terms.budget,
        reputation=terms.reputation,
        published=True,
        graduated=terms.graduated,
    )


def engine_utility(parties, games, terms, lam, offences, belief, move) -> float:
    """g0's expected decision utility of ``move``: every set of other defectors of size k with
    probability belief[k] / C(n − 1, k), every detection pattern of the defectors."""
    me, others = parties[0], parties[1:]
    total = math.fsum(belief.values())
    expected = 0.0
    for k, w in belief.items():
        for defectors in itertools.combinations(others, k):
            moves = {q: ("D" if q in defectors else "C") for q in others} | {me: move}
            cheats = [q for q in parties if moves[q] == "D"]
            for caught in itertools.product((False, True), repeat=len(cheats)):
                prob = math.prod(terms.detection if c else 1 - terms.detection for c in caught)
                if prob == 0:
                    continue
                detected = tuple(q for q, c in zip(cheats, caught, strict=True) if c)
                result = settle(
                    parties,
                    moves,
                    detected,
                    games,
                    terms,
                    lam,
                    budget=terms.budget,
                    offences=offences,
                )
                share = w / total / math.comb(len(others), k)
                expected += share * prob * result.decision[me]
    return expected


@settings(max_examples=300, deadline=None)
@given(situations())
def test_the_agents_expectation_is_the_engines(case):
    parties, games, terms, lam, offences, belief = case
    from negotiator.model.theory import expected_utility

    g = view(parties, games, terms, lam, offences)
    for move in ("C", "D"):
        engine = engine_utility(parties, games, terms, lam, offences, belief, move)
        agent = expected_utility(g, move, belief)
        assert agent == pytest.approx(engine, rel=1e-7, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(situations())
def test_best_response_maximises_the_engines_expected_decision_utility(case):
    parties, games, terms, lam, offences, belief = case
    g = view(parties, games, terms, lam, offences)
    strategy = BestResponse(parties[0], g, None, seed=1)
    obs = PeriodObservation(
        period=2, my_moves=("C",), others_defected=(False,), payoffs=(0.0,), beliefs=(belief,)
    )
    chosen = strategy.decide(obs)
    other = "D" if chosen == "C" else "C"
    value = {m: engine_utility(parties, games, terms, lam, offences, belief, m) for m in "CD"}
    assert value[chosen] >= value[other] - 1e-6 * max(1.0, abs(value[other]))


def test_with_promotion_pressure_the_fine_is_weighed_like_the_gain():
    # two governments, 3/0/5/1, caught for sure, F = 2.5: the gain of 2 is below the fine; with
    # λ = 0.5 the fine (which goes to the other government) weighs 1.5 + 0.5 = 2 times, and so
    # does the gain, so the official still complies
    g = StageGame(3.0, 0.0, 5.0, 1.0, 2, detection=1.0, penalty=2.5, subsidy=0.0, lam=0.5)
    strategy = BestResponse("a", g, None, seed=1)
    obs = PeriodObservation(period=1, my_moves=(), others_defected=(), payoffs=())
    assert strategy.decide(obs) == "C"
