"""The mediator's rules read an action's untrusted body in the protocol's order, with its reasons,
then decode it with the messages' schema (docs/protocol.md §7)."""

from __future__ import annotations

import pytest

from negotiator.errors import DomainError
from negotiator.io.messages import PlanAction, VoteAction
from negotiator.mediator import rules
from negotiator.protocols import InvalidAction
from negotiator.protocols.single_text import SingleTextState

BALLOT = SingleTextState(round=4, text=(0,), proposal=(1,))
TEXT_ID = BALLOT.text_id


def _ballot() -> SingleTextState:
    return BALLOT


def test_a_vote_is_decoded_once_its_checks_pass():
    body = VoteAction("vote", True, 0, 4, TEXT_ID).to_wire()
    assert rules.vote("wuyi", body, _ballot(), 0) is True


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"voter": "yongkang", "round": 3}, "a vote for another party"),  # the first check named
        ({"round": 3, "text_id": "old"}, "a vote for another round; this is round 4"),
        ({"text_id": "old", "accept": "yes"}, "a vote on a stale text"),
        ({"accept": "yes"}, "`accept` must be true or false"),
    ],
)
def test_a_bad_vote_gets_the_reason_of_its_first_failing_check(change, reason):
    body = {**VoteAction("vote", True, 0, 4, TEXT_ID).to_wire(), **change}
    with pytest.raises(InvalidAction, match=reason):
        rules.vote("wuyi", body, _ballot(), 0)


def test_a_body_the_checks_let_through_but_the_schema_refuses_is_invalid():
    body = {**VoteAction("vote", True, 0, 4, TEXT_ID).to_wire(), "kind": "poll"}
    with pytest.raises(InvalidAction, match="vote action: unknown kind 'poll'"):
        rules.vote("wuyi", body, _ballot(), 0)


def test_declarations_and_plans_are_decoded_by_their_classes():
    body = {"kind": "declaration", "resources": {"land": 3, "labour": 2.5}}
    assert rules.declaration(body, {"land", "labour"}) == {"land": 3.0, "labour": 2.5}
    with pytest.raises(DomainError, match="resource land: a number ≥ 0"):
        rules.declaration({"resources": {"land": -1, "labour": 1}}, {"land", "labour"})
    decided = rules.plan({"kind": "plan", "text": None, "subsidy": 2}, None)
    assert decided == PlanAction(None, 0.0, 2.0, 0.0)
    with pytest.raises(DomainError, match="budget: a number ≥ 0"):
        rules.plan({"kind": "plan", "budget": True}, None)


def test_a_move_is_stale_before_it_is_invalid():
    with pytest.raises(rules.Stale):
        rules.move({"period": 2, "move": "X"}, "wuyi", 3, taken=False)
    with pytest.raises(InvalidAction, match="a move is 'C' or 'D', not 'X'"):
        rules.move({"period": 3, "move": "X"}, "wuyi", 3, taken=False)
    assert rules.move({"kind": "move", "period": 3, "move": "C"}, "wuyi", 3, taken=False) == "C"
