"""The one place that decides what each party sees (docs/model.md §8): the welcome and its
negotiation context, SAOP turn requests, phase-1 protocol events, declarations, period reports,
and, from a logged event alone, who saw it (:func:`visible_to`, used by ``replay --until``).

| level | phase 2 report to each government |
| --- | --- |
| private | its own move (as carried out), its realised (noisy) payoff and the money in it: |
| | fines paid and received, subsidy, incident cost |
| public | plus the list of detected defectors (a public signal) |
| audited | as public (audited declarations and the detection boost arrive with the superior) |

Under ``private`` a government can still infer how many others defected from its own payoff and
the fines it received (docs/model.md §6: imperfect private monitoring, not blindness). Agents never
receive another party's utility, reservation value or payoff.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

from negotiator.config import Config
from negotiator.io.messages import (
    AcceptEvent,
    DeclarationsEvent,
    DeclarationSpec,
    Event,
    GovernmentWelcome,
    NegotiationContext,
    OfferEvent,
    PeriodReport,
    SaopTurnRequest,
    StrategySpec,
    SuperiorSpec,
    SuperiorWelcome,
    VotesEvent,
    Welcome,
)
from negotiator.model.domain import Domain, Utility
from negotiator.protocols.base import ProtocolEvent
from negotiator.protocols.compliance import PeriodResult
from negotiator.protocols.saop import SaopState

Level = Literal["private", "public", "audited"]


def welcome(config: Config, party: str, negotiation: NegotiationContext | None) -> Welcome:
    """The welcome ``party`` receives when it joins or rejoins: its own role, the public order
    of the governments, the seed and its own strategies; a government also gets its private
    ``negotiation`` context (:func:`negotiation_context`), if there is phase 1."""
    order = tuple(config.party_names)
    if party == config.superior_name:
        spec = config.superior
        assert spec is not None
        superior = SuperiorSpec(spec.guidance, spec.cofunding, spec.subsidy, spec.budget)
        return SuperiorWelcome(party, order, config.run.seed, superior)
    own = config.parties[party]
    return GovernmentWelcome(
        party=party,
        order=order,
        seed=config.run.seed,
        negotiation=negotiation,
        compliance=StrategySpec(own.compliance, dict(own.compliance_params)),
        declaration=DeclarationSpec(own.declaration, own.exaggeration),
    )


def negotiation_context(
    config: Config, party: str, domain: Domain, utility: Utility, session: int
) -> NegotiationContext:
    """A government's private negotiation context: its own utility and the public rules only
    (every government's discount factor is public)."""
    spec = config.parties[party]
    return NegotiationContext(
        domain=domain,
        utility=utility,
        protocol=config.negotiation.protocol,
        deadline=config.negotiation.deadline,
        discounts={p: config.parties[p].discount for p in config.party_names},
        strategy=StrategySpec(spec.strategy, dict(spec.params)),
        session=session,
    )


class Transparency:
    """Builds the observation messages of one run's transparency level."""

    def __init__(self, level: Level) -> None:
        self.level = level

    @property
    def publishes_detections(self) -> bool:
        return self.level in ("public", "audited")

    @property
    def publishes_offers(self) -> bool:
        """Phase 1: every offer and vote, with its author, goes to every government."""
        return self.level in ("public", "audited")

    def declarations(
        self, claimed: dict[str, dict[str, float]], verified: dict[str, dict[str, float]]
    ) -> DeclarationsEvent | None:
        """The ``declarations`` event every government receives before phase 1: the verified
        figures under ``audited``, the claims as made under ``public``, nothing under
        ``private``."""
        if self.level == "private":
            return None
        published = verified if self.level == "audited" else claimed
        return DeclarationsEvent(verified=self.level == "audited", resources=published)

    def turn_request(
        self, domain: Domain, state: SaopState, party: str, deadline: int, session: int
    ) -> SaopTurnRequest:
        """The SAOP request asking ``party`` to act: the standing offer, and who proposed it
        where offers are published (else only whether it is ``party``'s own)."""
        standing = domain.decode(state.standing) if state.standing is not None else None
        if self.publishes_offers:
            return SaopTurnRequest(
                session, state.round, state.turn, deadline, standing, proposer=state.proposer
            )
        # not who proposed it, only whether it is the recipient's own offer
        own = state.standing is not None and state.proposer == party
        return SaopTurnRequest(session, state.round, state.turn, deadline, standing, own_offer=own)

    def protocol_event(
        self, event: ProtocolEvent, parties: tuple[str, ...]
    ) -> tuple[list[str], Event | None]:
        """The event message a phase-1 protocol event produces: its recipients (none if it is
        not shown) and its body, the same for every recipient."""
        if not self.publishes_offers:
            return [], None
        data = event.data
        others = [p for p in parties if p != data.get("party")]
        if event.kind == "offer":
            offer = OfferEvent(data["party"], data["round"], data["turn"], data["outcome"])
            return others, offer
        if event.kind == "accept":
            return others, AcceptEvent(data["party"], data["round"], data["turn"])
        if event.kind == "votes":
            votes = VotesEvent(data["round"], data["votes"], data["accepted"])
            return list(parties), votes
        return [], None

    def period_report(
        self,
        party: str,
        result: PeriodResult,
        fines: dict[str, float] | None = None,
        budget_left: float | None = None,
    ) -> PeriodReport:
        """The ``period_report`` event ``party`` receives after a period. ``fines``: each
        government's fine for its next detected offence (graduated sanctions); a government is
        told its own, and, where detections are published (and so everyone's record of
        offences), the mean of the others' and the subsidy budget left."""
        report = PeriodReport(
            period=result.period,
            my_move="C" if result.moves[party] == "C" else "D",
            payoff=result.payoffs[party],
            fines_paid=result.fines_paid[party],
            fines_received=result.fines_received[party],
            subsidy=result.subsidies[party],
            incident_cost=result.incident_costs[party],
            next_fine=fines[party] if fines is not None else None,
        )
        if not self.publishes_detections:
            return report
        peer_fine = None
        if fines is not None and len(fines) > 1:
            others = [f for p, f in fines.items() if p != party]
            peer_fine = math.fsum(others) / len(others)
        return replace(
            report, detected=tuple(result.detected), peer_fine=peer_fine, budget_left=budget_left
        )


#: Logged events whose ``party`` made them or is their subject: it knows of them whatever it is
#: sent (an action, a declaration, a silence, an error, its own join or return).
_AUTHORED = frozenset(
    {
        "offer",
        "accept",
        "end_negotiation",
        "forfeit",
        "invalid_action",
        "stale_action",
        "declaration",
        "misreport_detected",
        "agent_error",
        "agent_joined",
        "agent_rejoined",
        "rejoin_failed",
    }
)

#: Logged events every government is sent a message about at every level: the end of a
#: negotiation, its report of each period (its own part; the detected defectors too where
#: detections are published) and its stage game whenever the terms are (re)announced.
_TO_EVERY_GOVERNMENT = frozenset({"negotiation_end", "period", "implementation_start", "terms"})


def visible_to(event: Mapping[str, Any], parties: Sequence[str], level: Level) -> frozenset[str]:
    """The parties that saw a logged ``event`` of a run with governments ``parties`` under
    transparency ``level``: those the mediator sent a message reporting it, and its author.

    This follows the sends of the mediator (:class:`Transparency`, ``mediator/planning.py``,
    ``mediator/coordinator.py``, ``mediator/implementation.py``) event kind by event kind:

    * a ``request`` reaches the party or parties it names (the superior for ``plan``);
    * offers and acceptances (SAOP) and the votes on a single text reach every government
      where offers are published (``public``, ``audited``); under ``private`` an offer reaches
      the others only as the standing offer of their next turn (that ``request``, which does not
      say whose offer it is) and each voter knows only its own vote;
    * a ``declaration`` reaches every government where declarations are published (under
      ``audited`` as verified: a misreport is corrected before it is sent), its author only
      under ``private``; a ``misreport_detected`` is told to no one;
    * ``negotiation_end``, each ``period`` (each government its own report), and
      ``implementation_start`` and ``terms`` (each government its own stage game) reach every
      government at every level; so does ``renegotiation_start`` when a proposal is put to a
      vote (the reopened context);
    * a ``rotation`` shock reaches the government rotated; a refused message answered with an
      ``error`` (``rejected_message`` with a ``reply``) reaches its sender; a join or rejoin
      (``agent_joined``, ``agent_rejoined``, ``rejoin_failed``) reaches the party welcomed;
    * what the mediator only logs (the superior's ``plan`` as decided, a ratification's votes,
      an agreement, a text, a renegotiation's result, the other shocks, ...) is seen by its
      author alone, if it has one: what follows from it reaches the parties in another event
      (an agreement in ``negotiation_end``, new terms in ``terms``).

    The mediator itself sees every event; it is not a party and is not in the result."""
    kind = event.get("event")
    party = event.get("party")
    author = frozenset({party}) if kind in _AUTHORED and isinstance(party, str) else frozenset()
    published = Transparency(level).publishes_offers
    if kind == "request":
        return frozenset({party}) if isinstance(party, str) else frozenset(event["parties"])
    if kind in ("offer", "accept") and event.get("turn", -1) >= 0 and published:
        return frozenset(parties)
    if kind == "votes":
        return frozenset(parties) if published else frozenset(event["votes"])
    if kind == "ratify_votes":
        return frozenset(event["votes"])
    if kind == "declaration" and published:
        return frozenset(parties)
    if kind == "plan":
        return frozenset({event["superior"]})
    if kind in _TO_EVERY_GOVERNMENT:
        return frozenset(parties)
    if kind == "renegotiation_start":
        return frozenset(parties) if event.get("proposal") is not None else frozenset()
    if kind == "shock" and event.get("kind") == "rotation":
        return frozenset({event["government"]})
    if kind == "rejected_message" and isinstance(party, str) and "reply" in event:
        return frozenset({party})
    return author
