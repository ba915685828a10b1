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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from negotiator.agents.base import (
    Accept,
    Action,
    AgentContext,
    NegotiationStrategy,
    NoParams,
    Offer,
    TurnObservation,
    VoteObservation,
)
from negotiator.agents.outcomes import OutcomeSpace, spaces
from negotiator.model.domain import Outcome


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
