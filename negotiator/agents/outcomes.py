"""The outcome space a negotiation strategy searches: every outcome sorted by the party's own
normalised utility, with the distances the tie-breaks use, enumerated once per domain and utility
and kept in a small cache shared by the strategies of one process.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from negotiator.model.domain import Domain, Outcome, Utility

#: Outcomes within this much normalised utility of the best candidate count as ties.
TIE_BAND = 0.005
#: Agents enumerate the outcome space; beyond this they refuse with a clear error.
MAX_OUTCOMES = 3_000_000
#: Candidate sets up to this size are compared in plain Python, larger ones with numpy. Both
#: give the same floats; plain Python is the faster for a few candidates in an agent process,
#: where each numpy call finds its code out of the caches (other processes ran since its turn).
SMALL_SET = 64
#: Issues with at most this many options keep their distance table as nested lists too.
SMALL_ISSUE = 256


class OutcomeSpace:
    """The outcome space seen from one party: every outcome sorted by own normalised utility,
    plus a distance between outcomes (for picking the candidate closest to what others offered)."""

    def __init__(self, domain: Domain, normalized: np.ndarray) -> None:
        if domain.n_outcomes > MAX_OUTCOMES:
            raise ValueError(
                f"outcome space has {domain.n_outcomes:,} outcomes; agents enumerate at most "
                f"{MAX_OUTCOMES:,} (use a coarser share step or fewer values)"
            )
        self.domain = domain
        order = np.argsort(-normalized, kind="stable")
        self.flat = order  # flat outcome indices, best first
        self.values = normalized[order]  # descending
        # ascending, for binary search with the bisect module (built once: the whole space)
        self._ascending = array("d", np.ascontiguousarray(-self.values, dtype=np.float64).tobytes())
        grids = np.unravel_index(order, domain.sizes)
        self.options = np.stack(grids, axis=1).astype(np.int32) if grids else np.zeros((0, 0))
        self.distance_tables = [_issue_distances(domain, k) for k in range(len(domain.issues))]
        self._distance_lists = (
            [t.tolist() for t in self.distance_tables]
            if all(len(t) <= SMALL_ISSUE for t in self.distance_tables)
            else None
        )

    def outcome(self, pos: int) -> Outcome:
        return tuple(self.options[pos].tolist())

    def candidates(self, target: float) -> range:
        """Positions of the outcomes at or just above ``target`` (the lowest such utility,
        plus ties within :data:`TIE_BAND`). Falls back to the best outcome if none reaches it."""
        # values are descending: positions [0, n_ge) have value >= target
        n_ge = bisect_right(self._ascending, -target + 1e-12)
        if n_ge == 0:
            return range(1)
        lowest = -self._ascending[n_ge - 1]
        start = bisect_left(self._ascending, -(lowest + TIE_BAND))
        return range(start, n_ge)

    def nearest(self, positions: range, reference: Outcome) -> Sequence[int]:
        """The subset of ``positions`` at minimal distance from ``reference`` (in order)."""
        tables = self._distance_lists
        if tables is not None and len(positions) <= SMALL_SET:
            # the same sums as below, in the same order: the same floats
            dists = []
            for row in self.options[positions.start : positions.stop].tolist():
                d = 0.0
                for table, o, r in zip(tables, row, reference, strict=True):
                    d += table[o][r]
                dists.append(d)
            bound = min(dists) + 1e-12
            return [p for p, d in zip(positions, dists, strict=True) if d <= bound]
        at = np.arange(positions.start, positions.stop)
        dist = np.zeros(len(at))
        for k, table in enumerate(self.distance_tables):
            dist += table[self.options[at, k], reference[k]]
        nearest: list[int] = at[dist <= dist.min() + 1e-12].tolist()
        return nearest


class SpaceCache:
    """Outcome spaces kept per process, by (domain, utility): an agent that plays run after run (a
    pool, a sweep worker) sorts its space once, not once per run (73 ms for the default case's
    235,224 outcomes). A space is read-only once built, so runs and inproc threads share it.

    A space built for the first time waits on probation (the last ``probation`` of them); one
    asked for again is kept (the last ``kept`` used). So the spaces a run starts with stay, while
    those of one-off renegotiations (utilities moved by a run's own shocks) pass through."""

    def __init__(self, kept: int = 4, probation: int = 2) -> None:
        self.kept_size = kept
        self.probation_size = probation
        self.kept: OrderedDict[tuple[Domain, Utility], OutcomeSpace] = OrderedDict()
        self.probation: OrderedDict[tuple[Domain, Utility], OutcomeSpace] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, domain: Domain, utility: Utility) -> OutcomeSpace:
        """The outcome space of ``domain`` seen by the party with ``utility`` (normalised)."""
        key = (domain, utility)
        with self._lock:
            space = self.kept.get(key)
            if space is not None:
                self.kept.move_to_end(key)
                return space
            space = self.probation.pop(key, None)
            if space is not None:  # asked for again: keep it
                self.kept[key] = space
                while len(self.kept) > self.kept_size:
                    self.kept.popitem(last=False)
                return space
        normalized = (utility.all_values() - utility.min) / max(utility.max - utility.min, 1e-300)
        space = OutcomeSpace(domain, normalized)
        with self._lock:
            self.probation[key] = space
            while len(self.probation) > self.probation_size:
                self.probation.popitem(last=False)
        return space


#: This process's outcome spaces (see :class:`SpaceCache`).
spaces = SpaceCache()


def _issue_distances(domain: Domain, k: int) -> np.ndarray:
    """Distance in [0, 1] between the options of issue k."""
    issue = domain.issues[k]
    n = issue.size
    if issue.kind == "share":
        grid = np.array(issue.grid, dtype=np.float64)
        table: np.ndarray = np.abs(grid[:, None, :] - grid[None, :, :]).sum(axis=2)
        return table / (2.0 * issue.units)
    if issue.kind == "ordinal":
        idx = np.arange(n, dtype=np.float64)
        return np.abs(idx[:, None] - idx[None, :]) / max(n - 1, 1)
    return 1.0 - np.eye(n)
