"""Phase 2 on the mediator's clock: implementation periods, shocks and renegotiation.

Each period is a SimPy timeout of one unit: every government is asked to comply or defect, the
mediator waits for all moves (a barrier with a wall-clock deadline), then plays them all at once
(the result does not depend on arrival order) with the pure
:class:`~negotiator.protocols.compliance.ComplianceGame`, and reports to each government what the
transparency level lets it see. Shocks are SimPy processes that fire half-way
between periods (fixed periods or a seeded Poisson process). Before each period a renegotiable
contract is reopened when it has stopped being self-enforcing for some government (or, with the
``threshold`` trigger, after a shock moved some R_g by more than ``renegotiation_threshold``);
the renegotiation itself is described in :mod:`negotiator.model.renegotiation`.

Longer than 400 lines: one class, because periods, shocks and renegotiation all read and change the
same terms, games, contract and budget; its sections follow those three. The rules of a move are in
:mod:`negotiator.mediator.rules`, what a government is told in
:mod:`negotiator.mediator.transparency`, the games and their theory in :mod:`negotiator.model`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import replace
from typing import Any

import simpy

from negotiator.config import Config, ShockSpec
from negotiator.io.messages import ComplianceRequest, RotationEvent, StageGameEvent, StrategySpec
from negotiator.mediator import rules
from negotiator.mediator.channel import Channel, Host
from negotiator.mediator.planning import Plan
from negotiator.mediator.transparency import Transparency
from negotiator.model.contract import Setting, cash_flows
from negotiator.model.domain import Outcome
from negotiator.model.game import Dilemma, Terms, contract_terms, stage_games, views
from negotiator.model.renegotiation import (
    admissible,
    breakdown_values,
    cash_tables,
    propose,
    reopen,
    troubled,
)
from negotiator.model.stagegame import NO_CONTRACT, StageGame
from negotiator.model.theory import delta_star, sustainable
from negotiator.protocols import InvalidAction
from negotiator.protocols.compliance import ComplianceGame, ComplianceState, PeriodResult
from negotiator.seeding import rng_for


class ImplementationPhase:
    """The state and I/O of phase 2 for one run."""

    def __init__(
        self, host: Host, channel: Channel, contract: Outcome | None, plan: Plan | None
    ) -> None:
        config = host.config
        assert config.implementation is not None
        self.host = host
        self.channel = channel
        self.log = channel.log
        self.plan = plan
        self.config = config
        self.impl = config.implementation
        self.parties = host.parties
        self.contract = contract
        self.contract_at_start = contract
        self.surplus_factor = 1.0
        self.setting: Setting | None = host.setting
        self.lam = {p: config.parties[p].promotion for p in self.parties}
        self.strategies = {p: config.parties[p].compliance for p in self.parties}
        self.terms: Terms = self._with_superior(contract_terms(config, self.setting, contract))
        self.games: dict[str, Dilemma] = stage_games(config, self.setting, contract)
        self.engine = ComplianceGame(
            self.parties, config.run.seed, self.impl.noise, self.impl.discount, self.impl.tremble
        )
        self.state: ComplianceState = self.engine.initial(self.terms.budget)
        self.results: list[PeriodResult] = []
        self.thresholds: dict[str, float] = {}
        self.sustainable: dict[str, bool] = {}
        self.theory: list[dict[str, Any]] = []
        """δ* per government at signing and after each change of terms."""
        self.pending_incidents: dict[str, float] = {}
        self.renegotiate_next = False
        self.renegotiations: list[dict[str, Any]] = []
        self.transfers: dict[str, float] = {}
        """Side payments per period a renegotiation added to the contract."""
        self._judged: dict[tuple[Outcome, tuple[tuple[str, float], ...]], Any] = {}
        self.acknowledged: frozenset[str] = frozenset()
        """Governments for which the contract was known not to be self-enforcing when it was
        signed or last renegotiated (a reopening needs another one)."""
        self.forfeits = dict.fromkeys(self.parties, 0)
        self.transparency = Transparency(config.mediator.transparency)
        self.signing_gain = 0.0
        """The contract's total cash gain over stand-alone output at signing (sets the pot)."""
        if contract is not None and self.setting is not None and config.negotiates:
            flows = cash_flows(config, self.setting, contract)
            self.signing_gain = max(math.fsum(f.value - f.base for f in flows.values()), 0.0)

    def reconfigure(self, config: Config, now: float) -> None:
        """A branch changed the config: the new terms, games, λ and transparency apply from
        now on (the subsidy budget already spent stays spent)."""
        assert config.implementation is not None
        self.config = config
        self.impl = config.implementation
        self.transparency = Transparency(config.mediator.transparency)
        self.lam = {p: config.parties[p].promotion for p in self.parties}
        budget = self.state.budget_left
        terms = self._with_superior(contract_terms(config, self.setting, self.contract))
        self.terms = replace(terms, budget=budget)
        self.games = self._games_now()
        self._announce_terms(now, "terms")

    def _with_superior(self, terms: Terms) -> Terms:
        """The superior's committed subsidy and budget (plan_and_subsidy) replace the config's."""
        plan = self.plan
        if plan is None or not terms.in_force or plan.guidance != "plan_and_subsidy":
            return terms
        return replace(terms, subsidy=plan.subsidy, budget=plan.budget)

    # -- the process ---------------------------------------------------------------------------

    def process(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        t0 = env.now
        self._announce_terms(env.now, "implementation_start")
        self.acknowledged = self._troubled()
        for index, spec in enumerate(self.impl.shocks):
            env.process(self._shock(env, index, spec, t0))
        for period in range(1, self.impl.periods + 1):
            yield env.timeout(1)
            self.host.checkpoint(2, period, env.now)
            if self._reopen(period, env.now):
                self._renegotiate(period, env.now)
            self._period(period, env.now)
        self.log.emit(
            "implementation_end",
            periods=self.impl.periods,
            state=self.state.digest(),
            cumulative=self.state.cumulative,
            discounted=self.state.discounted,
            t=env.now,
        )

    def _announce_terms(self, now: float, event: str, fresh_start: bool = False) -> None:
        """Log the game and terms in force, with the theory's threshold δ* of every government
        (computed from the very stage game it is told), and tell each government its own."""
        seen = self.views()
        delta = self.impl.discount
        self.thresholds = {p: delta_star(v) for p, v in seen.items()}
        self.sustainable = {p: sustainable(v, delta) for p, v in seen.items()}
        self.theory.append(
            {
                "period": self.state.period + 1,
                "reason": event,
                "delta_star": dict(self.thresholds),
                "sustainable": dict(self.sustainable),
            }
        )
        self.log.emit(
            event,
            contract_in_force=self.terms.in_force,
            terms={
                "detection": self.terms.detection,
                "penalty": self.terms.penalty,
                "subsidy": self.terms.subsidy,
                "budget_left": self.state.budget_left,
                "renegotiable": self.terms.renegotiable,
                "reputation": self.terms.reputation,
                "graduated": self.terms.graduated,
            },
            games={p: g.as_dict() for p, g in self.games.items()},
            thresholds=self.thresholds,
            sustainable=self.sustainable,
            surplus_factor=self.surplus_factor,
            t=now,
        )
        for p in self.parties:
            self.tell_terms(p, fresh_start)
        self.log.flush()

    def tell_terms(self, party: str, fresh_start: bool = False) -> None:
        """Send ``party`` its stage game and the terms in force (also to a rejoined agent).
        ``fresh_start``: a new contract begins and past conduct is forgiven."""
        event = StageGameEvent(self.stage_game(party), self.impl.periods, fresh_start)
        self.channel.send(party, event)

    def stage_game(self, party: str) -> StageGame:
        """What ``party`` is told of its game now (:func:`negotiator.model.game.views`)."""
        return self.views()[party]

    def views(
        self,
        games: dict[str, Dilemma] | None = None,
        terms: Terms | None = None,
        lam: dict[str, float] | None = None,
    ) -> dict[str, StageGame]:
        """Every government's view of its game now, or under other ``games`` and ``terms``."""
        return views(
            games if games is not None else self.games,
            terms if terms is not None else self.terms,
            lam if lam is not None else self.lam,
            offences=self.state.offences,
            budget_left=self.state.budget_left,
            periods_left=self.impl.periods - self.state.period,
            noise=self.impl.noise,
            published=self.transparency.publishes_detections,
            discount=self.impl.discount,
        )

    # -- one period ----------------------------------------------------------------------------

    def _period(self, period: int, now: float) -> None:
        started = time.monotonic()
        moves, chosen = self._collect(period, now)
        incidents, self.pending_incidents = self.pending_incidents, {}
        self.state, result, events = self.engine.play(
            self.state, moves, self.games, self.terms, self.lam, incidents, chosen
        )
        self.results.append(result)
        for event in events:
            self.log.emit(event.kind, t=now, **event.data)
        self.log.emit(
            "period_end",
            period=period,
            t=now,
            state=self.state.digest(),
            wall_ms=round((time.monotonic() - started) * 1000, 3),
        )
        terms = self.terms.enforced()
        money = (
            {p: terms.fine(self.state.offences.get(p, 0)) for p in self.parties},
            self.state.budget_left if terms.subsidy > 0 else None,
        )
        for p in self.parties:
            self.channel.send(p, self.transparency.period_report(p, result, *money), period)
        self.log.flush_later()

    def _collect(self, period: int, now: float) -> tuple[dict[str, str], frozenset[str]]:
        """Ask every government for its move; wait for all (or the deadline). Returns the
        moves and who chose theirs (a forfeit counts as D and does not tremble)."""
        present = [p for p in self.parties if p not in self.channel.absent]
        self.log.emit("request", kind="compliance", period=period, parties=present, t=now)
        self.channel.send_all(present, ComplianceRequest(period), period)
        moves: dict[str, str] = {}
        for sender, msg in self.channel.actions(
            self.impl.decision_timeout, lambda: len(moves) < len(present)
        ):
            taken = sender in moves or sender in self.channel.absent
            try:
                moves[sender] = rules.move(msg.body, sender, period, taken)
            except InvalidAction as exc:
                code = "stale" if isinstance(exc, rules.Stale) else "invalid_action"
                self.channel.reject(
                    sender, code, str(exc), period, period, body=msg.body, sent_round=msg.round
                )
                continue
            self.channel.accepted(sender)
        chosen = frozenset(moves)
        for p in self.parties:
            if p not in moves:  # silent or gone: treated as not complying
                self.forfeits[p] += 1
                reason = rules.forfeit_reason(p, self.channel.absent)
                self.log.emit("forfeit", party=p, period=period, reason=reason, t=now)
                if reason == "silent" and self.channel.is_lost(p):
                    self.channel.mark_absent(p, now)
                moves[p] = "D"
        return {p: moves[p] for p in self.parties}, chosen

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
            self.log.emit("shock", **event)
            threshold = self.impl.renegotiation_trigger == "threshold"
            reopenable = self.terms.renegotiable and self.impl.payoffs is None
            if threshold and reopenable and change > self.impl.renegotiation_threshold:
                self.renegotiate_next = True
                self.log.emit(
                    "renegotiation_triggered",
                    period=period,
                    trigger="threshold",
                    change=change,
                    t=now,
                )
            self._announce_terms(now, "terms")
            return
        event["government"] = target
        if spec.kind == "rotation":
            if spec.promotion is not None:
                self.lam[target] = spec.promotion
            if spec.compliance is not None:
                self.strategies[target] = spec.compliance
            event |= {"promotion": self.lam[target], "compliance": self.strategies[target]}
            self.log.emit("shock", **event)
            told = StrategySpec(self.strategies[target]) if spec.compliance is not None else None
            self.channel.send(target, RotationEvent(told, self.stage_game(target)))
            if spec.promotion is not None:  # λ enters the theory: δ* is recomputed
                self._announce_terms(now, "terms")
            return
        mitigation = 0.0
        if self.terms.in_force and self.terms.env_level is not None:
            mitigation = self.impl.incident_mitigation[self.terms.env_level]
        cost = spec.damage * (1.0 - mitigation)
        self.pending_incidents[target] = self.pending_incidents.get(target, 0.0) + cost
        self.log.emit("shock", **event, damage=spec.damage, mitigation=mitigation, cost=cost)

    def _games_now(self) -> dict[str, Dilemma]:
        return stage_games(
            self.config, self.setting, self.contract, self.surplus_factor, self.transfers
        )

    # -- renegotiation -------------------------------------------------------------------------

    def _breakdown(self) -> dict[str, float]:
        """What each government expects per period if the contract collapses."""
        assert self.setting is not None
        games = stage_games(self.config, self.setting, None, self.surplus_factor)
        return breakdown_values(self.views(games, NO_CONTRACT), self.impl.discount)

    def _troubled(self) -> frozenset[str]:
        if self.contract is None or self.setting is None or not self.config.negotiates:
            return frozenset()
        return troubled(self.views(), self.impl.discount, self._breakdown())

    def _reopen(self, period: int, now: float) -> bool:
        """Whether the contract is reopened before ``period`` (module docstring). With payoffs
        given in the config no contract changes the games: nothing is reopened."""
        if self.impl.payoffs is not None:
            self.renegotiate_next = False
            return False
        if self.impl.renegotiation_trigger == "threshold":
            due, self.renegotiate_next = self.renegotiate_next, False
            return due
        if not self.terms.renegotiable or self.contract is None or self.setting is None:
            return False
        now_troubled = self._troubled()
        newly = now_troubled - self.acknowledged
        self.acknowledged &= now_troubled  # who recovered may trouble the contract again
        if not newly:
            return False
        seen = self.views()
        breakdown = self._breakdown()
        self.log.emit(
            "renegotiation_triggered",
            period=period,
            trigger="self_enforcing",
            governments=sorted(newly),
            delta_star={p: delta_star(seen[p]) for p in sorted(newly)},
            value={p: seen[p].R for p in sorted(newly)},
            breakdown={p: breakdown[p] for p in sorted(newly)},
            t=now,
        )
        return True

    def _judge(self, contract: Outcome, transfers: dict[str, float]) -> dict[str, StageGame]:
        """Every government's view of its game under a candidate contract, from now on (kept
        for the rest of the renegotiation: its votes revisit candidates)."""
        assert self.setting is not None
        key = (tuple(contract), tuple(sorted(transfers.items())))
        seen = self._judged.get(key)
        if seen is None:
            games = stage_games(self.config, self.setting, contract, self.surplus_factor, transfers)
            terms = self._with_superior(contract_terms(self.config, self.setting, contract))
            seen = self._judged[key] = self.views(games, terms)
        return seen

    def _renegotiate(self, period: int, now: float) -> None:
        """Reopen the contract from the disagreement point (:mod:`negotiator.model.renegotiation`):
        the breakdown values when the contract has stopped being self-enforcing for someone (a
        rejection means its collapse), the status quo's values when it has not (a threshold trigger:
        a rejection leaves it standing); the mediator's proposal, the governments' votes on
        admissible package moves, ratification against the disagreement values. A new agreement
        replaces the contract from this period on."""
        assert self.setting is not None and self.contract is not None
        config, impl, delta = self.config, self.impl, self.impl.discount
        self._judged = {}
        breakdown = self._breakdown()
        seen = self.views()
        if troubled(seen, delta, breakdown):  # rejecting leads to the contract's collapse
            point, reservation = "breakdown", breakdown
        else:  # the status quo stands if the renegotiation fails (a threshold trigger)
            point, reservation = "status_quo", {p: g.R for p, g in seen.items()}
        tables, offsets = cash_tables(config, self.setting, self.surplus_factor)
        pot = impl.transfer_pot * self.signing_gain
        reopened = reopen(self.setting, tables, offsets, reservation, pot, impl.transfer_steps)
        status_quo = reopened.join(self.contract, self.transfers)
        proposal = propose(reopened, self.contract, self._judge, delta, self.transfers)
        domain = reopened.domain
        self.log.emit(
            "renegotiation_start",
            period=period,
            breakdown=breakdown,
            disagreement=point,
            reservation=reservation,
            status_quo=domain.decode(status_quo),
            transfer_pot=pot,
            proposal=domain.decode(proposal) if proposal is not None else None,
            t=now,
        )
        new: Outcome | None = None
        if proposal is not None:

            def check(outcome: Outcome) -> bool:
                return admissible(reopened, outcome, self._judge, delta) is not None

            new = self.host.renegotiate(
                domain,
                reopened.utilities,
                proposal,
                now,
                package=impl.renegotiation_package,
                admissible=check,
            )
        changed = False
        if new is not None:
            contract, transfers = reopened.split(new)
            transfers = {p: v for p, v in transfers.items() if abs(v) > 1e-12}
            changed = contract != self.contract or transfers != self.transfers
            self.contract, self.transfers = contract, transfers
            budget = self.state.budget_left
            self.terms = replace(
                self._with_superior(contract_terms(config, self.setting, contract)), budget=budget
            )
            self.games = self._games_now()
        record = {
            "period": period,
            "status": (
                "no_admissible_contract"
                if proposal is None
                else ("agreed" if new is not None else "no_agreement")
            ),
            "changed": changed,
            "contract": self.setting.domain.decode(self.contract),
            "transfers": dict(self.transfers),
        }
        self.renegotiations.append(record)
        self.log.emit("renegotiation", **record, t=now)
        self._judged = {}
        self._announce_terms(now, "terms", fresh_start=changed and impl.fresh_start)
        self.acknowledged = self._troubled()
