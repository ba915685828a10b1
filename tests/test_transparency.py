"""What each agent process actually received, per transparency level (docs/model.md §8).

Agents run as real processes and record every message they receive (NEGOTIATOR_RECORD_DIR);
the tests read those records, not the mediator's intent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from negotiator.agents.process import RECORD_ENV
from negotiator.io.eventlog import read_events
from negotiator.model.contract import build_setting
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import DEFAULT, SAOP_DEFAULT, load

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_leftover_processes")]
GOVERNMENTS = ("yongkang", "wuyi", "jinyun")
SHORT = ("implementation.periods=6", "implementation.shocks=[]", "negotiation.deadline=12")


def received(folder: Path, party: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / f"{party}.jsonl").read_text().splitlines()]


def numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers(v)]
    return []


def dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value, *(d for v in value.values() for d in dicts(v))]
    if isinstance(value, list):
        return [d for v in value for d in dicts(v)]
    return []


def record_run(tmp_path, monkeypatch, level: str, protocol: str):
    folder = tmp_path / f"record-{level}-{protocol}"
    folder.mkdir()
    monkeypatch.setenv(RECORD_ENV, str(folder))
    overrides = [*SHORT, f"mediator.transparency='{level}'"]
    if protocol == "saop":
        overrides += [*SAOP_DEFAULT, "negotiation.deadline=12"]
    config = load(DEFAULT, *overrides)
    result = run(config, RunOptions(out=tmp_path / "runs", transport="ipc"))
    messages = {p: received(folder, p) for p in (*GOVERNMENTS, "zhejiang")}
    return config, result, messages


def assert_nothing_private_leaks(config, messages):
    setting = build_setting(config)
    for party in GOVERNMENTS:
        others_reservation = {setting.utilities[p].reservation for p in GOVERNMENTS if p != party}
        for msg in messages[party]:
            for d in dicts(msg["body"]):
                if "tables" in d:  # a utility spec: only one's own
                    assert d["party"] == party
            assert not others_reservation & set(numbers(msg["body"])), msg
    everyone = {setting.utilities[p].reservation for p in GOVERNMENTS}
    for msg in messages["zhejiang"]:  # the superior gets a brief, never utilities
        assert not any("tables" in d for d in dicts(msg["body"]))
        assert not everyone & set(numbers(msg["body"]))


@pytest.mark.parametrize("protocol", ["saop", "single_text"])
def test_private(tmp_path, monkeypatch, protocol):
    config, _, messages = record_run(tmp_path, monkeypatch, "private", protocol)
    assert_nothing_private_leaks(config, messages)
    for party in GOVERNMENTS:
        kinds = {m["body"].get("kind") for m in messages[party]}
        assert not kinds & {"offer", "accept", "votes", "declarations"}
        for m in messages[party]:
            body = m["body"]
            assert "proposer" not in body  # whose offer it is, is not said
            if body.get("kind") == "period_report":
                assert "detected" not in body  # not even the defectors' identities
        requests = [m for m in messages[party] if m["type"] == "request"]
        assert requests, party


@pytest.mark.parametrize("protocol", ["saop", "single_text"])
def test_public(tmp_path, monkeypatch, protocol):
    config, _, messages = record_run(tmp_path, monkeypatch, "public", protocol)
    assert_nothing_private_leaks(config, messages)
    for party in GOVERNMENTS:
        bodies = [m["body"] for m in messages[party]]
        if protocol == "saop":
            offers = [b for b in bodies if b.get("kind") == "offer"]
            assert offers and {b["party"] for b in offers} <= set(GOVERNMENTS) - {party}
        else:
            votes = [b for b in bodies if b.get("kind") == "votes"]
            assert votes and all(set(b["votes"]) == set(GOVERNMENTS) for b in votes)
        reports = [b for b in bodies if b.get("kind") == "period_report"]
        assert len(reports) == 6 and all("detected" in b for b in reports)
        declared = [b for b in bodies if b.get("kind") == "declarations"]
        assert declared and declared[0]["verified"] is False


def test_audited(tmp_path, monkeypatch):
    config, result, messages = record_run(tmp_path, monkeypatch, "audited", "single_text")
    assert_nothing_private_leaks(config, messages)
    for party in GOVERNMENTS:
        declared = [m["body"] for m in messages[party] if m["body"].get("kind") == "declarations"]
        assert declared and declared[0]["verified"] is True
        assert declared[0]["resources"] == config.scenario.model_dump()["resources"]
    events = read_events(result.run_dir / "events.jsonl")
    start = next(e for e in events if e["event"] == "implementation_start")
    contract = result.summary.negotiation.contract
    levels = ["none", "self_report", "third_party_audit"]
    base = config.contract.detection[levels.index(contract["enforcement"])]
    assert start["terms"]["detection"] == pytest.approx(min(1.0, base + 0.2))


def test_every_offer_reaches_the_others_even_across_heartbeats(tmp_path, monkeypatch):
    """Offers shown to others ride in their next request; a heartbeat sent while a silent party's
    turn runs out (over 1 s) must not lose them (nor may the last events before `end`)."""
    folder = tmp_path / "record"
    monkeypatch.setenv(RECORD_ENV, str(folder))
    config = load(
        DEFAULT,
        *SAOP_DEFAULT,
        "parties.jinyun.strategy='agents.testing:Silent'",
        "negotiation.deadline=2",
        "negotiation.turn_timeout=2.5",
        "mediator.heartbeat_timeout=30",
        "implementation.periods=2",
        "implementation.shocks=[]",
    )
    result = run(config, RunOptions(out=tmp_path / "runs", transport="inproc"))
    events = read_events(result.run_dir / "events.jsonl")
    offers = [(e["party"], e["turn"]) for e in events if e["event"] == "offer" and e["turn"] >= 0]
    assert offers
    for party in GOVERNMENTS:
        messages = received(folder, party)
        assert any(m["type"] == "heartbeat" for m in messages)  # the case under test
        seen = [
            (m["body"]["party"], m["body"]["turn"])
            for m in messages
            if m["type"] == "event" and m["body"].get("kind") == "offer"
        ]
        assert seen == [o for o in offers if o[0] != party], party
        reports = [m for m in messages if m["body"].get("kind") == "period_report"]
        assert [m["body"]["period"] for m in reports] == [1, 2], party
