"""Bargaining analysis: the exact frontier and solutions against brute force over every outcome."""

import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negotiator.errors import AnalysisTooLarge
from negotiator.model import analysis
from negotiator.model.analysis import analyze
from negotiator.model.domain import Domain, Issue, Utility

TOL = 1e-9
PARTY_SETS = [("a", "b"), ("a", "b", "c"), ("a", "b", "c", "d")]
MAX_OUTCOMES = 600


@contextmanager
def small_blocks(on: bool = True) -> Iterator[None]:
    """Force the recursive dominance filter and chunked merges even on tiny inputs."""
    old = analysis._LEAF, analysis._BRUTE, analysis._CHUNK
    if on:
        analysis._LEAF, analysis._BRUTE, analysis._CHUNK = 2, 4, 7
    try:
        yield
    finally:
        analysis._LEAF, analysis._BRUTE, analysis._CHUNK = old


# --- strategies -------------------------------------------------------------------------------

VALUES = {
    "int": st.integers(-4, 4).map(float),  # many ties
    "sixteenths": st.integers(-800, 800).map(lambda x: x / 16),
    "cents": st.floats(-50, 50).map(lambda x: round(x, 2)),  # inexact sums
}


@st.composite
def scenarios(draw: st.DrawFn, party_sets: list[tuple[str, ...]] = PARTY_SETS):
    parties = draw(st.sampled_from(party_sets))
    issues: list[Issue] = []
    product = 1
    for k in range(draw(st.integers(1, 4))):
        specs: list[Issue] = []
        for units in (2, 4):
            share = Issue(f"s{k}", "share", parties=parties, units=units)
            specs.append(share)
        specs += [Issue(f"o{k}", "ordinal", labels=tuple("lmhx"[:n])) for n in (2, 3, 4)]
        specs += [Issue(f"c{k}", "categorical", labels=("r", "g", "b")), Issue(f"b{k}", "boolean")]
        fitting = [i for i in specs if product * i.size <= MAX_OUTCOMES]
        if not fitting:
            break
        issue = draw(st.sampled_from(fitting))
        issues.append(issue)
        product *= issue.size
    domain = Domain(tuple(issues), parties)
    utilities = {}
    for p in parties:
        tables = []
        for issue in issues:
            style = draw(st.sampled_from(sorted(VALUES)))
            if issue.kind == "share" and draw(st.booleans()):  # linear in the party's share
                coef = draw(VALUES[style])
                tables.append(tuple(issue.share_of(o, p) * coef for o in range(issue.size)))
            else:
                tables.append(
                    tuple(draw(st.lists(VALUES[style], min_size=issue.size, max_size=issue.size)))
                )
        offset = draw(st.integers(-3, 3).map(float))
        u = Utility(p, tuple(tables), offset, 0.0)
        if draw(st.booleans()):
            reservation = draw(st.integers(-8, 8).map(float))  # can equal utilities exactly
        else:
            reservation = u.min + draw(st.floats(-0.2, 1.2)) * (u.max - u.min)
        utilities[p] = Utility(p, tuple(tables), offset, reservation)
    weights = [draw(st.integers(1, 5)) for _ in parties]
    power = {p: w / sum(weights) for p, w in zip(parties, weights, strict=True)}
    return domain, utilities, power


# --- brute force ------------------------------------------------------------------------------


def first_best(score: np.ndarray, candidates: np.ndarray, tol: float) -> np.ndarray:
    s = score[candidates]
    return candidates[s >= s.max() - tol]


def brute_force(domain, utilities, power):
    """Every documented quantity, by enumerating every outcome (outcomes in tuple order)."""
    parties = domain.parties
    outs = list(domain.iter_outcomes())
    u = np.array([[utilities[p](o) for p in parties] for o in outs])
    d = np.array([utilities[p].reservation for p in parties])
    w = np.array([power[p] for p in parties])
    weakly = np.all(u[None, :, :] >= u[:, None, :] - TOL, axis=2)  # [i, j]: j ≥ i everywhere
    strictly = np.any(u[None, :, :] > u[:, None, :] + TOL, axis=2)
    pareto = ~(weakly & strictly).any(axis=1)
    gain = u - d
    res: dict[str, object] = {"pareto": {outs[i] for i in np.flatnonzero(pareto)}}
    strict = np.flatnonzero((gain > 0).all(axis=1))
    res["nash"] = res["asymmetric_nash"] = None
    if len(strict):
        prod = np.array([math.prod(g) if all(g > 0) else 0.0 for g in gain])
        i = first_best(prod, strict, 1e-12 * prod.max())[0]
        res["nash"] = (outs[i], prod[i])
        logs = np.array([float(np.dot(w, np.log(g))) if all(g > 0) else 0.0 for g in gain])
        i = first_best(logs, strict, 1e-12)[0]
        res["asymmetric_nash"] = (outs[i], logs[i])
    rational = np.flatnonzero((gain >= 0).all(axis=1))
    res["kalai_smorodinsky"] = None
    if len(rational):
        ideal = u[rational].max(axis=0)
        span = ideal - d
        ratio = np.array(
            [[g / s if s > 0 else 1.0 for g, s in zip(row, span, strict=True)] for row in gain]
        )
        cands = np.intersect1d(rational, np.flatnonzero(pareto))
        best = first_best(ratio.min(axis=1), cands, 1e-12)
        i = first_best(ratio.sum(axis=1), best, 1e-12)[0]
        res["kalai_smorodinsky"] = (outs[i], ratio[i].min())
    welfare = u.sum(axis=1)
    i = first_best(welfare, np.arange(len(outs)), 1e-12 * max(1.0, np.abs(welfare).max()))[0]
    res["max_welfare"] = (outs[i], welfare[i])
    res["dominated"] = [outs[i] for i in np.flatnonzero(~pareto)]
    return res


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.booleans())
def test_matches_brute_force(scenario, small):
    domain, utilities, power = scenario
    analysis._cache.clear()
    with small_blocks(small):
        result = analyze(domain, utilities, power)
    expected = brute_force(domain, utilities, power)
    parties = domain.parties

    assert result.parties == parties
    assert result.n_outcomes == domain.n_outcomes
    assert {pt.outcome for pt in result.pareto} == expected["pareto"]
    assert [pt.outcome for pt in result.pareto] == sorted(pt.outcome for pt in result.pareto)
    for pt in result.pareto:  # utilities exactly as Utility.__call__ computes them
        assert pt.utilities == {p: utilities[p](pt.outcome) for p in parties}

    d = {p: utilities[p].reservation for p in parties}
    for name in ("nash", "asymmetric_nash", "kalai_smorodinsky", "max_welfare"):
        got, want = getattr(result, name), expected[name]
        assert (got is None) == (want is None), name
        if got is None:
            continue
        u = got.utilities
        if name == "nash":
            value = math.prod(u[p] - d[p] for p in parties)
        elif name == "asymmetric_nash":
            value = math.fsum(power[p] * math.log(u[p] - d[p]) for p in parties)
        elif name == "kalai_smorodinsky":
            ideal = {
                p: max(
                    pt.utilities[p]
                    for pt in result.pareto
                    if all(pt.utilities[q] >= d[q] for q in parties)
                )
                for p in parties
            }
            value = min(
                (u[p] - d[p]) / (ideal[p] - d[p]) if ideal[p] > d[p] else 1.0 for p in parties
            )
        else:
            value = sum(u.values())
        assert value == pytest.approx(want[1], rel=1e-9, abs=1e-9), name
        assert got.outcome == want[0], name  # the documented tie-break is deterministic

    for pt in result.pareto[:5]:
        assert result.pareto_distance(pt.utilities) == 0.0
    for o in expected["dominated"][:5]:
        assert result.pareto_distance({p: utilities[p](o) for p in parties}) > 0.0
    json.dumps(result.to_json(domain))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda d: st.lists(
            st.lists(st.integers(0, 3), min_size=d, max_size=d), min_size=1, max_size=80
        )
    ),
    st.booleans(),
)
def test_pareto_filter_in_any_dimension(rows, small):
    points = np.array(rows, dtype=np.float64).reshape(len(rows), -1)
    with small_blocks(small):
        mask = analysis._pareto_mask(points)
    for i, p in enumerate(points):
        dominated = any((q >= p).all() and (q > p).any() for q in points)
        assert mask[i] == (not dominated)


def test_noise_is_a_tie_not_dominance():
    points = np.array([[1.0, 2.0], [1.0 + 1e-12, 2.0], [1.0, 2.0 - 1e-3], [0.1 + 0.2, 5.0]])
    assert analysis._pareto_mask(points).tolist() == [True, True, False, True]
    # (0, 0) and (1, 1) tie: a gets 0.1 + 0.2 ≠ 0.0 + 0.3 in floats, b gets 1 from both
    a = Utility("a", ((0.1, 0.0), (0.2, 0.3)), 0.0, 0.0)
    b = Utility("b", ((0.0, 1.0), (1.0, 0.0)), 0.0, 0.0)
    domain = Domain((Issue("x", "boolean"), Issue("y", "boolean")), ("a", "b"))
    result = analyze(domain, {"a": a, "b": b}, {"a": 0.5, "b": 0.5})
    assert [pt.outcome for pt in result.pareto] == [(0, 0), (0, 1), (1, 0), (1, 1)]


# --- examples ---------------------------------------------------------------------------------


def tiny() -> tuple[Domain, dict[str, Utility]]:
    """One share issue (a gets 0, ½, 1 of it) and a favour x that costs a 1 and gives b 4.

    Outcomes (a, b): (0,0)→(0,6) (0,1)→(-1,10) (1,0)→(5,3) (1,1)→(4,7) (2,0)→(10,0) (2,1)→(9,4).
    """
    share = Issue("s", "share", parties=("a", "b"), units=2)
    domain = Domain((share, Issue("x", "boolean")), ("a", "b"))
    utilities = {
        "a": Utility("a", ((0.0, 5.0, 10.0), (0.0, -1.0)), 0.0, 2.0),
        "b": Utility("b", ((6.0, 3.0, 0.0), (0.0, 4.0)), 0.0, 2.0),
    }
    return domain, utilities


def test_tiny_domain_by_hand():
    domain, utilities = tiny()
    result = analyze(domain, utilities, {"a": 0.25, "b": 0.75})
    assert [pt.outcome for pt in result.pareto] == [(0, 1), (1, 1), (2, 0), (2, 1)]
    assert result.disagreement == {"a": 2.0, "b": 2.0}
    assert result.nash is not None and result.nash.outcome == (2, 1)  # 7·2 = 14 > 2·5
    assert result.nash.utilities == {"a": 9.0, "b": 4.0}
    assert result.asymmetric_nash is not None and result.asymmetric_nash.outcome == (1, 1)
    # ideal (9, 7): (1,1) has ratios (2/7, 1), (2,1) has (1, 2/5)
    assert result.kalai_smorodinsky is not None and result.kalai_smorodinsky.outcome == (2, 1)
    assert result.max_welfare.outcome == (2, 1)
    assert result.normalized({"a": 5.0, "b": 3.0}) == pytest.approx({"a": 6 / 11, "b": 0.3})
    assert result.pareto_distance({"a": 4.0, "b": 7.0}) == 0.0
    assert result.pareto_distance({"a": 5.0, "b": 3.0}) == pytest.approx(
        math.hypot(4 / 11, 0.1)  # nearest: (9, 4)
    )
    assert result.distance({"a": 5.0, "b": 3.0}, result.max_welfare) == pytest.approx(
        math.hypot(4 / 11, 0.1)
    )
    assert result.distance({"a": 5.0, "b": 3.0}, None) is None
    data = result.to_json(domain)
    assert data["outcomes"] == 6
    assert data["pareto"][0] == {"s": {"a": 0.0, "b": 1.0}, "x": True}
    assert data["nash"] == {
        "outcome": {"s": {"a": 1.0, "b": 0.0}, "x": True},
        "utilities": {"a": 9.0, "b": 4.0},
    }
    assert json.loads(json.dumps(data)) == data


def test_no_agreement_zone():
    domain, utilities = tiny()
    greedy = {p: Utility(p, u.tables, u.offset, 20.0) for p, u in utilities.items()}
    result = analyze(domain, greedy, {"a": 0.5, "b": 0.5})
    assert result.nash is None and result.asymmetric_nash is None
    assert result.kalai_smorodinsky is None
    assert result.max_welfare.outcome == (2, 1)
    data = result.to_json(domain)
    assert data["nash"] is None and data["kalai_smorodinsky"] is None


def test_results_are_cached_per_scenario():
    domain, utilities = tiny()
    first = analyze(domain, utilities, {"a": 0.5, "b": 0.5})
    assert analyze(domain, dict(utilities), {"a": 0.5, "b": 0.5}) is first
    assert analyze(domain, utilities, {"a": 0.4, "b": 0.6}) is not first


def test_too_large_raises_quickly():
    parties = ("a", "b", "c")
    issues = tuple(Issue(f"s{k}", "share", parties=parties, units=20) for k in range(4))
    domain = Domain(issues, parties)  # 231⁴ ≈ 2.8e9 outcomes, every division Pareto-optimal
    utilities = {
        p: Utility(
            p,
            tuple(
                tuple(i.share_of(o, p) * (k + 1 + j) for o in range(i.size))
                for k, i in enumerate(issues)
            ),
            0.0,
            0.0,
        )
        for j, p in enumerate(parties)
    }
    start = time.perf_counter()
    with pytest.raises(AnalysisTooLarge, match=r"exceeds 1,000 points after issue 's1'"):
        analyze(domain, utilities, {p: 1 / 3 for p in parties}, max_frontier=1_000)
    assert time.perf_counter() - start < 10


def test_large_three_party_space_is_exact_and_fast():
    rng = np.random.default_rng(7)
    parties = ("a", "b", "c")
    issues = (
        Issue("s1", "share", parties=parties, units=10),
        Issue("s2", "share", parties=parties, units=10),
        *(Issue(f"o{k}", "ordinal", labels=("l", "m", "h")) for k in range(3)),
        Issue("b", "boolean"),
    )
    domain = Domain(issues, parties)  # 66·66·3·3·3·2 = 235,224 outcomes
    utilities = {
        p: Utility(p, tuple(tuple(rng.normal(0, 100, i.size).round(2)) for i in issues), 0.0, 0.0)
        for p in parties
    }
    result = analyze(domain, utilities, {p: 1 / 3 for p in parties})
    values = np.stack([utilities[p].all_values() for p in parties], axis=1)
    mask = analysis._pareto_mask(values)  # single filter over the whole space
    assert {pt.outcome for pt in result.pareto} == {
        domain.outcome_at(i) for i in np.flatnonzero(mask)
    }
    best = int(np.argmax(values.sum(axis=1)))
    assert result.max_welfare.outcome == domain.outcome_at(best)
