"""The mediator's coordinator: one run's SimPy clock, from the join to the end of phase 2.

It owns the clock and the order of things and nothing else: the connections are a
:class:`~negotiator.mediator.session.Session`, the rules are in :mod:`negotiator.mediator.rules`,
what each party sees is decided by :mod:`negotiator.mediator.transparency`, and the phases are
drivers of their own (:mod:`~negotiator.mediator.planning` before phase 1,
:mod:`~negotiator.mediator.negotiation` for phase 1 and renegotiations,
:mod:`~negotiator.mediator.implementation` for phase 2). Each round of phase 1 and each period of
phase 2 is a SimPy timeout of one time unit, so simulated time never depends on the wall clock;
inside a turn the mediator waits for the acting party until a wall-clock deadline
(``negotiation.turn_timeout``). Before every round and period the coordinator's
:meth:`~Mediator.checkpoint` welcomes restarted agents back and applies a replay's branch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import Any

import simpy

from negotiator.config import Config
from negotiator.io.bus import Bus
from negotiator.io.eventlog import EventLog
from negotiator.io.messages import (
    NegotiationContext,
    RenegotiationEvent,
    Welcome,
)
from negotiator.mediator import joining
from negotiator.mediator import transparency as views
from negotiator.mediator.implementation import ImplementationPhase
from negotiator.mediator.negotiation import Mechanism, Record, Saop, SingleText
from negotiator.mediator.planning import (
    Declarations,
    Plan,
    ask_superior,
    collect_declarations,
    planning_brief,
)
from negotiator.mediator.session import Session
from negotiator.mediator.transparency import Transparency
from negotiator.model.contract import Setting
from negotiator.model.domain import Domain, Outcome, Utility
from negotiator.protocols import SaopState
from negotiator.protocols.single_text import SingleTextState


@dataclass
class NegotiationResult:
    """What phase 1 produced, for the summary."""

    state: SaopState | SingleTextState
    """The final protocol state."""
    agreement: Outcome | None
    rounds: int
    discount_exponent: int | None
    """Periods of discounting of the agreement (SAOP: the offer's turn; single text: round − 1)."""
    last_change_round: int
    """Single text: the round whose accepted mutation gave the final text (0: the start text)."""
    invalid_actions: dict[str, int]
    forfeits: dict[str, int]
    rejected_messages: int
    auth_refused: int
    pids: dict[str, int]


@dataclass
class Branch:
    """A what-if: from after ``step`` of ``phase`` on, the run goes on under ``config``
    (set by ``replay --branch``; ``go_live`` hands the agents' decisions back to them)."""

    phase: int
    step: int
    config: Config
    overrides: list[str]
    go_live: Callable[[], None]
    applied: bool = False

    def due(self, phase: int, step: int) -> bool:
        if self.applied:
            return False
        return phase > self.phase or (phase == self.phase and step > self.step)


class Mediator:
    """Runs one run (phase 1, then phase 2 if configured) over a bound :class:`Bus`."""

    def __init__(
        self,
        config: Config,
        setting: Setting | None,
        socket: Bus,
        log: EventLog,
        *,
        join_timeout: float = 30.0,
        run_id: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.setting = setting
        self.log = log
        self.parties = tuple(config.party_names)
        self.superior = config.superior_name
        self.participants = self.parties + ((self.superior,) if self.superior else ())
        self.channel = Session(
            config,
            socket,
            log,
            self.participants,
            join_timeout=join_timeout,
            run_id=run_id,
            clock=clock,
        )
        self.channel.tally.forfeits = dict.fromkeys(self.parties, 0)
        self.transparency = Transparency(config.mediator.transparency)
        self.plan: Plan | None = None
        self.declarations: Declarations | None = None
        self.session = 0
        """Negotiation session: 0 for phase 1, k for the k-th renegotiation."""
        self.record = Record()
        self.agreement: Outcome | None = None
        self.discount_exponent: int | None = None
        self.implementation: ImplementationPhase | None = None
        self.branch: Branch | None = None
        self.reopened: dict[str, NegotiationContext] = {}
        """Each government's context in the latest renegotiation (none before the first)."""

    @property
    def absent(self) -> set[str]:
        """Parties gone or expelled."""
        return self.channel.absent

    @property
    def result(self) -> NegotiationResult:
        record, tally = self.record, self.channel.tally
        return NegotiationResult(
            state=record.state,
            agreement=self.agreement,
            rounds=record.rounds,
            discount_exponent=self.discount_exponent,
            last_change_round=record.last_change_round,
            invalid_actions=tally.invalid_actions,
            forfeits=tally.forfeits,
            rejected_messages=tally.rejected_messages,
            auth_refused=tally.auth_refused,
            pids=tally.pids,
        )

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> NegotiationResult:
        """Join, then run both phases on one SimPy clock, then tell everyone it is over."""
        joining.join(self.channel, self.welcome)
        env = simpy.Environment()
        env.process(self._main(env))
        env.run()
        self.channel.end()
        return self.result

    def _main(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        if self.config.negotiates:
            assert self.setting is not None
            self._prepare(env.now)
            start = self.plan.text if self.plan is not None else None
            mechanism = self._mechanism(self.setting.domain)
            state = yield from mechanism.run(start, env)
            self.agreement = state.agreement
            if isinstance(state, SaopState):
                self.discount_exponent = state.offer_turn if state.agreement else None
            elif state.agreement_round is not None:
                self.discount_exponent = state.agreement_round - 1
        if self.config.implementation is not None:
            self.implementation = ImplementationPhase(self, self.channel, self.agreement, self.plan)
            yield from self.implementation.process(env)

    def _mechanism(self, domain: Domain) -> Mechanism[Any]:
        """Phase 1's mechanism, as configured (``negotiation.protocol``)."""
        if self.config.negotiation.protocol == "single_text":
            return SingleText(self, self.channel, domain, record=self.record)
        return Saop(self, self.channel, domain, superior=self.superior, record=self.record)

    def _prepare(self, now: float) -> None:
        """Declarations (with a derived domain, if anything uses them) and the superior's plan."""
        config = self.config
        if config.scenario is not None and (
            config.mediator.transparency == "audited" or self.superior is not None
        ):
            self.declarations = collect_declarations(self, self.channel, now)
        if self.superior is not None:
            used = self.declarations.used if self.declarations is not None else None
            brief = planning_brief(config, used)
            based_on = "verified" if config.mediator.transparency == "audited" else "declared"
            self.plan = ask_superior(self, self.channel, brief, based_on if used else "true", now)

    def welcome(self, party: str) -> Welcome:
        """``party``'s welcome under the config in force, with the context of the negotiation it
        takes part in: phase 1's, or once the contract has been reopened, the latest
        renegotiation's (a restarted agent rejoins where the others are)."""
        context = self.reopened.get(party)
        setting = self.setting
        government = party != self.superior
        if context is None and government and self.config.negotiates and setting is not None:
            domain, utility = setting.domain, setting.utilities[party]
            context = views.negotiation_context(self.config, party, domain, utility, self.session)
        return views.welcome(self.config, party, context)

    # -- between rounds ------------------------------------------------------------------------

    def checkpoint(self, phase: int, step: int, now: float) -> None:
        """Called before round ``step`` of phase 1 and before period ``step`` of phase 2: where
        restarted agents rejoin, and where a branch takes effect (first negotiation only)."""
        self._admit_rejoining(phase, step, now)
        branch = self.branch
        if branch is None or (phase == 1 and self.session > 0) or not branch.due(phase, step):
            return
        branch.applied = True
        self.config = self.channel.config = branch.config
        self.transparency = Transparency(branch.config.mediator.transparency)
        self.log.emit(
            "branch_applied",
            phase=branch.phase,
            after=branch.step,
            overrides=branch.overrides,
            t=now,
        )
        if self.implementation is not None:
            self.implementation.reconfigure(branch.config, now)
        branch.go_live()

    def _admit_rejoining(self, phase: int, step: int, now: float) -> None:
        """Welcome again each party whose agent was restarted, with the context it needs from now on
        (:meth:`welcome`; in phase 2 also its stage game), and wait for it to be ready. Its memory
        of earlier rounds is not restored: it resumes from here. Replay takes the rejoins from the
        log (its bus says who rejoined before this point)."""
        pending = joining.rejoiners(self.channel)
        for party in pending:
            hello = joining.rejoin(self.channel, party, self.welcome(party))
            if hello is None:
                self.log.emit("rejoin_failed", party=party, phase=phase, step=step, t=now)
                continue
            self.log.emit(
                "agent_rejoined",
                party=party,
                phase=phase,
                step=step,
                session=self.session,
                pid=hello.pid,
                t=now,
            )
            if phase == 2 and self.implementation is not None:
                self.implementation.tell_terms(party)
        if pending:
            self.log.flush()

    # -- renegotiation -------------------------------------------------------------------------

    def renegotiate(
        self,
        domain: Domain,
        utilities: dict[str, Utility],
        start: Outcome,
        now: float,
        *,
        package: int,
        admissible: Callable[[Outcome], bool],
    ) -> Outcome | None:
        """Reopen the contract (instantly in simulated time): every government gets its new
        context (the reopened domain, its cash utility, its breakdown value as reservation),
        then a mediated single text from ``start`` with mutations of up to ``package`` issues,
        admissible ones only, and ratification. Returns the agreement, if any."""
        self.session += 1
        for party in self.parties:
            context = views.negotiation_context(
                self.config, party, domain, utilities[party], self.session
            )
            self.reopened[party] = context = replace(context, protocol="single_text")
            self.channel.send(party, RenegotiationEvent(context))
        mechanism = SingleText(
            self,
            self.channel,
            domain,
            session=self.session,
            source="mediator",
            package=package,
            admissible=admissible,
        )
        run = mechanism.run(start, None, now)
        try:
            while True:
                next(run)
        except StopIteration as done:
            final: SingleTextState = done.value
        return final.agreement
