"""The mediated single-text protocol (Klein, Faratin, Sayama & Bar-Yam 2003) as a pure state
machine.

The mediator holds one text (a complete contract). Each round it proposes a mutation of the text;
every party votes; a unanimously accepted mutation becomes the text. The rounds stop at the
deadline or after ``stall`` rounds without an accepted mutation; then the text is put to
ratification, and each party accepts iff it beats its reservation value. Agreement = unanimous
ratification.

Mutation operator (seeded by run seed, session and round, so replay needs no RNG state): pick an
issue uniformly among those with more than one option (a renegotiation with ``package`` = m > 1
picks a number of issues uniformly in 1..m, then that many distinct issues); then
* share issue: pick an ordered pair (giver, receiver) uniformly among the pairs whose giver holds at
  least one grid unit, and move one grid unit from giver to receiver;
* ordinal issue: move one level up or down (uniformly among the levels that exist);
* categorical or boolean issue: pick another value uniformly.

A renegotiation may also restrict mutations to ``admissible`` texts (self-enforcing contracts):
the operator draws again, up to :data:`ATTEMPTS` times, and if none of its draws is admissible
the proposal is the text itself (a round without a change).

Neutral start text (when nobody tables a plan): every share issue split as equally as the grid
allows (left-over units to the first parties), ordinal issues at the middle level (the lower one of
two middles), categorical issues at their first value, boolean issues false.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from negotiator.model.domain import Domain, Issue, Outcome
from negotiator.protocols.base import InvalidAction, ProtocolEvent, state_digest
from negotiator.seeding import rng_for

Status = Literal["voting", "ratifying", "agreed", "rejected"]
#: Draws of the mutation operator before a round without an admissible mutation gives up.
ATTEMPTS = 50


@dataclass(frozen=True)
class SingleTextState:
    """Where a single-text negotiation stands. ``proposal`` is the mutation up for vote."""

    round: int
    text: Outcome
    proposal: Outcome | None
    stall: int = 0
    accepted: int = 0
    status: Status = "voting"
    agreement_round: int | None = None

    @property
    def open(self) -> bool:
        return self.status in ("voting", "ratifying")

    @property
    def agreement(self) -> Outcome | None:
        return self.text if self.status == "agreed" else None

    @cached_property
    def text_id(self) -> str:
        """Identifies the text and proposal a vote is about (stale votes are rejected)."""
        return state_digest(
            {"round": self.round, "text": list(self.text), "proposal": list(self.proposal or ())}
        )[:16]

    def digest(self) -> str:
        return state_digest(
            {
                "round": self.round,
                "text": list(self.text),
                "proposal": list(self.proposal) if self.proposal is not None else None,
                "stall": self.stall,
                "accepted": self.accepted,
                "status": self.status,
            }
        )


def neutral_text(domain: Domain) -> Outcome:
    """The start text when nobody tables a plan (see the module docstring)."""
    options = []
    for issue in domain.issues:
        if issue.kind == "share":
            n = len(issue.parties)
            base, extra = divmod(issue.units, n)
            split = tuple(base + (1 if i < extra else 0) for i in range(n))
            options.append(issue.grid.index(split))
        elif issue.kind == "ordinal":
            options.append((issue.size - 1) // 2)
        else:
            options.append(0)
    return tuple(options)


def mutate(issue: Issue, option: int, rng: object) -> int:
    """One random neighbour of ``option`` on ``issue`` (see the module docstring)."""
    import random

    assert isinstance(rng, random.Random)
    if issue.kind == "share":
        units = issue.grid[option]
        pairs = [
            (i, j) for i in range(len(units)) for j in range(len(units)) if i != j and units[i] > 0
        ]
        i, j = pairs[rng.randrange(len(pairs))]
        moved = list(units)
        moved[i] -= 1
        moved[j] += 1
        return issue.option_of(tuple(moved))
    if issue.kind == "ordinal":
        steps = [s for s in (-1, 1) if 0 <= option + s < issue.size]
        return option + steps[rng.randrange(len(steps))]
    others = [k for k in range(issue.size) if k != option]
    return others[rng.randrange(len(others))]


class SingleTextProtocol:
    """The rules; advance a state with :meth:`propose`, :meth:`vote` and :meth:`ratify`."""

    name = "single_text"

    def __init__(
        self,
        domain: Domain,
        parties: tuple[str, ...],
        deadline: int,
        stall: int,
        seed: int,
        session: int = 0,
        *,
        package: int = 1,
        admissible: Callable[[Outcome], bool] | None = None,
    ) -> None:
        self.domain = domain
        self.parties = parties
        self.deadline = deadline
        self.stall_limit = stall
        self.seed = seed
        self.session = session
        self.package = package
        self.admissible = admissible
        self.mutable = [k for k, issue in enumerate(domain.issues) if issue.size > 1]
        if not self.mutable:
            raise ValueError("single text needs an issue with more than one option")

    def initial(self, text: Outcome | None = None) -> SingleTextState:
        start = text if text is not None else neutral_text(self.domain)
        return self.propose(SingleTextState(round=1, text=start, proposal=None))

    def propose(self, state: SingleTextState) -> SingleTextState:
        """Draw the round's mutation of the text."""
        rng = rng_for(self.seed, "mutation", str(self.session), str(state.round))
        for _ in range(ATTEMPTS if self.admissible is not None else 1):
            if self.package <= 1:
                picked = [self.mutable[rng.randrange(len(self.mutable))]]
            else:
                size = 1 + rng.randrange(min(self.package, len(self.mutable)))
                picked = rng.sample(self.mutable, size)
            proposal = list(state.text)
            for k in picked:
                proposal[k] = mutate(self.domain.issues[k], state.text[k], rng)
            if self.admissible is None or self.admissible(tuple(proposal)):
                return replace(state, proposal=tuple(proposal))
        return replace(state, proposal=state.text)

    def vote(
        self, state: SingleTextState, votes: dict[str, bool]
    ) -> tuple[SingleTextState, list[ProtocolEvent]]:
        """Apply a round's votes (every party; a missing vote is a rejection)."""
        if state.status != "voting" or state.proposal is None:
            raise InvalidAction("no mutation is up for vote")
        ordered = {p: bool(votes.get(p, False)) for p in self.parties}
        # a round whose proposal is the text itself (no admissible mutation found) changes nothing
        accepted = all(ordered.values()) and state.proposal != state.text
        events = [
            ProtocolEvent(
                "votes",
                {
                    "round": state.round,
                    "proposal": self.domain.decode(state.proposal),
                    "votes": ordered,
                    "accepted": accepted,
                },
            )
        ]
        if accepted:
            state = replace(state, text=state.proposal, stall=0, accepted=state.accepted + 1)
        else:
            state = replace(state, stall=state.stall + 1)
        if state.round >= self.deadline or state.stall >= self.stall_limit:
            reason = "deadline" if state.round >= self.deadline else "stall"
            events.append(
                ProtocolEvent(
                    "ratification",
                    {
                        "round": state.round,
                        "reason": reason,
                        "text": self.domain.decode(state.text),
                    },
                )
            )
            return replace(state, proposal=None, status="ratifying"), events
        return self.propose(replace(state, round=state.round + 1)), events

    def ratify(
        self, state: SingleTextState, votes: dict[str, bool]
    ) -> tuple[SingleTextState, list[ProtocolEvent]]:
        """Apply the ratification votes: agreement iff every party accepts the text."""
        if state.status != "ratifying":
            raise InvalidAction("the text is not up for ratification")
        ordered = {p: bool(votes.get(p, False)) for p in self.parties}
        agreed = all(ordered.values())
        status: Status = "agreed" if agreed else "rejected"
        state = replace(state, status=status, agreement_round=state.round if agreed else None)
        events = [ProtocolEvent("ratify_votes", {"round": state.round, "votes": ordered})]
        if agreed:
            events.append(
                ProtocolEvent(
                    "agreement", {"round": state.round, "outcome": self.domain.decode(state.text)}
                )
            )
        return state, events
