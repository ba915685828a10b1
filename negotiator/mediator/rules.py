"""The mediator's rules, as pure functions: which action a message is, which vote, move,
declaration or plan, how many attempts a party has, when a party is expelled, what it is told
when rejected.

This is the one place that reads an action's untrusted body. Each reader checks it in the order
and with the reasons the protocol specifies (docs/protocol.md §7: stale before invalid, the
first failing check named), then decodes it with its class in :mod:`negotiator.io.messages`, the
schema the agents build their actions with. Nothing here sends, logs or waits: callers
(:mod:`negotiator.mediator.session` and the phase drivers) act on the decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from negotiator.errors import DomainError
from negotiator.io.messages import (
    AcceptAction,
    DeclarationAction,
    EndAction,
    ErrorNotice,
    MessageError,
    MoveAction,
    OfferAction,
    PlanAction,
    VoteAction,
)
from negotiator.model.actions import Accept, EndNegotiation, Offer
from negotiator.model.domain import Domain
from negotiator.protocols import InvalidAction, SaopState, StackedAlternatingOffers
from negotiator.protocols.single_text import SingleTextState


class Stale(InvalidAction):
    """An action for another turn or from a party whose turn it is not (never retried)."""


def saop_action(
    protocol: StackedAlternatingOffers,
    state: SaopState,
    party: str,
    sender: str,
    round_: int,
    body: dict[str, Any],
    session: int,
) -> Accept | Offer | EndNegotiation:
    """The SAOP action ``body`` (sent by ``sender`` in a message of round ``round_``) makes in
    ``party``'s turn. Raises :class:`Stale` if it belongs to another turn or party, and
    :class:`InvalidAction` (or ``DomainError``) if the protocol does not allow it."""
    turn = body.get("turn")
    if sender != party:
        raise Stale(f"not your turn: it is {party}'s turn")
    if body.get("session", 0) != session:
        raise Stale(f"action for negotiation session {body.get('session')!r}")
    if turn != state.turn or round_ != state.round:
        raise Stale(
            f"stale or future action for round {round_} turn {turn!r}; "
            f"the current turn is {state.turn} of round {state.round}"
        )
    kind = body.get("kind")
    action: Accept | Offer | EndNegotiation
    if kind == "accept":
        _decoded(AcceptAction, body)
        action = Accept()
    elif kind == "end":
        _decoded(EndAction, body)
        action = EndNegotiation()
    elif kind == "offer":
        outcome = protocol.domain.encode(body.get("outcome"))
        _decoded(OfferAction, body)
        action = Offer(outcome)
    else:
        raise InvalidAction(f"unknown action kind {kind!r} (accept, offer or end)")
    protocol.check(state, party, action)
    return action


A = TypeVar(
    "A", AcceptAction, EndAction, OfferAction, VoteAction, MoveAction, DeclarationAction, PlanAction
)


def _decoded(cls: type[A], body: dict[str, Any]) -> A:
    """``body`` as its class reads it, once the protocol's own checks have passed; a body those
    checks let through but the schema does not is invalid, with the schema's reason."""
    try:
        return cls.from_wire(body)
    except MessageError as exc:
        raise InvalidAction(str(exc)) from None


def vote(sender: str, body: dict[str, Any], state: SingleTextState, session: int) -> bool:
    """The vote ``body`` casts on ``state``'s current ballot (raises :class:`InvalidAction`)."""
    if body.get("voter", sender) != sender:
        raise InvalidAction(f"a vote for another party ({body.get('voter')!r})")
    if body.get("session") != session or body.get("round") != state.round:
        raise InvalidAction(f"a vote for another round; this is round {state.round}")
    if body.get("text_id") != state.text_id:
        raise InvalidAction("a vote on a stale text")
    if not isinstance(body.get("accept"), bool):
        raise InvalidAction("`accept` must be true or false")
    return _decoded(VoteAction, body).accept


def move(body: dict[str, Any], sender: str, period: int, taken: bool) -> str:
    """The compliance move ``body`` makes in ``period`` (``taken``: the sender has already moved
    or is absent). Raises :class:`Stale` or :class:`InvalidAction`."""
    if body.get("period") != period or taken:
        raise Stale(f"no move expected now (period {period})")
    chosen = body.get("move")
    if chosen not in ("C", "D"):
        raise InvalidAction(f"a move is 'C' or 'D', not {chosen!r}")
    return _decoded(MoveAction, body).move


def declaration(body: dict[str, Any], resources: set[str]) -> dict[str, float]:
    """The endowment a ``declaration`` claims: every one of ``resources``, each a number ≥ 0."""
    claimed = body.get("resources")
    if not isinstance(claimed, dict) or set(claimed) != resources:
        raise DomainError(f"declare every resource: {sorted(resources)}")
    for k, v in claimed.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            raise DomainError(f"resource {k}: a number ≥ 0")
    return _decoded(DeclarationAction, body).resources


def plan(body: dict[str, Any], domain: Domain | None) -> PlanAction:
    """The superior's decision: a text the domain accepts (or none) and money, each ≥ 0."""
    text = body.get("text")
    if text is not None and domain is not None:
        domain.encode(text)
    for key in ("cofunding", "subsidy", "budget"):
        value = body.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise DomainError(f"{key}: a number ≥ 0")
    return _decoded(PlanAction, body)


@dataclass
class Attempts:
    """Invalid attempts per party within one request; the ``limit``-th forfeits it."""

    limit: int
    used: dict[str, int] = field(default_factory=dict)

    def fail(self, party: str) -> bool:
        """Count one more invalid attempt; True if that was the last one allowed."""
        self.used[party] = self.used.get(party, 0) + 1
        return self.used[party] >= self.limit


@dataclass
class Streaks:
    """Rejected actions in a row per party; ``expel_after`` of them expel it."""

    in_row: dict[str, int] = field(default_factory=dict)

    def rejected(self, party: str, expel_after: int) -> int | None:
        """Count a rejection; the streak's length if it expels ``party``, else None."""
        streak = self.in_row.get(party, 0) + 1
        self.in_row[party] = streak
        return streak if streak >= expel_after else None

    def accepted(self, party: str) -> None:
        self.in_row[party] = 0


def rejection(code: str, reason: str, turn: Any) -> ErrorNotice:
    """The ``error`` a rejected action earns. Only ``invalid_action`` invites another try
    within the same turn; ``invalid_action`` and ``forfeited`` name the turn, if it was one."""
    named = turn if isinstance(turn, int) and not isinstance(turn, bool) else None
    return ErrorNotice(code, reason, named)


def forfeit_reason(party: str, absent: set[str]) -> str:
    """Why a party that did not answer forfeits: it was known to be gone, or it was silent."""
    return "absent" if party in absent else "silent"
