"""Phase 2 as a pure state machine: every government's move for a period → payoffs,
detections, fines, subsidies (DESIGN §6).

Randomness (market noise, detection) is drawn from streams keyed by (run seed, period,
government), so a period's result depends only on its inputs, in any order of evaluation —
which is what replay needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from negotiator.game import Dilemma, Terms
from negotiator.protocols.base import ProtocolEvent, state_digest
from negotiator.seeding import rng_for


@dataclass(frozen=True)
class PeriodResult:
    """Everything that happened in one period (all maps keyed by government)."""

    period: int
    moves: dict[str, str]
    stage: dict[str, float]
    noise: dict[str, float]
    detected: tuple[str, ...]
    fines_paid: dict[str, float]
    fines_received: dict[str, float]
    subsidies: dict[str, float]
    incident_costs: dict[str, float]
    payoffs: dict[str, float]
    decision_utilities: dict[str, float]

    def to_event(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "moves": self.moves,
            "stage": self.stage,
            "noise": self.noise,
            "detected": list(self.detected),
            "fines_paid": self.fines_paid,
            "fines_received": self.fines_received,
            "subsidies": self.subsidies,
            "incident_costs": self.incident_costs,
            "payoffs": self.payoffs,
            "decision_utilities": self.decision_utilities,
        }


@dataclass(frozen=True)
class ComplianceState:
    """Where phase 2 stands after ``period`` periods."""

    period: int = 0
    budget_left: float = 0.0
    cumulative: dict[str, float] = field(default_factory=dict)
    discounted: dict[str, float] = field(default_factory=dict)
    fine_to_superior: float = 0.0

    def digest(self) -> str:
        return state_digest(
            {
                "period": self.period,
                "budget_left": self.budget_left,
                "cumulative": self.cumulative,
                "discounted": self.discounted,
                "fine_to_superior": self.fine_to_superior,
            }
        )


class ComplianceGame:
    """The rules of one implementation phase. Games, terms and λ may change between periods
    (shocks, renegotiation): the caller passes the current ones to :meth:`play`."""

    def __init__(self, parties: tuple[str, ...], seed: int, noise: float, discount: float) -> None:
        if len(parties) < 2:
            raise ValueError("the compliance game needs at least two governments")
        self.parties = parties
        self.seed = seed
        self.noise = noise
        self.discount = discount

    def initial(self, budget: float) -> ComplianceState:
        zero = dict.fromkeys(self.parties, 0.0)
        return ComplianceState(0, budget, dict(zero), dict(zero))

    def play(
        self,
        state: ComplianceState,
        moves: dict[str, str],
        games: dict[str, Dilemma],
        terms: Terms,
        lam: dict[str, float],
        incidents: dict[str, float] | None = None,
    ) -> tuple[ComplianceState, PeriodResult, list[ProtocolEvent]]:
        """Play one period. ``moves`` maps every government to "C" or "D"."""
        parties = self.parties
        n = len(parties)
        period = state.period + 1
        if set(moves) != set(parties) or not set(moves.values()) <= {"C", "D"}:
            raise ValueError(f"period {period}: need C or D from every government")
        defectors = [p for p in parties if moves[p] == "D"]
        stage = {
            p: games[p].payoff(moves[p], len(defectors) - (moves[p] == "D"), n) for p in parties
        }
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
                for p in defectors
                if rng_for(self.seed, "detection", str(period), p).random() < terms.detection
            )
        fines_paid = {p: (terms.penalty if p in detected else 0.0) for p in parties}
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
        budget = state.budget_left
        if terms.in_force and terms.subsidy > 0:
            eligible = [p for p in parties if p not in detected]
            if eligible and budget > 0:
                each = min(terms.subsidy, budget / len(eligible))
                for p in eligible:
                    subsidies[p] = each
                budget = max(budget - each * len(eligible), 0.0)
        incident_costs = {p: (incidents or {}).get(p, 0.0) for p in parties}
        payoffs = {
            p: stage[p]
            + noise[p]
            - fines_paid[p]
            + fines_received[p]
            + subsidies[p]
            - incident_costs[p]
            for p in parties
        }
        decision = {}
        for p in parties:
            others = math.fsum(payoffs[q] for q in parties if q != p) / (n - 1)
            decision[p] = payoffs[p] + lam.get(p, 0.0) * (payoffs[p] - others)
        weight = self.discount ** (period - 1)
        new_state = replace(
            state,
            period=period,
            budget_left=budget,
            cumulative={p: state.cumulative[p] + payoffs[p] for p in parties},
            discounted={p: state.discounted[p] + weight * payoffs[p] for p in parties},
            fine_to_superior=state.fine_to_superior + to_superior,
        )
        result = PeriodResult(
            period,
            dict(moves),
            stage,
            noise,
            detected,
            fines_paid,
            fines_received,
            subsidies,
            incident_costs,
            payoffs,
            decision,
        )
        return new_state, result, [ProtocolEvent("period", result.to_event())]
