"""Stacked alternating offers (SAOP; Aydoğan et al. 2017) as a pure state machine.

Parties act in a fixed order; a turn is accept / counter-offer / end. An offer is agreed when every
other party has accepted it in a row. One round = every party acts once; after ``deadline`` rounds
the negotiation ends without agreement. A forfeited turn (silent or invalid party) counts as a
rejection: the standing offer stays but its acceptances are cleared.

Discounting: an agreement on an offer tabled at turn τ (0-based, counting every turn) is worth
δ_g^τ · U_g to party g. With two parties one turn is one Rubinstein bargaining period.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from negotiator.model.actions import Accept, EndNegotiation, Forfeit, Offer
from negotiator.model.domain import Domain, Outcome
from negotiator.protocols.base import InvalidAction, ProtocolEvent, state_digest

Status = Literal["open", "agreed", "ended", "deadline"]
SaopAction = Accept | Offer | EndNegotiation | Forfeit


@dataclass(frozen=True)
class SaopState:
    """Where a SAOP negotiation stands."""

    round: int = 1
    turn: int = 0
    position: int = 0
    standing: Outcome | None = None
    proposer: str | None = None
    offer_turn: int | None = None
    accepted_by: frozenset[str] = frozenset()
    status: Status = "open"
    agreement_round: int | None = None

    @property
    def open(self) -> bool:
        return self.status == "open"

    @property
    def agreement(self) -> Outcome | None:
        return self.standing if self.status == "agreed" else None

    def digest(self) -> str:
        return state_digest(
            {
                "round": self.round,
                "turn": self.turn,
                "position": self.position,
                "standing": list(self.standing) if self.standing is not None else None,
                "proposer": self.proposer,
                "offer_turn": self.offer_turn,
                "accepted_by": sorted(self.accepted_by),
                "status": self.status,
            }
        )


class StackedAlternatingOffers:
    """The rules; a state is advanced with :meth:`step`."""

    name = "saop"

    def __init__(self, domain: Domain, order: tuple[str, ...], deadline: int) -> None:
        if len(order) < 2:
            raise ValueError("SAOP needs at least two parties")
        self.domain = domain
        self.order = order
        self.deadline = deadline

    def initial(self, plan: Outcome | None = None, planner: str | None = None) -> SaopState:
        """The start state; a superior's ``plan`` is tabled as the first standing offer."""
        if plan is None:
            return SaopState()
        return SaopState(standing=plan, proposer=planner, offer_turn=0)

    def actor(self, state: SaopState) -> str:
        """The party whose turn it is."""
        return self.order[state.position]

    def check(self, state: SaopState, party: str, action: SaopAction) -> None:
        """Raise :class:`InvalidAction` if ``party`` may not take ``action`` now."""
        if not state.open:
            raise InvalidAction("the negotiation is over")
        if party != self.actor(state):
            raise InvalidAction(f"not your turn: it is {self.actor(state)}'s turn")
        if isinstance(action, Accept):
            if state.standing is None:
                raise InvalidAction("nothing to accept: no offer is on the table yet")
            if state.proposer == party:
                raise InvalidAction("you cannot accept your own offer; table an offer instead")
        if isinstance(action, Offer) and len(action.outcome) != len(self.domain.issues):
            raise InvalidAction("an offer needs a value for every issue")

    def step(
        self, state: SaopState, party: str, action: SaopAction
    ) -> tuple[SaopState, list[ProtocolEvent]]:
        """Apply ``party``'s ``action`` to ``state``; return the new state and what happened."""
        self.check(state, party, action)
        where = {"party": party, "round": state.round, "turn": state.turn}
        events: list[ProtocolEvent] = []
        if isinstance(action, Offer):
            events.append(
                ProtocolEvent("offer", where | {"outcome": self.domain.decode(action.outcome)})
            )
            changes = {
                "standing": action.outcome,
                "proposer": party,
                "offer_turn": state.turn,
                "accepted_by": frozenset(),
            }
            return self._advance(state, events, changes)
        elif isinstance(action, Accept):
            accepted = state.accepted_by | {party}
            state = replace(state, accepted_by=accepted)
            events.append(ProtocolEvent("accept", where | {"proposer": state.proposer}))
            needed = {p for p in self.order if p != state.proposer}
            if accepted >= needed:
                standing = state.standing
                assert standing is not None
                state = replace(state, status="agreed", agreement_round=state.round)
                events.append(
                    ProtocolEvent(
                        "agreement",
                        {
                            "round": state.round,
                            "turn": state.turn,
                            "offer_turn": state.offer_turn,
                            "proposer": state.proposer,
                            "outcome": self.domain.decode(standing),
                        },
                    )
                )
                return state, events
        elif isinstance(action, EndNegotiation):
            events.append(ProtocolEvent("end_negotiation", where))
            return replace(state, status="ended"), events
        else:
            events.append(ProtocolEvent("forfeit", where | {"reason": action.reason}))
            return self._advance(state, events, {"accepted_by": frozenset()})
        return self._advance(state, events, {})

    def _advance(
        self, state: SaopState, events: list[ProtocolEvent], changes: dict[str, Any]
    ) -> tuple[SaopState, list[ProtocolEvent]]:
        """The next turn, with ``changes`` to the state (one new state object per step)."""
        position = state.position + 1
        rnd = state.round
        if position == len(self.order):
            position, rnd = 0, rnd + 1
        changes |= {"position": position, "round": rnd, "turn": state.turn + 1}
        if rnd > self.deadline:
            changes |= {"status": "deadline", "round": self.deadline}
            events.append(ProtocolEvent("deadline", {"rounds": self.deadline}))
        return replace(state, **changes), events
