"""Phase-1 negotiation strategies (docs/model.md §3–4).

* Time-dependent tactics (Faratin, Sierra & Jennings 1998, Genius form): the target utility at
  relative time t = round/deadline is u(t) = u_max − (u_max − u_res)·t^(1/e); ``boulware`` e = 0.2,
  ``linear`` e = 1, ``conceder`` e = 2, ``hardliner`` never concedes (the e → 0 limit for t < 1).
* ``tit_for_tat``: mirror the others' last concession, measured in one's own utility.
* ``rubinstein``: bilateral share bargaining; subgame-perfect play by backward induction.

Utilities are normalised per party over the outcome space (0 = own worst outcome, 1 = own best).
"""

from __future__ import annotations

import math
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from agents.base import (
    Accept,
    Action,
    AgentContext,
    NegotiationStrategy,
    NoParams,
    Offer,
    TurnObservation,
    VoteObservation,
)
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


class TargetStrategy(NegotiationStrategy):
    """Shared machinery of strategies that propose the outcome at or just above a target
    utility and accept any offer worth at least the target or their own next offer.

    Ties between candidate outcomes are broken by an opponent model where the agent has seen
    others' offers (the candidate nearest to the last offer it received), else by its seeded RNG.
    """

    def __init__(self, ctx: AgentContext, params: object) -> None:
        super().__init__(ctx, params)
        u = ctx.utility
        self._space: OutcomeSpace | None = None
        if ctx.protocol == "saop":  # sorted now, before the first turn's clock runs
            self._space = spaces.get(ctx.domain, u)
        self.u_res = min(max(u.normalized_reservation, 0.0), 1.0)
        self.last_received: Outcome | None = None

    @property
    def space(self) -> OutcomeSpace:
        """Its outcome space, sorted by its own utility (built when first needed: a single text,
        such as a renegotiation, never asks for it)."""
        if self._space is None:
            self._space = spaces.get(self.ctx.domain, self.ctx.utility)
        return self._space

    def value(self, outcome: Outcome) -> float:
        return self.ctx.utility.normalize(self.ctx.utility(outcome))

    def target(self, obs: TurnObservation) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def choose(self, target: float) -> Outcome:
        found = self.space.candidates(target)
        cands: Sequence[int] = found
        if self.last_received is not None and len(found) > 1:
            cands = self.space.nearest(found, self.last_received)
        pos = int(cands[0]) if len(cands) == 1 else int(cands[self.rng.randrange(len(cands))])
        return self.space.outcome(pos)

    def respond(self, obs: TurnObservation) -> Action:
        target = max(self.target(obs), self.u_res)
        answer = obs.standing is not None and obs.proposer != self.ctx.party
        if answer:
            assert obs.standing is not None
            self.observe(obs.standing)
            self.last_received = obs.standing
        mine = self.choose(target)
        if answer:
            assert obs.standing is not None
            offered = self.value(obs.standing)
            if offered >= self.u_res and (offered >= target or offered >= self.value(mine)):
                return Accept()
        return Offer(mine)

    def observe(self, offer: Outcome) -> None:
        """Hook: called with every offer the agent is asked to answer."""

    def observe_offer(self, party: str, outcome: Outcome) -> None:
        # under public transparency the opponent model sees every offer by the others
        if party != self.ctx.party:
            self.last_received = outcome


@dataclass(frozen=True)
class TimeParams:
    e: float = 1.0

    def __post_init__(self) -> None:
        if not (self.e >= 0 and math.isfinite(self.e)):
            raise ValueError(f"e must be a finite number >= 0, got {self.e}")


class TimeDependent(TargetStrategy):
    """u(t) = u_max − (u_max − u_res)·t^(1/e), t = round/deadline; e = 0 never concedes."""

    name = "time_dependent"
    Params = TimeParams

    def target(self, obs: TurnObservation) -> float:
        e = self.params.e
        t = min(obs.round / self.ctx.deadline, 1.0)
        concession = 0.0 if e == 0 else t ** (1.0 / e)
        return 1.0 - (1.0 - self.u_res) * concession


@dataclass(frozen=True)
class BoulwareParams(TimeParams):
    e: float = 0.2


@dataclass(frozen=True)
class ConcederParams(TimeParams):
    e: float = 2.0


class Boulware(TimeDependent):
    """Time-dependent with e = 0.2: holds out, concedes late."""

    name = "boulware"
    Params = BoulwareParams


class Linear(TimeDependent):
    """Time-dependent with e = 1: concedes at a constant rate."""

    name = "linear"


class Conceder(TimeDependent):
    """Time-dependent with e = 2: concedes early."""

    name = "conceder"
    Params = ConcederParams


class Hardliner(TargetStrategy):
    """e = 0: always asks for its best outcome and accepts only that (the e → 0 limit)."""

    name = "hardliner"
    Params = NoParams

    def target(self, obs: TurnObservation) -> float:
        return 1.0


@dataclass(frozen=True)
class TitForTatParams:
    nice: float = 0.01
    """Concession made when the others did not move (breaks deadlocks between mirrors)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.nice <= 1.0:
            raise ValueError(f"nice must be in [0, 1], got {self.nice}")


class TitForTat(TargetStrategy):
    """Relative tit-for-tat: concede, in own normalised utility, what the others' offers last
    conceded to me (the gain between the last two offers I was asked to answer), or ``nice``
    when they did not move; never below the reservation value."""

    name = "tit_for_tat"
    Params = TitForTatParams

    def __init__(self, ctx: AgentContext, params: TitForTatParams) -> None:
        super().__init__(ctx, params)
        self.level = 1.0
        self.received: list[float] = []

    def observe(self, offer: Outcome) -> None:
        self.received.append(self.value(offer))

    def target(self, obs: TurnObservation) -> float:
        return self.level

    def respond(self, obs: TurnObservation) -> Action:
        if obs.standing is not None and obs.proposer != self.ctx.party:
            now = self.value(obs.standing)
            before = self.received[-1] if self.received else None
            if before is not None:
                gain = now - before
                self.level -= gain if gain > 0 else self.params.nice
            self.level = max(self.level, self.u_res)
        return super().respond(obs)


class Rubinstein(NegotiationStrategy):
    """Subgame-perfect play of bilateral share bargaining with a deadline (Rubinstein 1982).

    Backward induction over the remaining turns of the continuous game: W_last = 0 and
    W_k = 1 − δ_next · W_{k+1}, the share the party acting at turn k secures by proposing.
    It proposes to keep the largest grid share that leaves the other at least δ_other · W_{k+1}
    and accepts a share y iff y ≥ δ_self · W_k. With many rounds the first proposer's share tends
    to (1 − δ₂)/(1 − δ₁δ₂), within one grid step.
    """

    name = "rubinstein"
    exact_parties: ClassVar[int] = 2

    def __init__(self, ctx: AgentContext, params: object) -> None:
        super().__init__(ctx, params)
        if ctx.protocol != "saop":  # a renegotiation's single text: it votes like a climber
            return
        shares = [i for i in ctx.domain.issues if i.kind == "share"]
        if len(ctx.domain.issues) != 1 or len(shares) != 1 or len(ctx.order) != 2:
            raise ValueError("rubinstein needs two parties and exactly one share issue")
        self.issue = shares[0]
        self.other = next(p for p in ctx.order if p != ctx.party)
        turns = 2 * ctx.deadline
        w = [0.0] * turns
        for k in range(turns - 2, -1, -1):
            responder = ctx.order[(k + 1) % 2]
            w[k] = 1.0 - ctx.discounts[responder] * w[k + 1]
        self.w = w

    def respond(self, obs: TurnObservation) -> Action:
        k = obs.turn
        issue = self.issue
        me = self.ctx.party
        if obs.standing is not None and obs.proposer != me:
            mine = issue.share_of(obs.standing[0], me)
            if mine >= self.ctx.discounts[me] * self.w[k] - 1e-9:
                return Accept()
        next_w = self.w[k + 1] if k + 1 < len(self.w) else 0.0
        need = self.ctx.discounts[self.other] * next_w
        other_units = min(math.ceil(need * issue.units - 1e-9), issue.units)
        split = {me: issue.units - other_units, self.other: other_units}
        option = issue.grid.index(tuple(split[p] for p in issue.parties))
        return Offer((option,))


class HillClimber(NegotiationStrategy):
    """Single-text voter: accepts a mutation iff it is strictly better for it (Klein et al.)."""

    name = "hill_climber"
    protocols = ("single_text",)


@dataclass(frozen=True)
class AnnealerParams:
    t0: float = 0.2
    """Initial temperature, in normalised utility."""
    cooling: float = 0.9
    """Temperature falls geometrically: T(round) = t0 · cooling^(round − 1)."""

    def __post_init__(self) -> None:
        if self.t0 <= 0 or not 0 < self.cooling <= 1:
            raise ValueError("t0 must be > 0 and cooling in (0, 1]")


class Annealer(NegotiationStrategy):
    """Single-text voter: accepts a better mutation; a worse one with probability exp(ΔU/T),
    ΔU in normalised utility, T = t0 · cooling^(round − 1) (Klein et al. 2003)."""

    name = "annealer"
    Params = AnnealerParams
    stochastic = True
    protocols = ("single_text",)

    def vote(self, obs: VoteObservation) -> bool:
        u = self.ctx.utility
        delta = u.normalize(u(obs.proposal)) - u.normalize(u(obs.text))
        if delta >= 0:
            return True
        temperature = self.params.t0 * self.params.cooling ** (obs.round - 1)
        return self.rng.random() < math.exp(delta / temperature)


REGISTERED: tuple[type[NegotiationStrategy], ...] = (
    TimeDependent,
    Boulware,
    Linear,
    Conceder,
    Hardliner,
    TitForTat,
    Rubinstein,
    HillClimber,
    Annealer,
)
