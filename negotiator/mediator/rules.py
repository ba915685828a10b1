"""The mediator's rules, as pure functions: which action a message is, which vote, how many
attempts a party has, when a party is expelled, what it is told when rejected.

Nothing here sends, logs or waits: callers (:mod:`negotiator.mediator.session` and the phase
drivers) act on the decisions. The rules are described in docs/protocol.md (§9–§12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from negotiator.io.messages import ErrorNotice
from negotiator.model.actions import Accept, EndNegotiation, Offer
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
        action = Accept()
    elif kind == "end":
        action = EndNegotiation()
    elif kind == "offer":
        action = Offer(protocol.domain.encode(body.get("outcome")))
    else:
        raise InvalidAction(f"unknown action kind {kind!r} (accept, offer or end)")
    protocol.check(state, party, action)
    return action


def vote(sender: str, body: dict[str, Any], state: SingleTextState, session: int) -> bool:
    """The vote ``body`` casts on ``state``'s current ballot (raises :class:`InvalidAction`)."""
    if body.get("voter", sender) != sender:
        raise InvalidAction(f"a vote for another party ({body.get('voter')!r})")
    if body.get("session") != session or body.get("round") != state.round:
        raise InvalidAction(f"a vote for another round; this is round {state.round}")
    if body.get("text_id") != state.text_id:
        raise InvalidAction("a vote on a stale text")
    accept = body.get("accept")
    if not isinstance(accept, bool):
        raise InvalidAction("`accept` must be true or false")
    return accept


def move(body: dict[str, Any], sender: str, period: int, taken: bool) -> str:
    """The compliance move ``body`` makes in ``period`` (``taken``: the sender has already moved
    or is absent). Raises :class:`Stale` or :class:`InvalidAction`."""
    if body.get("period") != period or taken:
        raise Stale(f"no move expected now (period {period})")
    chosen = body.get("move")
    if chosen not in ("C", "D"):
        raise InvalidAction(f"a move is 'C' or 'D', not {chosen!r}")
    return str(chosen)


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
