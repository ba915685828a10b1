"""Phase 2 on the mediator's clock: implementation periods, shocks and renegotiation.

Each period is a SimPy timeout of one unit: every government is asked to comply or defect, the
mediator waits for all moves (a barrier with a wall-clock deadline), then plays them all at once
(the result does not depend on arrival order) with the pure
:class:`~negotiator.protocols.compliance.ComplianceGame`, and reports to each government what the
transparency level lets it see. Shocks are SimPy processes that fire half-way
between periods (fixed periods or a seeded Poisson process); a shock that moves some R_g by more
than ``renegotiation_threshold`` reopens phase 1 at the next period if the contract allows it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import simpy

from negotiator.config import Config, ShockSpec
from negotiator.contract import Setting, build_setting
from negotiator.domain import Outcome, Utility
from negotiator.game import Dilemma, Terms, contract_terms, stage_games
from negotiator.protocols.compliance import ComplianceGame, ComplianceState, PeriodResult
from negotiator.seeding import rng_for
from negotiator.transparency import Transparency

if TYPE_CHECKING:
    from negotiator.mediator import Mediator


class ImplementationPhase:
    """The state and I/O of phase 2 for one run."""

    def __init__(self, mediator: Mediator, contract: Outcome | None) -> None:
        config = mediator.config
        assert config.implementation is not None
        self.m = mediator
        self.config = config
        self.impl = config.implementation
        self.parties = mediator.parties
        self.contract = contract
        self.contract_at_start = contract
        self.surplus_factor = 1.0
        self.setting: Setting | None = mediator.setting
        self.lam = {p: config.parties[p].promotion for p in self.parties}
        self.strategies = {p: config.parties[p].compliance for p in self.parties}
        self.terms: Terms = self._with_superior(contract_terms(config, self.setting, contract))
        self.games: dict[str, Dilemma] = stage_games(config, self.setting, contract)
        self.engine = ComplianceGame(
            self.parties, config.run.seed, self.impl.noise, self.impl.discount
        )
        self.state: ComplianceState = self.engine.initial(self.terms.budget)
        self.results: list[PeriodResult] = []
        self.thresholds: dict[str, float] = {}
        self.pending_incidents: dict[str, float] = {}
        self.renegotiate_next = False
        self.renegotiations: list[dict[str, Any]] = []
        self.forfeits = dict.fromkeys(self.parties, 0)
        self.transparency = Transparency(config.mediator.transparency)

    def reconfigure(self, config: Config, now: float) -> None:
        """A branch changed the config: the new terms, games, λ and transparency apply from
        now on (the subsidy budget already spent stays spent)."""
        assert config.implementation is not None
        self.config = config
        self.impl = config.implementation
        self.transparency = Transparency(config.mediator.transparency)
        self.lam = {p: config.parties[p].promotion for p in self.parties}
        budget = self.state.budget_left
        terms = self._with_superior(contract_terms(config, self._setting_now(), self.contract))
        self.terms = replace(terms, budget=budget)
        self.games = self._games_now()
        self._announce_terms(now, "terms")

    def _with_superior(self, terms: Terms) -> Terms:
        """The superior's committed subsidy and budget (plan_and_subsidy) replace the config's."""
        plan = self.m.plan
        if plan is None or not terms.in_force or plan.guidance != "plan_and_subsidy":
            return terms
        return replace(terms, subsidy=plan.subsidy, budget=plan.budget)

    # -- the process ---------------------------------------------------------------------------

    def process(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        t0 = env.now
        self._announce_terms(env.now, "implementation_start")
        for index, spec in enumerate(self.impl.shocks):
            env.process(self._shock(env, index, spec, t0))
        for period in range(1, self.impl.periods + 1):
            yield env.timeout(1)
            self.m.checkpoint(2, period, env.now)
            if self.renegotiate_next:
                self.renegotiate_next = False
                self._renegotiate(period, env.now)
            self._period(period, env.now)
        self.m.log.emit(
            "implementation_end",
            periods=self.impl.periods,
            state=self.state.digest(),
            cumulative=self.state.cumulative,
            discounted=self.state.discounted,
            t=env.now,
        )

    def _announce_terms(self, now: float, event: str) -> None:
        """Log the game and terms in force and tell each government its own stage game."""
        self.thresholds = {p: self.terms.threshold(self.games[p]) for p in self.parties}
        self.m.log.emit(
            event,
            contract_in_force=self.terms.in_force,
            terms={
                "detection": self.terms.detection,
                "penalty": self.terms.penalty,
                "subsidy": self.terms.subsidy,
                "budget_left": self.state.budget_left,
                "renegotiable": self.terms.renegotiable,
            },
            games={p: g.as_dict() for p, g in self.games.items()},
            thresholds=self.thresholds,
            surplus_factor=self.surplus_factor,
            t=now,
        )
        for p in self.parties:
            self.tell_terms(p)
        self.m.log.flush()

    def tell_terms(self, party: str) -> None:
        """Send ``party`` its stage game and the terms in force (also to a rejoined agent)."""
        self.m.send(
            party,
            "event",
            {"kind": "stage_game", **self._game_spec(party), "periods": self.impl.periods},
        )

    def _game_spec(self, party: str) -> dict[str, Any]:
        g = self.games[party]
        in_force = self.terms.in_force
        return {
            "game": {
                **g.as_dict(),
                "n": len(self.parties),
                "detection": self.terms.detection if in_force else 0.0,
                "penalty": self.terms.penalty if in_force else 0.0,
                "subsidy": self.terms.subsidy if in_force else 0.0,
                "lam": self.lam[party],
            }
        }

    # -- one period ----------------------------------------------------------------------------

    def _period(self, period: int, now: float) -> None:
        started = time.monotonic()
        moves = self._collect(period, now)
        incidents, self.pending_incidents = self.pending_incidents, {}
        self.state, result, events = self.engine.play(
            self.state, moves, self.games, self.terms, self.lam, incidents
        )
        self.results.append(result)
        for event in events:
            self.m.log.emit(event.kind, t=now, **event.data)
        self.m.log.emit(
            "period_end",
            period=period,
            t=now,
            state=self.state.digest(),
            wall_ms=round((time.monotonic() - started) * 1000, 3),
        )
        for p in self.parties:
            self.m.send(p, "event", self.transparency.period_report(p, result), period)
        self.m.log.flush_later()

    def _collect(self, period: int, now: float) -> dict[str, str]:
        """Ask every government for its move; wait for all (or the deadline)."""
        present = [p for p in self.parties if p not in self.m.absent]
        self.m.log.emit("request", kind="compliance", period=period, parties=present, t=now)
        self.m.send_all(present, "request", {"kind": "compliance", "period": period}, period)
        moves: dict[str, str] = {}
        for sender, msg in self.m.actions(
            self.impl.decision_timeout, lambda: len(moves) < len(present)
        ):
            body = msg.body
            if body.get("period") != period or sender in moves or sender in self.m.absent:
                self.m.reject(
                    sender,
                    "stale",
                    f"no move expected now (period {period})",
                    period,
                    period,
                    body=body,
                )
                continue
            move = body.get("move")
            if move not in ("C", "D"):
                self.m.reject(
                    sender,
                    "invalid_action",
                    f"a move is 'C' or 'D', not {move!r}",
                    period,
                    period,
                    body=body,
                )
                continue
            moves[sender] = move
            self.m.accepted(sender)
        for p in self.parties:
            if p not in moves:  # silent or gone: treated as not complying
                self.forfeits[p] += 1
                reason = "absent" if p in self.m.absent else "silent"
                self.m.log.emit("forfeit", party=p, period=period, reason=reason, t=now)
                if reason == "silent" and self.m.is_lost(p):
                    self.m.mark_absent(p, now)
                moves[p] = "D"
        return {p: moves[p] for p in self.parties}

    # -- shocks --------------------------------------------------------------------------------

    def _shock(
        self, env: simpy.Environment, index: int, spec: ShockSpec, t0: float
    ) -> Generator[simpy.Event, Any, None]:
        rng = rng_for(self.config.run.seed, "shock", str(index))
        last = t0 + self.impl.periods - 0.5
        if spec.at:
            for period in sorted(spec.at):
                yield env.timeout(t0 + period - 0.5 - env.now)
                self._apply(spec, period, rng, env.now)
            return
        assert spec.rate is not None
        while True:
            wait = rng.expovariate(spec.rate)
            if env.now + wait > last:
                return
            yield env.timeout(wait)
            self._apply(spec, math.floor(env.now - t0) + 1, rng, env.now)

    def _apply(self, spec: ShockSpec, period: int, rng: Any, now: float) -> None:
        """Apply a shock that takes effect from ``period`` on."""
        target = spec.government or self.parties[rng.randrange(len(self.parties))]
        event: dict[str, Any] = {"kind": spec.kind, "period": period, "t": now}
        if spec.kind == "demand":
            before = {p: g.R for p, g in self.games.items()}
            self.surplus_factor *= spec.factor
            self.games = self._games_now()
            after = {p: g.R for p, g in self.games.items()}
            change = max(abs(after[p] - before[p]) / max(abs(before[p]), 1e-12) for p in before)
            event |= {
                "factor": spec.factor,
                "surplus_factor": self.surplus_factor,
                "R_before": before,
                "R_after": after,
                "max_change": change,
            }
            self.m.log.emit("shock", **event)
            if self.terms.renegotiable and change > self.impl.renegotiation_threshold:
                self.renegotiate_next = True
                self.m.log.emit("renegotiation_triggered", period=period, change=change, t=now)
            self._announce_terms(now, "terms")
            return
        event["government"] = target
        if spec.kind == "rotation":
            if spec.promotion is not None:
                self.lam[target] = spec.promotion
            if spec.compliance is not None:
                self.strategies[target] = spec.compliance
            event |= {"promotion": self.lam[target], "compliance": self.strategies[target]}
            self.m.log.emit("shock", **event)
            self.m.send(
                target,
                "event",
                {
                    "kind": "rotation",
                    "compliance": {"name": self.strategies[target], "params": {}}
                    if spec.compliance is not None
                    else None,
                    **self._game_spec(target),
                },
            )
            return
        mitigation = 0.0
        if self.terms.in_force and self.terms.env_level is not None:
            mitigation = self.impl.incident_mitigation[self.terms.env_level]
        cost = spec.damage * (1.0 - mitigation)
        self.pending_incidents[target] = self.pending_incidents.get(target, 0.0) + cost
        self.m.log.emit("shock", **event, damage=spec.damage, mitigation=mitigation, cost=cost)

    def _setting_now(self) -> Setting | None:
        if self.setting is None:
            return None
        if self.surplus_factor == 1.0:
            return self.setting
        return build_setting(self.config, self.surplus_factor)

    def _games_now(self) -> dict[str, Dilemma]:
        if self.impl.payoffs is not None:  # given payoffs: a demand shock scales all of them
            base = stage_games(self.config, None, None)
            f = self.surplus_factor
            return {p: Dilemma(g.R * f, g.S * f, g.T * f, g.P * f) for p, g in base.items()}
        return stage_games(self.config, self._setting_now(), self.contract)

    # -- renegotiation -------------------------------------------------------------------------

    def _renegotiate(self, period: int, now: float) -> None:
        """Reopen phase 1 with the current contract as the status quo (everyone's reservation
        value is what the current contract is worth now); a new agreement replaces it."""
        setting = self._setting_now()
        assert setting is not None and self.contract is not None
        status_quo = {p: setting.utilities[p](self.contract) for p in self.parties}
        utilities = {
            p: Utility(p, u.tables, u.offset, status_quo[p]) for p, u in setting.utilities.items()
        }
        self.m.log.emit("renegotiation_start", period=period, status_quo=status_quo, t=now)
        new = self.m.renegotiate(setting.domain, utilities, self.contract, now)
        changed = new is not None and new != self.contract
        if changed:
            self.contract = new
            budget = self.state.budget_left
            self.terms = replace(
                self._with_superior(contract_terms(self.config, setting, new)), budget=budget
            )
            self.games = self._games_now()
        current = self.contract
        assert current is not None
        record = {
            "period": period,
            "status": "agreed" if new is not None else "no_agreement",
            "changed": changed,
            "contract": setting.domain.decode(current),
        }
        self.renegotiations.append(record)
        self.m.log.emit("renegotiation", **record, t=now)
        self._announce_terms(now, "terms")
