"""Phase 2 as a pure state machine: every government's move for a period → payoffs,
detections, fines, subsidies (docs/model.md §6).

Randomness (trembles, market noise, detection) is drawn from streams keyed by (run seed, period,
government), so a period's result depends only on its inputs, in any order of evaluation —
which is what replay needs. :func:`settle` is the money of one period once the moves and the
detections are known; the tests compare the strategies' expectations with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from negotiator.model.stagegame import Dilemma, Terms
from negotiator.protocols.base import ProtocolEvent, state_digest
from negotiator.seeding import rng_for


@dataclass(frozen=True)
class PeriodResult:
    """Everything that happened in one period (all maps keyed by government)."""

    period: int
    moves: dict[str, str]
    """The moves carried out (after trembles)."""
    stage: dict[str, float]
    noise: dict[str, float]
    detected: tuple[str, ...]
    fines_paid: dict[str, float]
    fines_received: dict[str, float]
    subsidies: dict[str, float]
    incident_costs: dict[str, float]
    payoffs: dict[str, float]
    decision_utilities: dict[str, float]
    fines_to_superior: float = 0.0
    intended: dict[str, str] | None = None
    """The moves the governments chose, when a tremble changed some (else None)."""

    def to_event(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "period": self.period,
            "moves": self.moves,
            "stage": self.stage,
            "noise": self.noise,
            "detected": list(self.detected),
            "fines_paid": self.fines_paid,
            "fines_received": self.fines_received,
            "fines_to_superior": self.fines_to_superior,
            "subsidies": self.subsidies,
            "incident_costs": self.incident_costs,
            "payoffs": self.payoffs,
            "decision_utilities": self.decision_utilities,
        }
        if self.intended is not None:
            out["intended"] = self.intended
        return out


@dataclass(frozen=True)
class ComplianceState:
    """Where phase 2 stands after ``period`` periods."""

    period: int = 0
    budget_left: float = 0.0
    cumulative: dict[str, float] = field(default_factory=dict)
    discounted: dict[str, float] = field(default_factory=dict)
    fine_to_superior: float = 0.0
    offences: dict[str, int] = field(default_factory=dict)
    """Detected offences per government so far (graduated sanctions)."""
    subsidies_paid: float = 0.0

    def digest(self) -> str:
        return state_digest(
            {
                "period": self.period,
                "budget_left": self.budget_left,
                "cumulative": self.cumulative,
                "discounted": self.discounted,
                "fine_to_superior": self.fine_to_superior,
                "offences": self.offences,
                "subsidies_paid": self.subsidies_paid,
            }
        )


@dataclass(frozen=True)
class Settlement:
    """The money of one period, once the moves and detections are known."""

    stage: dict[str, float]
    fines_paid: dict[str, float]
    fines_received: dict[str, float]
    to_superior: float
    subsidies: dict[str, float]
    budget_left: float
    payoffs: dict[str, float]
    decision: dict[str, float]


def settle(
    parties: tuple[str, ...],
    moves: dict[str, str],
    detected: tuple[str, ...],
    games: dict[str, Dilemma],
    terms: Terms,
    lam: dict[str, float],
    *,
    budget: float,
    offences: dict[str, int] | None = None,
    noise: dict[str, float] | None = None,
    incidents: dict[str, float] | None = None,
) -> Settlement:
    """Stage payoffs, fines (a detected defector pays F·(1 + γ·offences so far), shared equally
    by that period's compliers, or paid to the superior when nobody complied), subsidies (to
    every government not detected, while the budget lasts, shared equally when it cannot pay
    all in full), and decision utilities u = payoff + λ·(payoff − mean of the others' payoffs −
    ω·[detected and published])."""
    n = len(parties)
    terms = terms.enforced()
    defectors = sum(moves[p] == "D" for p in parties)
    stage = {p: games[p].payoff(moves[p], defectors - (moves[p] == "D"), n) for p in parties}
    offences = offences or {}
    fines_paid = {p: (terms.fine(offences.get(p, 0)) if p in detected else 0.0) for p in parties}
    fines_received = dict.fromkeys(parties, 0.0)
    compliers = [p for p in parties if moves[p] == "C"]
    to_superior = 0.0
    total_fines = math.fsum(fines_paid.values())
    if total_fines > 0:
        if compliers:
            for p in compliers:
                fines_received[p] = total_fines / len(compliers)
        else:
            to_superior = total_fines
    subsidies = dict.fromkeys(parties, 0.0)
    if terms.subsidy > 0:
        eligible = [p for p in parties if p not in detected]
        if eligible and budget > 0:
            each = min(terms.subsidy, budget / len(eligible))
            for p in eligible:
                subsidies[p] = each
            budget = max(budget - each * len(eligible), 0.0)
    noise = noise or {}
    incidents = incidents or {}
    payoffs = {
        p: stage[p]
        + noise.get(p, 0.0)
        - fines_paid[p]
        + fines_received[p]
        + subsidies[p]
        - incidents.get(p, 0.0)
        for p in parties
    }
    decision = {}
    for p in parties:
        others = math.fsum(payoffs[q] for q in parties if q != p) / (n - 1)
        standing = payoffs[p] - others - (terms.reputation if p in detected else 0.0)
        decision[p] = payoffs[p] + lam.get(p, 0.0) * standing
    return Settlement(
        stage, fines_paid, fines_received, to_superior, subsidies, budget, payoffs, decision
    )


class ComplianceGame:
    """The rules of one implementation phase. Games, terms and λ may change between periods
    (shocks, renegotiation): the caller passes the current ones to :meth:`play`."""

    def __init__(
        self,
        parties: tuple[str, ...],
        seed: int,
        noise: float,
        discount: float,
        tremble: float = 0.0,
    ) -> None:
        if len(parties) < 2:
            raise ValueError("the compliance game needs at least two governments")
        self.parties = parties
        self.seed = seed
        self.noise = noise
        self.discount = discount
        self.tremble = tremble

    def initial(self, budget: float) -> ComplianceState:
        zero = dict.fromkeys(self.parties, 0.0)
        return ComplianceState(
            0, budget, dict(zero), dict(zero), offences=dict.fromkeys(self.parties, 0)
        )

    def play(
        self,
        state: ComplianceState,
        moves: dict[str, str],
        games: dict[str, Dilemma],
        terms: Terms,
        lam: dict[str, float],
        incidents: dict[str, float] | None = None,
        trembling: frozenset[str] | None = None,
    ) -> tuple[ComplianceState, PeriodResult, list[ProtocolEvent]]:
        """Play one period. ``moves`` maps every government to "C" or "D"; the moves of
        ``trembling`` (default: every government) may tremble."""
        parties = self.parties
        period = state.period + 1
        if set(moves) != set(parties) or not set(moves.values()) <= {"C", "D"}:
            raise ValueError(f"period {period}: need C or D from every government")
        intended = dict(moves)
        if self.tremble > 0:
            for p in parties:
                if trembling is not None and p not in trembling:
                    continue
                if rng_for(self.seed, "tremble", str(period), p).random() < self.tremble:
                    moves = {**moves, p: "C" if moves[p] == "D" else "D"}
        noise = {
            p: (
                rng_for(self.seed, "noise", str(period), p).gauss(0.0, self.noise)
                if self.noise > 0
                else 0.0
            )
            for p in parties
        }
        detected: tuple[str, ...] = ()
        if terms.in_force and terms.detection > 0:
            detected = tuple(
                p
                for p in parties
                if moves[p] == "D"
                and rng_for(self.seed, "detection", str(period), p).random() < terms.detection
            )
        money = settle(
            parties,
            moves,
            detected,
            games,
            terms,
            lam,
            budget=state.budget_left,
            offences=state.offences,
            noise=noise,
            incidents=incidents,
        )
        weight = self.discount ** (period - 1)
        payoffs = money.payoffs
        new_state = replace(
            state,
            period=period,
            budget_left=money.budget_left,
            cumulative={p: state.cumulative[p] + payoffs[p] for p in parties},
            discounted={p: state.discounted[p] + weight * payoffs[p] for p in parties},
            fine_to_superior=state.fine_to_superior + money.to_superior,
            offences={p: state.offences.get(p, 0) + (p in detected) for p in parties},
            subsidies_paid=state.subsidies_paid + math.fsum(money.subsidies.values()),
        )
        result = PeriodResult(
            period,
            dict(moves),
            money.stage,
            noise,
            detected,
            money.fines_paid,
            money.fines_received,
            money.subsidies,
            {p: (incidents or {}).get(p, 0.0) for p in parties},
            payoffs,
            money.decision,
            fines_to_superior=money.to_superior,
            intended=intended if intended != moves else None,
        )
        return new_state, result, [ProtocolEvent("period", result.to_event())]
