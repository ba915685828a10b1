"""The stacked alternating offers state machine (pure, no I/O)."""

import pytest

from negotiator.model.actions import Accept, EndNegotiation, Forfeit, Offer
from negotiator.model.domain import Domain, Issue
from negotiator.protocols import InvalidAction, StackedAlternatingOffers

DOMAIN = Domain((Issue("x", "ordinal", labels=("a", "b", "c")),), ("p", "q", "r"))


def protocol(deadline: int = 3) -> StackedAlternatingOffers:
    return StackedAlternatingOffers(DOMAIN, ("p", "q", "r"), deadline)


def play(proto, moves):
    state = proto.initial()
    kinds = []
    for move in moves:
        state, events = proto.step(state, proto.actor(state), move)
        kinds += [e.kind for e in events]
    return state, kinds


def test_agreement_needs_every_other_party_to_accept_in_a_row():
    proto = protocol()
    state, kinds = play(proto, [Offer((1,)), Accept(), Accept()])
    assert state.status == "agreed" and state.agreement == (1,)
    assert state.agreement_round == 2 - 1  # p offers, q and r accept: all in round 1
    assert kinds == ["offer", "accept", "accept", "agreement"]


def test_counter_offer_clears_acceptances():
    proto = protocol()
    state, _ = play(proto, [Offer((1,)), Accept(), Offer((2,)), Accept()])
    assert state.open and state.standing == (2,) and state.accepted_by == {"p"}
    state, _kinds = play(proto, [Offer((1,)), Accept(), Offer((2,)), Accept(), Accept()])
    assert state.status == "agreed" and state.agreement == (2,)
    assert state.proposer == "r" and state.agreement_round == 2


def test_forfeit_counts_as_reject():
    proto = protocol()
    state, kinds = play(proto, [Offer((1,)), Accept(), Forfeit("silent")])
    assert state.open and state.standing == (1,) and not state.accepted_by and "forfeit" in kinds
    state, _ = play(proto, [Offer((1,)), Accept(), Forfeit("silent"), Offer((1,)), Accept()])
    assert state.open and state.accepted_by == {"q"}


def test_deadline_ends_without_agreement():
    proto = protocol(deadline=2)
    state, kinds = play(proto, [Offer((0,))] * 6)
    assert state.status == "deadline" and state.agreement is None
    assert kinds[-1] == "deadline" and state.round == 2


def test_end_negotiation_stops_at_once():
    state, kinds = play(protocol(), [Offer((0,)), EndNegotiation()])
    assert state.status == "ended" and kinds[-1] == "end_negotiation"


@pytest.mark.parametrize(
    ("moves", "party", "action", "message"),
    [
        ([], "p", Accept(), "nothing to accept"),
        ([], "q", Offer((0,)), "not your turn"),
        ([Offer((0,)), Forfeit("silent"), Forfeit("silent")], "p", Accept(), "your own offer"),
        ([], "p", Offer((0, 1)), "every issue"),
    ],
)
def test_invalid_actions_are_rejected_without_changing_state(moves, party, action, message):
    proto = protocol()
    state, _ = play(proto, moves)
    with pytest.raises(InvalidAction, match=message):
        proto.step(state, party, action)


def test_state_digest_changes_with_state():
    proto = protocol()
    s0 = proto.initial()
    s1, _ = proto.step(s0, "p", Offer((1,)))
    assert s0.digest() != s1.digest()
    assert s1.digest() == play(proto, [Offer((1,))])[0].digest()
