"""Helpers for people who test agents and mediators: deliberately faulty strategies.

Name them in a config as ``agents.testing:Silent`` etc. They run in real agent processes, so a
test exercises the mediator's handling of bad parties end to end.
"""

from __future__ import annotations

import dataclasses
import sys

from negotiator.agents.base import AgentContext, NegotiationStrategy, TurnObservation
from negotiator.agents.negotiation import Linear
from negotiator.io.messages import VoteAction
from negotiator.model.actions import Action, RawAction


class Silent(NegotiationStrategy):
    """Never answers: every turn is forfeited after the deadline."""

    name = "silent"

    def respond(self, obs: TurnObservation) -> Action | RawAction | None:
        return None


class InvalidOnce(NegotiationStrategy):
    """Sends an offer whose shares do not sum to one, then, told off, plays ``linear``."""

    name = "invalid_once"

    def __init__(self, ctx: AgentContext, params: object) -> None:
        super().__init__(ctx, params)
        self.inner = Linear(ctx, Linear.Params())

    def respond(self, obs: TurnObservation) -> Action | RawAction | None:
        return RawAction({"kind": "offer", "turn": obs.turn, "outcome": broken_offer(self.ctx)})

    def on_error(self, obs: TurnObservation, message: str) -> Action | RawAction | None:
        return self.inner.respond(obs)


class Crashes(NegotiationStrategy):
    """Plays ``linear`` for two turns, then raises: its agent reports the error to the mediator
    and leaves (exit code 1), so the party becomes absent."""

    name = "crashes"
    healthy_turns = 2

    def __init__(self, ctx: AgentContext, params: object) -> None:
        super().__init__(ctx, params)
        self.inner = Linear(ctx, Linear.Params())
        self.turns = 0

    def respond(self, obs: TurnObservation) -> Action | RawAction | None:
        self.turns += 1
        if self.turns > self.healthy_turns:
            self.fail()
        return self.inner.respond(obs)

    def fail(self) -> None:
        raise RuntimeError("a bug in a strategy")


class Exits(Crashes):
    """Plays ``linear`` for one turn, then calls ``sys.exit``: reported as a failure like any
    other error (in an agent process and in the mediator's process alike, with ``direct``)."""

    name = "exits"
    healthy_turns = 1

    def fail(self) -> None:
        sys.exit(4)


class BrokenAtStart(NegotiationStrategy):
    """Cannot even be built: its agent reports the error when welcomed and leaves, so the run
    ends at the join (``join_failed``)."""

    name = "broken_at_start"

    def __init__(self, ctx: AgentContext, params: object) -> None:
        raise RuntimeError("a strategy that cannot start")

    def respond(self, obs: TurnObservation) -> Action | RawAction | None:  # pragma: no cover
        return None


class AlwaysInvalid(NegotiationStrategy):
    """Answers every turn with an action the protocol rejects (an unknown kind), and every
    error with another invalid action, until the mediator forfeits its turn."""

    name = "always_invalid"

    def respond(self, obs: TurnObservation) -> Action | RawAction | None:
        return RawAction({"kind": "bribe", "turn": obs.turn})

    def on_error(self, obs: TurnObservation, message: str) -> Action | RawAction | None:
        return RawAction({"kind": "offer", "turn": obs.turn, "outcome": {"no_such_issue": 1}})


def broken_offer(ctx: AgentContext) -> dict[str, object]:
    """A wire outcome that is wrong in one place: a share issue summing to 1.2 (or an unknown
    value for the first issue if the domain has no share issue)."""
    domain = ctx.domain
    wire = domain.decode(tuple(0 for _ in domain.issues))
    for issue in domain.issues:
        if issue.kind == "share":
            wire[issue.name] = {p: 1.2 / len(issue.parties) for p in issue.parties}
            return wire
    wire[domain.issues[0].name] = "no-such-value"
    return wire


class StaleVoter(NegotiationStrategy):
    """A hill climber whose first vote of each round names a stale text; told off, it votes
    properly."""

    name = "stale_voter"
    protocols = ("single_text",)

    def vote_message(self, vote: VoteAction, retry: bool) -> VoteAction:
        return vote if retry else dataclasses.replace(vote, text_id="0" * 16)


class ImpostorVoter(NegotiationStrategy):
    """A hill climber whose first vote of each round claims to be another party's; told off, it
    votes as itself."""

    name = "impostor_voter"
    protocols = ("single_text",)

    def vote_message(self, vote: VoteAction, retry: bool) -> VoteAction:
        if retry:
            return vote
        other = next(p for p in self.ctx.order if p != self.ctx.party)
        return dataclasses.replace(vote, voter=other)
