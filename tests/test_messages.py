"""The typed message bodies (negotiator.io.messages): every class round-trips, malformed bodies are
refused with a reason, and every body real runs send parses and is sent again byte for byte
as it was."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest

from negotiator.agents.agent import Agent
from negotiator.io.messages import (
    AcceptAction,
    AcceptEvent,
    AgentError,
    ComplianceRequest,
    DeclarationAction,
    DeclarationsEvent,
    DeclarationSpec,
    DeclareRequest,
    End,
    EndAction,
    ErrorNotice,
    GovernmentWelcome,
    Heartbeat,
    HeldEvent,
    Hello,
    MessageError,
    MoveAction,
    NegotiationContext,
    NegotiationEndEvent,
    OfferAction,
    OfferEvent,
    PeriodReport,
    PlanAction,
    PlanningBrief,
    PlanRequest,
    RatifyRequest,
    Ready,
    RenegotiationEvent,
    RotationEvent,
    SaopTurnRequest,
    StageGameEvent,
    StrategySpec,
    SuperiorSpec,
    SuperiorWelcome,
    VoteAction,
    VoteRequest,
    VotesEvent,
    parse_action,
    parse_event,
    parse_from_agent,
    parse_from_mediator,
    parse_request,
    parse_welcome,
)
from negotiator.io.wire import Codec, Message, WireError
from negotiator.model.domain import Domain, Issue, Utility
from negotiator.model.stagegame import StageGame
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import CONFIGS, SAOP_DEFAULT, load
from tests.test_digests import CASES

DOMAIN = Domain(
    (
        Issue("price", "ordinal", ("low", "high")),
        Issue("pie", "share", parties=("a", "b"), units=2),
    ),
    ("a", "b"),
)
UTILITY = Utility("a", ((0.0, 1.0), (0.0, 0.5, 1.0)), 0.0, 0.2)
OUTCOME = {"price": "low", "pie": {"a": 0.5, "b": 0.5}}
GAME = StageGame(3.0, 0.0, 5.0, 1.0, 2, 0.5, 1.0, 0.0, 0.1, budget=10.0, periods_left=5)
CONTEXT = NegotiationContext(
    DOMAIN, UTILITY, "saop", 20, {"a": 1.0, "b": 0.9}, StrategySpec("boulware", {"e": 0.2}), 0
)
TEXT_ID = "0123456789abcdef"
REPORT = PeriodReport(2, "D", 1.5, 0.0, 1.0, 0.5, 0.0, 1.0, ("b",), 1.5, 8.5)

SAMPLES: list[Any] = [
    StrategySpec("linear"),
    DeclarationSpec("exaggerate", 0.5),
    SuperiorSpec("plan", 0.3, 0.0, 0.0),
    CONTEXT,
    GovernmentWelcome("a", ("a", "b"), 7, CONTEXT, StrategySpec("grudger"), DeclarationSpec()),
    GovernmentWelcome("a", ("a", "b"), 7, None, StrategySpec("tit_for_tat", {}), DeclarationSpec()),
    SuperiorWelcome("z", ("a", "b"), 7, SuperiorSpec("plan_and_subsidy", 0.3, 0.5, 10.0)),
    Hello(1234, "host"),
    ErrorNotice("invalid_action", "no such issue", 3),
    ErrorNotice("forfeited", "not an int", None),
    ErrorNotice("stale", "not your turn"),
    AgentError("a: RuntimeError: kaput"),
    End(),
    Heartbeat(),
    Ready(),
    DeclarationsEvent(True, {"a": {"land": 1.0}, "b": {"land": 2.0}}),
    OfferEvent("a", 1, 0, OUTCOME),
    AcceptEvent("b", 1, 1),
    VotesEvent(2, {"a": True, "b": False}, False),
    NegotiationEndEvent(0, "agreed", OUTCOME, 3),
    NegotiationEndEvent(1, "rejected", None, 4),
    RenegotiationEvent(dataclasses.replace(CONTEXT, protocol="single_text", session=1)),
    StageGameEvent(GAME, 20),
    StageGameEvent(dataclasses.replace(GAME, budget=math.inf), 20, fresh_start=True),
    RotationEvent(StrategySpec("grudger"), GAME),
    RotationEvent(None, GAME),
    PeriodReport(1, "C", 1.0),
    REPORT,
    DeclareRequest({"land": 7.0, "labour": 12.0}),
    PlanRequest(PlanningBrief(OUTCOME, {"a": 0.5, "b": 0.5})),
    PlanRequest(PlanningBrief(None, {"a": 0.5, "b": 0.5})),
    SaopTurnRequest(0, 1, 0, 20, None),
    SaopTurnRequest(0, 2, 3, 20, OUTCOME, proposer="b"),
    SaopTurnRequest(0, 2, 3, 20, None, own_offer=False),
    SaopTurnRequest(
        0,
        2,
        3,
        20,
        OUTCOME,
        own_offer=True,
        events=(
            HeldEvent(2, OfferEvent("b", 2, 2, OUTCOME)),
            HeldEvent(0, StageGameEvent(GAME, 9)),
        ),
    ),
    VoteRequest(0, 1, TEXT_ID, OUTCOME, OUTCOME),
    RatifyRequest(1, 4, TEXT_ID, OUTCOME),
    ComplianceRequest(3),
    ComplianceRequest(3, events=(HeldEvent(2, REPORT),)),
    OfferAction(3, 0, OUTCOME),
    AcceptAction(3, 0),
    EndAction(3, 1),
    VoteAction("vote", True, 0, 1, TEXT_ID),
    VoteAction("ratify", False, 1, 4, TEXT_ID, voter="b"),
    MoveAction(3, "D"),
    DeclarationAction({"land": 8.75}),
    PlanAction(OUTCOME, 0.3, 0.1, 10.0),
    PlanAction(None),
]
FROM_AGENT = (Hello, AgentError, Ready, Heartbeat)


def packed(body: dict[str, Any]) -> bytes:
    return msgpack.packb(body, use_bin_type=True)


@pytest.mark.parametrize("value", SAMPLES, ids=lambda v: type(v).__name__)
def test_every_body_round_trips_through_the_wire(value):
    assert type(value).from_wire(value.to_wire()) == value
    through = msgpack.unpackb(packed(value.to_wire()), raw=False)  # tuples come back as lists
    assert type(value).from_wire(through) == value
    message_type = getattr(value, "message_type", None)
    if message_type is None:
        return
    is_action = message_type == "action"
    parse = parse_from_agent if is_action or isinstance(value, FROM_AGENT) else parse_from_mediator
    assert parse(message_type, through) == value


def test_the_dispatchers_read_by_kind():
    assert parse_request(ComplianceRequest(4).to_wire()) == ComplianceRequest(4)
    assert parse_event(REPORT.to_wire()) == REPORT
    assert parse_action({"kind": "ratify", **VoteAction("ratify", True, 0, 1, TEXT_ID).to_wire()})
    welcome = SuperiorWelcome("z", ("a",), 1, SuperiorSpec("none", 0.0, 0.0, 0.0))
    assert parse_welcome(welcome.to_wire()) == welcome


def test_optional_fields_are_sent_only_when_set():
    assert list(PeriodReport(1, "C", 1.0).to_wire()) == [
        "kind",
        "period",
        "my_move",
        "payoff",
        "fines_paid",
        "fines_received",
        "subsidy",
        "incident_cost",
    ]
    assert "fresh_start" not in StageGameEvent(GAME, 1).to_wire()
    assert "turn" not in ErrorNotice("stale", "late", 3).to_wire()
    assert ErrorNotice("invalid_action", "bad", None).to_wire()["turn"] is None
    assert "events" not in ComplianceRequest(1).to_wire()
    assert list(SaopTurnRequest(0, 1, 0, 9, None, own_offer=False).to_wire())[-1] == "own_offer"
    assert list(VoteAction("vote", True, 0, 1, TEXT_ID, voter="a").to_wire())[-1] == "voter"


GOOD_TURN = SaopTurnRequest(0, 1, 0, 20, None).to_wire()
GOOD_REPORT = REPORT.to_wire()
MALFORMED: list[tuple[Any, Any, str]] = [
    (parse_request, [], "request: the body must be a map, not list"),
    (parse_request, {"kind": "bribe"}, "request: unknown kind 'bribe'"),
    (parse_request, {**GOOD_TURN, "round": "1"}, "saop_turn request: field 'round' must be an int"),
    (parse_request, {**GOOD_TURN, "turn": True}, "field 'turn' must be an int, not bool"),
    (parse_request, {**GOOD_TURN, "standing": [1]}, "field 'standing' must be a map"),
    (parse_request, {**GOOD_TURN, "events": "x"}, "field 'events' must be a list"),
    (parse_request, {"kind": "compliance"}, "compliance request: field 'period' is missing"),
    (parse_request, {"kind": "declare", "fields": [], "truth": {"land": True}}, "map of numbers"),
    (parse_event, {**GOOD_REPORT, "my_move": "X"}, "'my_move' must be 'C' or 'D', not 'X'"),
    (parse_event, {**GOOD_REPORT, "detected": "b"}, "'detected' must be a list of strings"),
    (parse_event, {"kind": "stage_game", "game": {"R": 1.0}, "periods": 3}, "not a stage game"),
    (parse_event, {"kind": "votes", "round": 1, "votes": {"a": 1}, "accepted": True}, "true or"),
    (parse_welcome, {"role": "king"}, "welcome: unknown role 'king'"),
    (
        GovernmentWelcome.from_wire,
        {k: v for k, v in SAMPLES[4].to_wire().items() if k != "compliance"},
        "welcome: field 'compliance' is missing",
    ),
    (NegotiationContext.from_wire, {**CONTEXT.to_wire(), "domain": {}}, "a bad domain"),
    (NegotiationContext.from_wire, {**CONTEXT.to_wire(), "strategy": "x"}, "strategy spec"),
    (ErrorNotice.from_wire, {"code": "stale"}, "error: field 'message' is missing"),
    (parse_action, {"kind": "move", "period": 1, "move": "X"}, "'move' must be 'C' or 'D'"),
    (parse_action, {"kind": "vote", "accept": "yes"}, "'accept' must be true or false"),
    (parse_action, {"kind": "offer", "turn": 1, "session": 0, "outcome": 3}, "must be a map"),
    (parse_action, {"kind": "plan", "cofunding": "much"}, "'cofunding' must be a number"),
    (parse_from_mediator, ("hello", {}), "the mediator sends no 'hello' message"),
    (parse_from_agent, ("welcome", {}), "an agent sends no 'welcome' message"),
    (Ready.from_wire, {"kind": "done"}, "agent event: unknown kind 'done'"),
]


@pytest.mark.parametrize(("parse", "body", "reason"), MALFORMED)
def test_a_malformed_body_is_refused_with_its_reason(parse, body, reason):
    with pytest.raises(MessageError, match=reason.replace("(", r"\(")) as caught:
        parse(*body) if isinstance(body, tuple) else parse(body)
    assert isinstance(caught.value, WireError)  # what the codec's callers already catch


def test_an_agent_reports_a_malformed_request_and_leaves():
    agent = Agent("a")
    request = Message("request", "mediator", {"kind": "compliance", "period": "one"})
    replies, done = agent.handle(request)
    assert done and agent.failed
    error = Codec("mediator").unpack(replies[0])
    assert error.type == "error"
    assert error.body == {
        "message": "a: MessageError: compliance request: field 'period' must be an int, not str"
    }


# -- every body of real runs ---------------------------------------------------------------------

RUNS: dict[str, tuple[str, list[str], bool]] = {
    name: (path, overrides, True) for name, (path, overrides, _) in CASES.items()
}
"""name → config, overrides, whether the agents' bodies are well formed (no faulty strategy)."""
RUNS |= {
    "threshold_renegotiation": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        ["implementation.renegotiation_trigger='threshold'"],
        True,
    ),
    "fines_and_subsidy": (
        "scenarios/prisoners_dilemma.toml",
        [
            "implementation.penalty=1.0",
            "implementation.graduated=0.5",
            "implementation.subsidy=0.5",
            "implementation.budget=10",
        ],
        True,
    ),
    "impostor_voter": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        ["parties.wuyi.strategy='agents.testing:ImpostorVoter'"],
        True,
    ),
    "invalid_offer": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        [*SAOP_DEFAULT, "parties.wuyi.strategy='agents.testing:InvalidOnce'"],
        False,
    ),
}


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[bool, bytes]]]:
    """Every message of the runs above, as packed: (the agents' bodies are well formed, bytes)."""
    payloads: list[tuple[bool, bytes]] = []
    well_formed = [True]
    pack, pack_same = Codec.pack, Codec.pack_same

    def recording_pack(self: Codec, type_: str, body: Any = None, *, round_: int = 0) -> bytes:
        data = pack(self, type_, body, round_=round_)
        payloads.append((well_formed[0], data))
        return data

    def recording_pack_same(
        self: Codec, type_: str, body: Any, count: int, *, round_: int = 0
    ) -> list[bytes]:
        data = pack_same(self, type_, body, count, round_=round_)
        payloads.extend((well_formed[0], d) for d in data)
        return data

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Codec, "pack", recording_pack)
        patch.setattr(Codec, "pack_same", recording_pack_same)
        for name, (path, overrides, agents_well_formed) in RUNS.items():
            well_formed[0] = agents_well_formed
            out = tmp_path_factory.mktemp(name)
            run(load(CONFIGS / path, *overrides), RunOptions(out=out, transport="inproc"))
    yield payloads


def _messages(sent: list[tuple[bool, bytes]]) -> Iterator[tuple[bool, Message]]:
    reader = Codec("test")
    for well_formed, data in sent:
        yield well_formed, reader.unpack(data)


@pytest.mark.slow
def test_every_body_the_mediator_sends_parses_and_is_sent_again_identically(sent):
    seen: set[str] = set()
    for _, msg in _messages(sent):
        if msg.sender != "mediator":
            continue
        value = parse_from_mediator(msg.type, msg.body)
        assert packed(value.to_wire()) == packed(msg.body), (msg.type, msg.body)
        seen.add(f"{msg.type}:{msg.body.get('kind', msg.body.get('role', ''))}")
        for held in msg.body.get("events", ()):
            seen.add(f"event:{held['body']['kind']}")
    expected = {
        "welcome:government",
        "welcome:superior",
        "request:declare",
        "request:plan",
        "request:saop_turn",
        "request:vote",
        "request:ratify",
        "request:compliance",
        "event:declarations",
        "event:offer",
        "event:accept",
        "event:votes",
        "event:negotiation_end",
        "event:renegotiation",
        "event:stage_game",
        "event:rotation",
        "event:period_report",
        "error:",
        "end:",
    }
    assert expected <= seen, expected - seen


@pytest.mark.slow
def test_every_body_the_agents_send_parses_and_is_sent_again_identically(sent):
    count = 0
    for well_formed, msg in _messages(sent):
        if msg.sender == "mediator" or not well_formed:
            continue
        value = parse_from_agent(msg.type, msg.body)
        assert packed(value.to_wire()) == packed(msg.body), (msg.type, msg.body)
        count += 1
    assert count > 1000


def test_a_saop_action_without_session_counts_as_session_0():
    from negotiator.io.messages import AcceptAction, OfferAction

    assert AcceptAction.from_wire({"kind": "accept", "turn": 3}) == AcceptAction(3, 0)
    offer = OfferAction.from_wire({"kind": "offer", "turn": 1, "outcome": {"x": 1}})
    assert offer.session == 0


def test_an_agent_ignores_an_event_or_request_of_a_kind_it_does_not_know():
    from negotiator.agents.agent import Agent
    from negotiator.io.wire import Message

    agent = Agent("wuyi")
    for type_, body in (
        ("event", {"kind": "a_new_kind", "x": 1}),
        ("request", {"kind": "a_new_request"}),
    ):
        replies, done = agent.handle(Message(type_, "mediator", body))
        assert (replies, done) == ([], False) and not agent.failed


def test_a_held_event_of_an_unknown_kind_is_left_out_of_its_request():
    from negotiator.io.messages import ComplianceRequest, parse_request

    body = {
        "kind": "compliance",
        "period": 2,
        "events": [
            {"round": 1, "body": {"kind": "a_new_kind"}},
            {"round": 1, "body": {"kind": "declarations", "verified": False, "resources": {}}},
        ],
    }
    request = parse_request(body)
    assert isinstance(request, ComplianceRequest) and request.period == 2
    assert [held.event.kind for held in request.events] == ["declarations"]


def test_the_readers_collection_checks_take_subclasses_and_refuse_bools_as_numbers():
    import enum

    import numpy as np

    from negotiator.io.messages.core import MessageError, Reader

    class Name(enum.StrEnum):
        A = "a"

    body = {
        "n": {"a": 1, "b": 2.5, "c": np.float64(0.5)},
        "bad": {"a": 1, "b": True},
        "t": ["x", Name.A],
        "keys": {1: "x"},
        "f": {"a": True, "b": np.bool_(True)},
    }
    r = Reader(body, "test")
    assert r.numbers("n") == {"a": 1.0, "b": 2.5, "c": 0.5}
    assert r.texts("t") == ("x", Name.A)
    with pytest.raises(MessageError, match="'bad' must be a map of numbers"):
        r.numbers("bad")
    with pytest.raises(MessageError, match="'keys' must be a map with string keys"):
        r.mapping("keys")
    with pytest.raises(MessageError, match="'f' must be a map of true or false"):
        r.flags("f")  # numpy's bool is not a bool
