"""Bargaining analysis on the true utilities: Pareto frontier, Nash, asymmetric Nash,
Kalai–Smorodinsky and maximum welfare (docs/model.md §2).

Utilities are additive, so every Pareto-optimal outcome combines Pareto-optimal options of each
issue: the frontier is built exactly by merging issues one at a time and pruning dominated partial
outcomes after each merge, without enumerating the outcome space. Dominance compares utilities
with a tolerance of 1e-9 (relative to the magnitude of the values once they exceed 1), so
floating-point noise makes ties rather than spurious dominance. Every solution concept is attained
on the frontier and computed there; ties go to the smallest outcome tuple.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from negotiator.errors import AnalysisTooLarge
from negotiator.model.domain import Domain, Outcome, Utility

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DOMINANCE_TOLERANCE = 1e-9
TIE_TOLERANCE = 1e-12
_LEAF = 64  # blocks at most this large are filtered by all-pairs comparison
_BRUTE = 1 << 12  # red × blue pairs compared directly in _dominated_by
_CHUNK = 2_000_000  # candidate outcomes filtered at once while merging an issue
_CACHE_SIZE = 16
_cache: OrderedDict[Hashable, Analysis] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Point:
    """An outcome and every party's utility (money) for it."""

    outcome: Outcome
    utilities: dict[str, float]


@dataclass(frozen=True)
class Analysis:
    """The bargaining solutions of a domain; see :func:`analyze`."""

    parties: tuple[str, ...]
    n_outcomes: int
    disagreement: dict[str, float]
    pareto: tuple[Point, ...]
    nash: Point | None
    asymmetric_nash: Point | None
    kalai_smorodinsky: Point | None
    max_welfare: Point
    functions: dict[str, Utility] = field(repr=False, compare=False)

    def normalized(self, utilities: Mapping[str, float]) -> dict[str, float]:
        """Each party's utility rescaled to [0, 1] over the outcome space."""
        return {p: self.functions[p].normalize(utilities[p]) for p in self.parties}

    @cached_property
    def _pareto_normalized(self) -> FloatArray:
        rows = [
            [self.functions[p].normalize(pt.utilities[p]) for p in self.parties]
            for pt in self.pareto
        ]
        return np.array(rows, dtype=np.float64).reshape(len(self.pareto), len(self.parties))

    def pareto_distance(self, utilities: Mapping[str, float]) -> float:
        """Euclidean distance, in normalised utilities, to the nearest Pareto point."""
        x = np.array(list(self.normalized(utilities).values()), dtype=np.float64)
        return float(np.sqrt(((self._pareto_normalized - x) ** 2).sum(axis=1).min()))

    def distance(self, utilities: Mapping[str, float], point: Point | None) -> float | None:
        """Euclidean distance, in normalised utilities, to ``point`` (None without a point)."""
        if point is None:
            return None
        a, b = self.normalized(utilities), self.normalized(point.utilities)
        return math.sqrt(math.fsum((a[p] - b[p]) ** 2 for p in self.parties))

    def to_json(self, domain: Domain) -> dict[str, Any]:
        """The analysis as plain data, outcomes in their wire form."""

        def point(pt: Point | None) -> dict[str, Any] | None:
            if pt is None:
                return None
            return {"outcome": domain.decode(pt.outcome), "utilities": dict(pt.utilities)}

        return {
            "parties": list(self.parties),
            "outcomes": self.n_outcomes,
            "pareto": [domain.decode(pt.outcome) for pt in self.pareto],
            "nash": point(self.nash),
            "asymmetric_nash": point(self.asymmetric_nash),
            "kalai_smorodinsky": point(self.kalai_smorodinsky),
            "max_welfare": point(self.max_welfare),
            "disagreement": dict(self.disagreement),
        }


def _tolerance_ranks(values: FloatArray) -> IntArray:
    """Per column, the dense rank of each value, values closer than the tolerance sharing one."""
    n, d = values.shape
    ranks = np.empty((n, d), dtype=np.int64)
    for c in range(d):
        order = np.argsort(values[:, c], kind="stable")
        s = values[order, c]
        eps = DOMINANCE_TOLERANCE * max(1.0, float(np.abs(s).max()))
        step = np.zeros(n, dtype=np.int64)
        step[1:] = np.diff(s) > eps
        ranks[order, c] = np.cumsum(step)
    return ranks


def _dominated_by(red: IntArray, blue: IntArray) -> BoolArray:
    """For each blue row: is some red row ≥ it in every column?"""
    out = np.zeros(len(blue), dtype=np.bool_)
    if len(red) == 0 or len(blue) == 0:
        return out
    idx = np.flatnonzero((blue <= red.max(axis=0)).all(axis=1))
    b = blue[idx]
    r = red[(red >= b.min(axis=0)).all(axis=1)] if len(b) else red[:0]
    if len(r) == 0:
        return out
    d = b.shape[1]
    if d == 1:
        out[idx] = True  # every remaining blue value is ≤ the largest red value
    elif d == 2:
        order = np.argsort(r[:, 0], kind="stable")
        best = np.maximum.accumulate(r[order, 1][::-1])[::-1]  # max y among red with x ≥ x_k
        pos = np.searchsorted(r[order, 0], b[:, 0], side="left")
        hit = pos < len(r)
        hit[hit] = best[pos[hit]] >= b[hit, 1]
        out[idx] = hit
    elif len(r) * len(b) <= _BRUTE:
        out[idx] = np.all(r[None, :, :] >= b[:, None, :], axis=2).any(axis=1)
    else:  # split on the first column; the high red rows dominate low blue rows on the rest
        x = np.concatenate([r[:, 0], b[:, 0]])
        lo = x.min()
        if lo == x.max():
            out[idx] = _dominated_by(r[:, 1:], b[:, 1:])
            return out
        t = np.partition(x, len(x) // 2)[len(x) // 2]
        t = x[x > lo].min() if t == lo else t
        r_hi, b_hi = r[:, 0] >= t, b[:, 0] >= t
        res = np.empty(len(b), dtype=np.bool_)
        res[b_hi] = _dominated_by(r[r_hi], b[b_hi])
        low = b[~b_hi]
        res[~b_hi] = _dominated_by(r[r_hi][:, 1:], low[:, 1:]) | _dominated_by(r[~r_hi], low)
        out[idx] = res
    return out


def _self_dominated(p: IntArray) -> BoolArray:
    """For distinct rows sorted lexicographically descending: is the row dominated by another?

    A dominator always comes earlier, and beats the row on the first column, so the second half
    only needs checking against the first half's survivors on the remaining columns.
    """
    n, d = p.shape
    out = np.zeros(n, dtype=np.bool_)
    if d == 1:
        out[1:] = True
    elif d == 2:
        out[1:] = np.maximum.accumulate(p[:, 1])[:-1] >= p[1:, 1]
    elif n <= _LEAF:
        ge: BoolArray = np.all(p[None, :, :] >= p[:, None, :], axis=2)
        np.fill_diagonal(ge, False)
        out[:] = ge.any(axis=1)
    else:
        mid = n // 2
        left, right = _self_dominated(p[:mid]), _self_dominated(p[mid:])
        open_ = np.flatnonzero(~right)
        right[open_] = _dominated_by(p[:mid][~left, 1:], p[mid:][open_, 1:])
        out = np.concatenate([left, right])
    return out


def _pareto_mask(values: FloatArray) -> BoolArray:
    """Rows not dominated by another row (weakly better everywhere, strictly somewhere)."""
    n, d = values.shape
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    ranks = _tolerance_ranks(values)
    order = np.lexsort([-ranks[:, c] for c in range(d - 1, -1, -1)])
    s = ranks[order]
    new = np.ones(n, dtype=np.bool_)
    new[1:] = (s[1:] != s[:-1]).any(axis=1)
    dominated = _self_dominated(s[new])[np.cumsum(new) - 1]
    mask = np.empty(n, dtype=np.bool_)
    mask[order] = ~dominated
    return mask


def _frontier(domain: Domain, tables: list[FloatArray], max_frontier: int) -> IntArray:
    """Option indices of every Pareto-optimal outcome, merging issues one at a time."""
    d = len(domain.parties)
    vals: FloatArray = np.zeros((1, d), dtype=np.float64)
    outs: IntArray = np.zeros((1, 0), dtype=np.int64)
    for issue, table in zip(domain.issues, tables, strict=True):
        opts = np.flatnonzero(_pareto_mask(table)).astype(np.int64)
        opts = opts[np.argsort(-table[opts].sum(axis=1), kind="stable")]  # strongest first
        cur_v, cur_o = vals[:0], np.zeros((0, outs.shape[1] + 1), dtype=np.int64)
        per_chunk = max(1, _CHUNK // len(vals))
        for start in range(0, len(opts), per_chunk):
            sel = opts[start : start + per_chunk]
            cand_v = (vals[:, None, :] + table[sel][None, :, :]).reshape(-1, d)
            cand_o = np.hstack(
                [np.repeat(outs, len(sel), axis=0), np.tile(sel, len(vals))[:, None]]
            )
            cand_v, cand_o = np.vstack([cur_v, cand_v]), np.vstack([cur_o, cand_o])
            keep = _pareto_mask(cand_v)
            cur_v, cur_o = cand_v[keep], cand_o[keep]
            last = start + per_chunk >= len(opts)  # mid-issue, allow some slack
            if len(cur_v) > (max_frontier if last else 2 * max_frontier):
                raise AnalysisTooLarge(
                    "outcome space too large for exact analysis: the Pareto frontier exceeds "
                    f"{max_frontier:,} points after issue {issue.name!r} (use a coarser share step)"
                )
        vals, outs = cur_v, cur_o
    order: IntArray = np.lexsort(outs.T[::-1]) if outs.shape[1] else np.zeros(1, np.int64)
    return outs[order]


def _best(score: FloatArray, candidates: IntArray, tol: float) -> IntArray:
    """The candidates whose score is within ``tol`` of the best."""
    s = score[candidates]
    best: IntArray = candidates[s >= s.max() - tol]
    return best


def _point(outs: IntArray, u: FloatArray, parties: tuple[str, ...], i: int) -> Point:
    return Point(tuple(int(x) for x in outs[i]), dict(zip(parties, u[i].tolist(), strict=True)))


def _compute(
    domain: Domain, utilities: Mapping[str, Utility], power: Mapping[str, float], max_frontier: int
) -> Analysis:
    parties = domain.parties
    missing = [p for p in parties if p not in utilities or p not in power]
    if missing:
        raise ValueError(f"no utility or power weight for party(ies) {missing}")
    fns = {p: utilities[p] for p in parties}
    sizes = domain.sizes
    if min(sizes, default=1) < 1:
        raise ValueError("every issue needs at least one option")
    if any(tuple(len(t) for t in fns[p].tables) != sizes for p in parties):
        raise ValueError("every utility needs one table per issue, one value per option")
    tables = [
        np.array([fns[p].tables[k] for p in parties], dtype=np.float64).T.reshape(issue.size, -1)
        for k, issue in enumerate(domain.issues)
    ]
    outs = _frontier(domain, tables, max_frontier)
    n = len(outs)
    # exactly Utility.__call__: offset + fsum of the table entries
    u = np.empty((n, len(parties)), dtype=np.float64)
    for j, p in enumerate(parties):
        picked = np.array([t[outs[:, k], j] for k, t in enumerate(tables)]).T.reshape(n, -1)
        u[:, j] = [fns[p].offset + math.fsum(row) for row in picked.tolist()]
    dis = np.array([fns[p].reservation for p in parties], dtype=np.float64)
    weights = np.array([float(power[p]) for p in parties], dtype=np.float64)
    if not weights.sum() > 0:
        raise ValueError("power weights must have a positive sum")
    weights /= weights.sum()
    gain = u - dis

    def pick(i: int | None) -> Point | None:
        return None if i is None else _point(outs, u, parties, i)

    nash = asym = ks = None
    strict = np.flatnonzero((gain > 0).all(axis=1))
    if len(strict):
        prod = np.prod(np.where(gain > 0, gain, 1.0), axis=1)
        nash = int(_best(prod, strict, TIE_TOLERANCE * float(prod[strict].max()))[0])
        logs = (np.log(np.where(gain > 0, gain, 1.0)) * weights).sum(axis=1)
        asym = int(_best(logs, strict, TIE_TOLERANCE)[0])
    rational = np.flatnonzero((gain >= 0).all(axis=1))
    if len(rational):
        span = u[rational].max(axis=0) - dis
        ratio = np.where(span > 0, gain / np.where(span > 0, span, 1.0), 1.0)
        best = _best(ratio.min(axis=1), rational, TIE_TOLERANCE)
        ks = int(_best(ratio.sum(axis=1), best, TIE_TOLERANCE)[0])
    welfare = u.sum(axis=1)
    tol = TIE_TOLERANCE * max(1.0, float(np.abs(welfare).max()))
    best_welfare = int(_best(welfare, np.arange(n), tol)[0])
    return Analysis(
        parties=parties,
        n_outcomes=domain.n_outcomes,
        disagreement=dict(zip(parties, dis.tolist(), strict=True)),
        pareto=tuple(_point(outs, u, parties, i) for i in range(n)),
        nash=pick(nash),
        asymmetric_nash=pick(asym),
        kalai_smorodinsky=pick(ks),
        max_welfare=_point(outs, u, parties, best_welfare),
        functions=fns,
    )


def analyze(
    domain: Domain,
    utilities: Mapping[str, Utility],
    power: Mapping[str, float],
    *,
    max_frontier: int = 200_000,
) -> Analysis:
    """Analyse a domain exactly; :class:`AnalysisTooLarge` if the frontier gets too large.

    The result is cached per process, keyed by the domain, utilities and weights (frozen values:
    equal content, equal key).
    """
    key = (
        domain,
        tuple((p, utilities[p]) for p in sorted(utilities)),
        tuple((p, float(power[p])) for p in sorted(power)),
        max_frontier,
    )
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    result = _compute(domain, utilities, power, max_frontier)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result
