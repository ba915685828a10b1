"""The mediated single-text state machine (pure, no I/O)."""

import pytest

from negotiator.model.domain import Domain, Issue
from negotiator.protocols import InvalidAction
from negotiator.protocols.single_text import SingleTextProtocol, mutate, neutral_text
from negotiator.seeding import rng_for

DOMAIN = Domain(
    (
        Issue("split", "share", parties=("a", "b", "c"), units=4),
        Issue("level", "ordinal", labels=("low", "mid", "high")),
        Issue("mode", "categorical", labels=("x", "y")),
        Issue("flag", "boolean"),
    ),
    ("a", "b", "c"),
)


def protocol(deadline=10, stall=3, seed=1):
    return SingleTextProtocol(DOMAIN, ("a", "b", "c"), deadline, stall, seed)


def test_neutral_text():
    text = neutral_text(DOMAIN)
    assert DOMAIN.issues[0].grid[text[0]] == (2, 1, 1)
    assert text[1:] == (1, 0, 0)


def test_mutations_change_exactly_one_issue_by_one_step():
    proto = protocol()
    state = proto.initial()
    for rnd in range(1, 40):
        state = proto.propose(state.__class__(round=rnd, text=state.text, proposal=None))
        changed = [k for k in range(4) if state.proposal[k] != state.text[k]]
        assert len(changed) == 1
        k = changed[0]
        if k == 0:
            before, after = (
                DOMAIN.issues[0].grid[state.text[0]],
                DOMAIN.issues[0].grid[state.proposal[0]],
            )
            assert sum(abs(x - y) for x, y in zip(before, after)) == 2
        if k == 1:
            assert abs(state.proposal[1] - state.text[1]) == 1


def test_mutation_is_seeded():
    a = [protocol(seed=3).initial().proposal for _ in range(3)]
    assert a[0] == a[1] == a[2]
    assert {protocol(seed=s).initial().proposal for s in range(20)} != {a[0]}
    issue = DOMAIN.issues[1]
    assert mutate(issue, 0, rng_for(1, "x")) == 1 and mutate(issue, 2, rng_for(1, "x")) == 1


def test_unanimous_acceptance_moves_the_text_and_stall_ends_voting():
    proto = protocol(stall=2)
    state = proto.initial()
    proposal = state.proposal
    state, events = proto.vote(state, {"a": True, "b": True, "c": True})
    assert state.text == proposal and state.accepted == 1 and state.round == 2
    assert events[0].kind == "votes" and events[0].data["accepted"]
    state, _ = proto.vote(state, {"a": True, "b": False, "c": True})
    assert state.status == "voting" and state.stall == 1
    state, events = proto.vote(state, {"a": True, "b": True})  # c missing: a rejection
    assert state.status == "ratifying" and events[-1].data["reason"] == "stall"
    with pytest.raises(InvalidAction):
        proto.vote(state, {"a": True})
    done, events = proto.ratify(state, {"a": True, "b": True, "c": True})
    assert done.status == "agreed" and done.agreement == state.text
    failed, _ = proto.ratify(state, {"a": True, "b": True, "c": False})
    assert failed.status == "rejected" and failed.agreement is None


def test_deadline_ends_voting():
    proto = protocol(deadline=2, stall=99)
    state = proto.initial()
    state, _ = proto.vote(state, {"a": True, "b": True, "c": True})
    state, events = proto.vote(state, {"a": True, "b": True, "c": True})
    assert state.status == "ratifying" and events[-1].data["reason"] == "deadline"


def test_a_plan_is_the_start_text():
    plan = (0, 2, 1, 1)
    assert protocol().initial(plan).text == plan


def test_package_mutations_keep_to_admissible_texts():
    # mutations of up to two issues; only texts with flag false are admissible
    proto = SingleTextProtocol(
        DOMAIN, ("a", "b", "c"), 40, 5, 1, 1, package=2, admissible=lambda o: o[3] == 0
    )
    state = proto.initial()
    sizes = set()
    for rnd in range(1, 60):
        state = proto.propose(state.__class__(round=rnd, text=state.text, proposal=None))
        assert state.proposal[3] == 0
        sizes.add(sum(a != b for a, b in zip(state.proposal, state.text, strict=True)))
    assert sizes <= {0, 1, 2} and 2 in sizes


def test_a_round_without_an_admissible_mutation_changes_nothing():
    proto = SingleTextProtocol(DOMAIN, ("a", "b", "c"), 10, 3, 1, 1, admissible=lambda o: False)
    state = proto.initial()
    assert state.proposal == state.text
    after, _ = proto.vote(state, dict.fromkeys("abc", True))
    assert after.accepted == 0 and after.stall == 1  # a yes to nothing is no change
