"""Phase-1 strategies: each inherits the shared contract, plus its own behaviour."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negotiator.agents.base import StrategyError, TurnObservation
from negotiator.agents.outcomes import OutcomeSpace
from negotiator.agents.registry import negotiation_strategies, resolve, validate_strategy
from negotiator.model.actions import Accept, Offer
from negotiator.model.contract import build_setting
from negotiator.protocols import StackedAlternatingOffers
from tests.conftest import BUYER_SELLER, DEFAULT, ROOT, RUBINSTEIN, load
from tests.strategy_contract import NegotiationStrategyContract, make_strategy

NEGMAS = ROOT / "configs/bench/negmas_3x10.toml"


class TestBoulware(NegotiationStrategyContract):
    strategy = "boulware"


class TestLinear(NegotiationStrategyContract):
    strategy = "linear"


class TestConceder(NegotiationStrategyContract):
    strategy = "conceder"
    party = "seller"


class TestHardliner(NegotiationStrategyContract):
    strategy = "hardliner"

    def test_never_concedes(self):
        best, worst = self.extremes()
        u = self.setting().utilities[self.party]
        offers = [m for m in self.play(lambda t: worst) if isinstance(m, Offer)]
        assert {u(m.outcome) for m in offers} == {u(best)}


class TestTitForTat(NegotiationStrategyContract):
    strategy = "tit_for_tat"

    def test_mirrors_the_opponents_concession(self):
        setting = self.setting()
        u = setting.utilities[self.party]
        ranked = sorted(setting.domain.iter_outcomes(), key=u)
        # the opponent's offers get better for me step by step
        ladder = [o for o in ranked if u(o) < u.reservation][-6:]
        me = self.make()
        mine = []
        for turn, offer in enumerate(ladder):
            move = me.respond(TurnObservation(turn + 1, 2 * turn + 1, offer, "seller"))
            assert isinstance(move, Offer)
            assert u.normalize(u(move.outcome)) >= me.level - 1e-9  # offers at its target
            mine.append(me.level)
        gains = [u.normalize(u(b)) - u.normalize(u(a)) for a, b in itertools.pairwise(ladder)]
        drops = [a - b for a, b in itertools.pairwise(mine)]
        for gain, drop in zip(gains, drops, strict=False):
            assert drop == pytest.approx(gain if gain > 0 else me.params.nice)


class TestRubinstein(NegotiationStrategyContract):
    strategy = "rubinstein"
    config = RUBINSTEIN
    party = "first"

    def test_never_accepts_below_reservation(self):
        # reservation is 0 and the worst share is worth exactly 0, so nothing is below it;
        # subgame-perfect play still refuses a zero share until refusing is worth nothing
        _, worst = self.extremes()
        moves = self.play(lambda t: worst)
        accepts = [i for i, m in enumerate(moves) if isinstance(m, Accept)]
        assert accepts in ([], [len(moves) - 1])


@pytest.mark.parametrize("name", ["boulware", "linear", "conceder"])
def test_time_dependent_targets_fall_with_time_at_the_rate_of_e(name):
    setting = build_setting(load(BUYER_SELLER))
    s = make_strategy(setting, "buyer", name, {}, deadline=10)
    targets = [s.target(TurnObservation(r, 2 * r, None, None)) for r in range(1, 11)]
    assert all(a >= b for a, b in itertools.pairwise(targets))
    assert targets[-1] == pytest.approx(s.u_res)
    e = s.params.e
    assert targets[4] == pytest.approx(1 - (1 - s.u_res) * 0.5 ** (1 / e))


def test_boulware_holds_out_longer_than_conceder():
    setting = build_setting(load(BUYER_SELLER))
    mid = TurnObservation(5, 10, None, None)
    b = make_strategy(setting, "buyer", "boulware", {}, deadline=10)
    c = make_strategy(setting, "buyer", "conceder", {}, deadline=10)
    assert b.target(mid) > c.target(mid)


def rubinstein_first_share(d1: float, d2: float, deadline: int, step_units: int = 100) -> tuple:
    config = load(
        RUBINSTEIN,
        f"parties.first.discount={d1}",
        f"parties.second.discount={d2}",
        f"negotiation.deadline={deadline}",
        f"domain.issues=[{{name='pie', kind='share', step={1 / step_units}}}]",
    )
    setting = build_setting(config)
    discounts = {"first": d1, "second": d2}
    players = {
        p: make_strategy(setting, p, "rubinstein", {}, deadline=deadline, discounts=discounts)
        for p in ("first", "second")
    }
    proto = StackedAlternatingOffers(setting.domain, ("first", "second"), deadline)
    state = proto.initial()
    while state.open:
        actor = proto.actor(state)
        move = players[actor].respond(
            TurnObservation(state.round, state.turn, state.standing, state.proposer)
        )
        state, _ = proto.step(state, actor, move)
    issue = setting.domain.issues[0]
    return state, issue.share_of(state.agreement[0], "first")


@settings(max_examples=60, deadline=None)
@given(
    d1=st.floats(min_value=0.05, max_value=0.95),
    d2=st.floats(min_value=0.05, max_value=0.95),
)
def test_rubinstein_agrees_in_round_one_on_the_spe_share(d1, d2):
    state, share = rubinstein_first_share(round(d1, 3), round(d2, 3), deadline=120)
    d1, d2 = round(d1, 3), round(d2, 3)
    assert state.status == "agreed" and state.agreement_round == 1 and state.offer_turn == 0
    assert abs(share - (1 - d2) / (1 - d1 * d2)) <= 0.01 + 1e-9


def test_outcome_space_candidates_are_at_or_just_above_target():
    setting = build_setting(load(BUYER_SELLER))
    u = setting.utilities["buyer"]
    norm = (u.all_values() - u.min) / (u.max - u.min)
    space = OutcomeSpace(setting.domain, norm)
    for target in (0.0, 0.3, 0.55, 0.999, 1.0):
        values = norm[space.flat[space.candidates(target)]]
        assert values.min() >= target - 1e-9
        assert values.min() == pytest.approx(norm[norm >= target - 1e-12].min())


def _reference_choice(space, target, reference):
    """Candidates and nearest as numpy computes them over the whole space (the model answer)."""
    ascending = -space.values
    n_ge = int(np.searchsorted(ascending, -target + 1e-12, side="right"))
    if n_ge == 0:
        return [0]
    lowest = space.values[n_ge - 1]
    positions = np.arange(int(np.searchsorted(ascending, -(lowest + 0.005), side="left")), n_ge)
    if reference is None or len(positions) == 1:
        return positions.tolist()
    dist = np.zeros(len(positions))
    for k, table in enumerate(space.distance_tables):
        dist += table[space.options[positions, k], reference[k]]
    return positions[dist <= dist.min() + 1e-12].tolist()


_SPACES: dict[str, OutcomeSpace] = {}


def _space(path, party):
    if party not in _SPACES:
        setting = build_setting(load(path))
        u = setting.utilities[party]
        _SPACES[party] = OutcomeSpace(setting.domain, (u.all_values() - u.min) / (u.max - u.min))
    return _SPACES[party]


@settings(max_examples=300, deadline=None)
@given(
    case=st.sampled_from([(DEFAULT, "wuyi"), (NEGMAS, "beta"), (BUYER_SELLER, "seller")]),
    target=st.floats(min_value=-0.1, max_value=1.1) | st.sampled_from([0.0, 1.0]),
    at=st.integers(min_value=0),
    no_reference=st.booleans(),
)
def test_candidates_and_nearest_match_numpy_over_the_whole_space(case, target, at, no_reference):
    space = _space(*case)
    reference = None if no_reference else space.outcome(at % len(space.values))
    found = space.candidates(target)
    ours = list(found)
    if reference is not None and len(found) > 1:
        ours = list(space.nearest(found, reference))
    assert ours == _reference_choice(space, target, reference)


def test_registry_lists_the_documented_strategies_and_rejects_others():
    assert {
        "boulware",
        "linear",
        "conceder",
        "hardliner",
        "tit_for_tat",
        "rubinstein",
        "time_dependent",
    } <= set(negotiation_strategies())
    with pytest.raises(StrategyError, match="unknown strategy 'bogus'"):
        resolve("bogus")
    with pytest.raises(StrategyError, match="cannot import"):
        resolve("no.such.module:Thing")
    with pytest.raises(StrategyError, match="unknown parameter"):
        validate_strategy("boulware", {"speed": 1}, n_parties=2)
    with pytest.raises(StrategyError, match="must be a number"):
        validate_strategy("linear", {"e": "fast"}, n_parties=2)
    with pytest.raises(StrategyError, match="e must be"):
        validate_strategy("linear", {"e": -1}, n_parties=2)
    with pytest.raises(StrategyError, match="exactly 2"):
        validate_strategy("rubinstein", {}, n_parties=3)
    assert isinstance(Accept(), Accept)


def test_an_agent_process_sorts_each_outcome_space_once_and_keeps_those_used_again():
    from negotiator.agents.outcomes import SpaceCache
    from negotiator.model.domain import Utility

    setting = build_setting(load(BUYER_SELLER))
    buyer, seller = setting.utilities["buyer"], setting.utilities["seller"]
    cache = SpaceCache(kept=2, probation=2)
    first = cache.get(setting.domain, buyer)
    again = build_setting(load(BUYER_SELLER))  # equal content, new objects: the same space
    assert cache.get(again.domain, again.utilities["buyer"]) is first  # now kept
    assert cache.get(setting.domain, seller) is not first
    moved = Utility(buyer.party, buyer.tables, buyer.offset, buyer.reservation + 1.0)
    assert cache.get(setting.domain, moved) is not first
    for k in range(5):  # one-off spaces (a run's own renegotiations) pass through probation
        shifted = Utility(buyer.party, buyer.tables, buyer.offset + k + 1, buyer.reservation)
        cache.get(setting.domain, shifted)
    assert len(cache.probation) == 2 and list(cache.kept.values()) == [first]
    assert cache.get(setting.domain, buyer) is first
    for utility in (seller, moved, seller, moved):  # two more kept: the least recent goes
        cache.get(setting.domain, utility)
    assert len(cache.kept) == 2 and cache.get(setting.domain, buyer) is not first
