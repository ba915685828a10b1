"""What a strategy may know, what it observes, what it may do, and the strategy base class."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from negotiator.errors import unknown
from negotiator.io.messages import VoteAction
from negotiator.model.actions import Accept, Action, EndNegotiation, Offer, RawAction
from negotiator.model.domain import Domain, Outcome, Utility
from negotiator.seeding import rng_for

__all__ = [
    "Accept",
    "Action",
    "AgentContext",
    "EndNegotiation",
    "NegotiationStrategy",
    "NoParams",
    "Offer",
    "RawAction",
    "StrategyError",
    "TurnObservation",
    "VoteObservation",
]


@dataclass(frozen=True)
class AgentContext:
    """Everything an agent knows before the first round: its own utility and the public rules.

    It never holds another party's utility or reservation value.
    """

    party: str
    domain: Domain
    utility: Utility
    protocol: str
    deadline: int
    order: tuple[str, ...]
    discounts: dict[str, float]
    seed: int


@dataclass(frozen=True)
class TurnObservation:
    """A SAOP turn as the acting party sees it: the standing offer it must answer, if any."""

    round: int
    """1-based round of the turn."""
    turn: int
    """0-based index of the turn since the start (one round = one turn per party)."""
    standing: Outcome | None
    proposer: str | None


@dataclass(frozen=True)
class VoteObservation:
    """A single-text round as a voter sees it: the current text and the proposed mutation."""

    round: int
    text: Outcome
    proposal: Outcome


@dataclass(frozen=True)
class NoParams:
    """Parameters of a strategy that takes none."""


class StrategyError(ValueError):
    """An unknown strategy or a bad parameter; ``field`` names the offending config key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NegotiationStrategy:
    """Base class of phase-1 strategies: subclasses set ``name``/``Params`` and implement
    :meth:`respond`. Randomness must come from ``self.rng`` (seeded from the run seed)."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[Any]] = NoParams
    #: Whether the strategy draws random numbers (for documentation and tests).
    stochastic: ClassVar[bool] = False
    #: The phase-1 protocols the strategy can play.
    protocols: ClassVar[tuple[str, ...]] = ("saop",)

    def __init__(self, ctx: AgentContext, params: Any) -> None:
        self.ctx = ctx
        self.params = params
        self.rng = rng_for(ctx.seed, "agent", ctx.party, "negotiation")

    def respond(self, obs: TurnObservation) -> Action | RawAction | None:  # pragma: no cover
        """The move for this turn (``None`` sends nothing: the turn will be forfeited)."""
        raise NotImplementedError

    def vote(self, obs: VoteObservation) -> bool:
        """Single text: accept the proposed mutation? Default: iff it is better for me."""
        return self.ctx.utility(obs.proposal) > self.ctx.utility(obs.text)

    def ratify(self, text: Outcome) -> bool:
        """Single text: accept the final text? Iff it beats my reservation value."""
        return self.ctx.utility(text) > self.ctx.utility.reservation

    def vote_message(self, vote: VoteAction, retry: bool) -> VoteAction:
        """The vote or ratification as sent (fault injection overrides this; ``retry`` is true
        when the mediator rejected the previous one)."""
        return vote

    def observe_offer(self, party: str, outcome: Outcome) -> None:
        """Hook: another party's offer, seen because the transparency level publishes it."""

    def on_error(self, obs: TurnObservation, message: str) -> Action | RawAction | None:
        """The mediator rejected the last move with ``message``; return a new move or ``None``.

        Well-behaved strategies never see this; the default gives up the turn."""
        return None

    @classmethod
    def make_params(cls, raw: dict[str, Any]) -> Any:
        """Build ``Params`` from a config table (see :func:`make_params`)."""
        return make_params(cls.Params, raw)


def make_params(params_cls: type[Any], raw: dict[str, Any]) -> Any:
    """Build a strategy's frozen ``Params`` dataclass from a config table, rejecting unknown
    keys and non-numbers for numeric fields; :class:`StrategyError` names the key."""
    fields = {f.name: f for f in dataclasses.fields(params_cls)}
    for key, value in raw.items():
        if key not in fields:
            raise StrategyError(
                f"params.{key}", unknown("parameter", key, sorted(fields), listed=True)
            )
        numeric = "float" in str(fields[key].type)
        if numeric and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise StrategyError(f"params.{key}", f"must be a number, got {value!r}")
    floats = {k for k, f in fields.items() if "float" in str(f.type)}
    try:
        return params_cls(
            **{k: (float(v) if type(v) is int and k in floats else v) for k, v in raw.items()}
        )
    except ValueError as exc:
        raise StrategyError("params", str(exc)) from None
