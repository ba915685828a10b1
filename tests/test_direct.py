"""The ``direct`` transport: agents in the mediator's process, called synchronously.

Same digests as the process transports; a failing strategy is handled as a silent or failed
party is elsewhere; its logs verify and re-execute; a silent party costs no wall time.
"""

from __future__ import annotations

import time

import pytest

from negotiator.io.eventlog import read_events, verify_chain
from negotiator.replay import verify
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import BUYER_SELLER, CONFIGS, DEFAULT, SAOP_DEFAULT, load
from tests.test_digests import CASES


@pytest.mark.parametrize("name", sorted(CASES))
def test_direct_gives_the_pinned_digest(name, tmp_path):
    path, overrides, digest = CASES[name]
    result = run(load(CONFIGS / path, *overrides), RunOptions(out=tmp_path, transport="direct"))
    assert result.summary.final_digest == digest
    started = read_events(result.run_dir / "events.jsonl")[0]
    assert started["runtime"]["transport"] == "direct"


def test_a_strategy_that_raises_reports_its_error_and_its_party_forfeits(tmp_path):
    config = load(
        DEFAULT,
        *SAOP_DEFAULT,
        "parties.wuyi.strategy='agents.testing:Crashes'",
        "negotiation.deadline=6",
    )
    result = run(config, RunOptions(out=tmp_path, transport="direct"))
    events = read_events(result.run_dir / "events.jsonl")
    errors = [e for e in events if e["event"] == "agent_error"]
    assert len(errors) == 1 and errors[0]["party"] == "wuyi"
    assert "RuntimeError: a bug in a strategy" in errors[0]["message"]
    assert [e["party"] for e in events if e["event"] == "agent_lost"] == ["wuyi"]
    forfeits = result.summary.negotiation.forfeits
    assert forfeits["wuyi"] >= 3 and forfeits["yongkang"] == forfeits["jinyun"] == 0
    assert events[-1]["event"] == "run_finished" and verify_chain(events) is None
    report = verify(result.run_dir, reexecute=True)
    assert report.ok and report.finished, report.message


def test_a_strategy_that_cannot_start_ends_the_join(tmp_path):
    config = load(DEFAULT, *SAOP_DEFAULT, "parties.wuyi.strategy='agents.testing:BrokenAtStart'")
    with pytest.raises(Exception, match="wuyi"):
        run(config, RunOptions(out=tmp_path, transport="direct"))
    log = next(tmp_path.glob("*/events.jsonl"))
    kinds = [e["event"] for e in read_events(log)]
    assert "agent_error" in kinds and kinds[-2:] == ["join_failed", "run_aborted"]


def test_a_silent_party_forfeits_without_waiting_out_its_timeouts(tmp_path):
    config = load(
        DEFAULT,
        *SAOP_DEFAULT,
        "parties.jinyun.strategy='agents.testing:Silent'",
        "negotiation.turn_timeout=30.0",  # four turns: two minutes over a socket
        "negotiation.deadline=4",
    )
    started = time.monotonic()
    result = run(config, RunOptions(out=tmp_path, transport="direct"))
    assert time.monotonic() - started < 30  # generous: the point is that 120 s do not pass
    negotiation = result.summary.negotiation
    assert negotiation.forfeits["jinyun"] == 4 and negotiation.forfeits["wuyi"] == 0
    events = read_events(result.run_dir / "events.jsonl")
    assert [e["reason"] for e in events if e["event"] == "forfeit"] == ["silent"] * 4


def test_invalid_actions_are_refused_as_over_a_socket(tmp_path):
    config = load(
        BUYER_SELLER,
        "parties.seller.strategy='agents.testing:AlwaysInvalid'",
        "negotiation.deadline=3",
    )
    results = [
        run(config, RunOptions(out=tmp_path / transport, transport=transport))
        for transport in ("direct", "inproc")
    ]
    direct, inproc = (r.summary for r in results)
    assert direct.conduct.invalid_actions["seller"] == 9
    assert direct.final_digest == inproc.final_digest


def test_the_log_of_a_direct_run_reexecutes(tmp_path):
    result = run(load(DEFAULT), RunOptions(out=tmp_path, transport="direct"))
    report = verify(result.run_dir, reexecute=True)
    assert report.ok and report.finished, report.message


def test_the_command_line_offers_every_transport():
    from typing import get_args

    from negotiator.cli.parser import TRANSPORTS
    from negotiator.io.bus import Transport

    assert get_args(Transport) == TRANSPORTS


def test_sweeps_and_tournaments_run_direct_by_default():
    import inspect

    from negotiator.cli.parser import build_parser
    from negotiator.experiments.sweep import execute
    from negotiator.experiments.tournament import play_tournament

    assert inspect.signature(execute).parameters["transport"].default == "direct"
    assert inspect.signature(play_tournament).parameters["transport"].default == "direct"
    parser = build_parser()
    assert parser.parse_args(["sweep", "x.toml"]).transport == "direct"
    assert parser.parse_args(["tournament", "x.toml"]).transport == "direct"


@pytest.mark.parametrize("transport", ["direct", "ipc"])
def test_a_strategy_that_calls_sys_exit_fails_like_any_other(transport, tmp_path):
    config = load(
        DEFAULT,
        *SAOP_DEFAULT,
        "parties.jinyun.strategy='agents.testing:Exits'",
        "negotiation.deadline=4",
        "negotiation.turn_timeout=1.0",
        "mediator.heartbeat_timeout=1",
    )
    result = run(config, RunOptions(out=tmp_path, transport=transport))
    events = read_events(result.run_dir / "events.jsonl")
    errors = [e for e in events if e["event"] == "agent_error"]
    assert [e["party"] for e in errors] == ["jinyun"]
    assert errors[0]["message"] == "jinyun: SystemExit: 4"
    assert result.summary.negotiation.forfeits["jinyun"] >= 3
    assert events[-1]["event"] == "run_finished"


def test_direct_agents_record_and_time_what_they_receive(tmp_path, monkeypatch):
    import json

    from negotiator.agents.process import RECORD_ENV, TIMING_ENV

    monkeypatch.setenv(RECORD_ENV, str(tmp_path / "record"))
    monkeypatch.setenv(TIMING_ENV, str(tmp_path / "timing"))
    result = run(load(DEFAULT, *SAOP_DEFAULT), RunOptions(out=tmp_path, transport="direct"))
    events = read_events(result.run_dir / "events.jsonl")
    asked = sum(1 for e in events if e["event"] == "request" and e.get("party") == "wuyi")
    timed = json.loads(next((tmp_path / "timing").glob("wuyi-*.json")).read_text())
    assert len(timed["microseconds"]["saop_turn"]) == asked > 0
    received = [
        json.loads(line) for line in (tmp_path / "record" / "wuyi.jsonl").read_text().splitlines()
    ]
    kinds = [m["body"].get("kind") for m in received if m["type"] == "request"]
    assert kinds.count("saop_turn") == asked and received[0]["type"] == "welcome"
