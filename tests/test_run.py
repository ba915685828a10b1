"""End to end: real agent processes on a real ZeroMQ bus, the mediator's clock and log."""

from __future__ import annotations

import json
import os

import pytest

from negotiator.io.eventlog import read_events, verify_chain
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import BUYER_SELLER, DEFAULT, RUBINSTEIN, SAOP_DEFAULT, cli, load

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_leftover_processes")]


def test_default_scenario_agrees_with_each_government_in_its_own_process(runs_dir):
    result = run(load(DEFAULT), RunOptions(out=runs_dir))
    summary = result.summary
    negotiation = summary.negotiation
    assert negotiation.agreement is True and negotiation.contract is not None
    events = read_events(result.run_dir / "events.jsonl")
    assert verify_chain(events) is None
    assert events[0]["event"] == "run_started" and events[0]["config"]["run"]["seed"] == 1
    assert events[0]["versions"]["protocol"] == 1
    joined = {e["party"]: e["pid"] for e in events if e["event"] == "agent_joined"}
    assert set(joined) == {"yongkang", "wuyi", "jinyun", "zhejiang"}  # with the province
    assert len(set(joined.values())) == 4 and os.getpid() not in joined.values()
    assert summary.guidance.superior == "zhejiang" and summary.protocol == "single_text"
    assert summary.origin.mediator_pid == os.getpid()
    for u in negotiation.utilities:  # individually rational
        assert negotiation.utilities[u] >= negotiation.reservation[u]
    assert summary.wall_seconds < 20
    assert (
        json.loads((result.run_dir / "summary.json").read_text())["final_digest"]
        == (events[-1]["digest"])
    )


def test_same_seed_same_digest_on_every_transport(runs_dir):
    config = load(DEFAULT)

    def digest(transport: str) -> str:
        return run(config, RunOptions(out=runs_dir, transport=transport)).summary.final_digest

    digests = {
        (transport, i): digest(transport)
        for transport, i in (("ipc", 0), ("ipc", 1), ("tcp", 0), ("inproc", 0))
    }
    assert len(set(digests.values())) == 1, digests
    other_seed = run(load(DEFAULT, seed=2), RunOptions(out=runs_dir, transport="inproc"))
    assert other_seed.summary.final_digest not in digests.values()


@pytest.mark.parametrize(("d1", "d2"), [(0.9, 0.8), (0.6, 0.7), (0.95, 0.5)])
def test_rubinstein_ends_in_round_one_at_the_spe_share(runs_dir, d1, d2):
    proc = cli(
        "run",
        str(RUBINSTEIN),
        "--json",
        "--out",
        str(runs_dir),
        "--set",
        f"parties.first.discount={d1}",
        "--set",
        f"parties.second.discount={d2}",
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["agreement"] and summary["agreement_round"] == 1
    share = summary["contract"]["pie"]["first"]
    assert abs(share - (1 - d2) / (1 - d1 * d2)) <= 0.01 + 1e-9


def test_json_summary_has_the_documented_fields(runs_dir):
    proc = cli("run", str(BUYER_SELLER), "--json", "--out", str(runs_dir))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)  # stdout is exactly one JSON object
    for key in (
        "agreement",
        "agreement_round",
        "contract",
        "utilities",
        "normalized_utilities",
        "nash_distance",
        "pareto_distance",
        "welfare",
        "final_digest",
        "log",
    ):
        assert key in summary
    assert os.path.exists(summary["log"])


def test_an_invalid_action_gets_an_error_and_the_run_goes_on(runs_dir):
    config = load(DEFAULT, *SAOP_DEFAULT, "parties.wuyi.strategy='agents.testing:InvalidOnce'")
    result = run(config, RunOptions(out=runs_dir))
    events = read_events(result.run_dir / "events.jsonl")
    invalid = [e for e in events if e["event"] == "invalid_action"]
    assert invalid and all(e["party"] == "wuyi" for e in invalid)
    assert "shares must sum to 1" in invalid[0]["reason"]
    # after the error the agent acted again in the same turn: its valid offer follows
    first = events.index(invalid[0])
    follow = next(e for e in events[first:] if e["event"] in ("offer", "accept", "forfeit"))
    assert follow["party"] == "wuyi" and follow["event"] != "forfeit"
    assert follow["turn"] == invalid[0]["turn"]
    assert result.summary.negotiation.forfeits["wuyi"] == 0
    assert result.summary.conduct.invalid_actions["wuyi"] == len(invalid)
    assert result.summary.negotiation.status in ("agreed", "deadline")


def test_a_silent_agent_forfeits_and_the_run_ends_clearly(runs_dir):
    config = load(
        DEFAULT,
        *SAOP_DEFAULT,
        "parties.jinyun.strategy='agents.testing:Silent'",
        "negotiation.turn_timeout=1.0",  # wide enough for the others on a busy machine
        "negotiation.deadline=4",
    )
    result = run(config, RunOptions(out=runs_dir))
    negotiation = result.summary.negotiation
    assert negotiation.agreement is False and negotiation.status == "deadline"
    assert negotiation.forfeits["jinyun"] == 4 and negotiation.forfeits["wuyi"] == 0
    assert negotiation.utilities == negotiation.reservation
    events = read_events(result.run_dir / "events.jsonl")
    assert [e["reason"] for e in events if e["event"] == "forfeit"] == ["silent"] * 4
    assert verify_chain(events) is None


def test_an_always_invalid_agent_forfeits_each_turn_as_invalid(runs_dir):
    config = load(
        BUYER_SELLER,
        "parties.seller.strategy='agents.testing:AlwaysInvalid'",
        "negotiation.turn_timeout=2.0",  # nobody is silent: a wide timeout costs nothing
        "negotiation.deadline=3",
    )
    result = run(config, RunOptions(out=runs_dir))
    summary = result.summary
    assert summary.negotiation.agreement is False
    # each turn: invalid_limit (3) rejected attempts, then the turn is forfeited at once
    # (the last error says "forfeited", so the agent does not try again)
    assert summary.negotiation.forfeits["seller"] == 3
    assert summary.conduct.invalid_actions["seller"] == 9
    events = read_events(result.run_dir / "events.jsonl")
    per_turn = [e["turn"] for e in events if e["event"] == "invalid_action"]
    assert sorted(set(per_turn)) == [1, 3, 5] and len(per_turn) == 9
    assert [e["reason"] for e in events if e["event"] == "forfeit"] == ["invalid"] * 3


def test_agents_time_their_requests_when_asked(runs_dir, tmp_path, monkeypatch):
    from negotiator.agents.process import TIMING_ENV

    monkeypatch.setenv(TIMING_ENV, str(tmp_path / "timing"))
    result = run(load(DEFAULT, *SAOP_DEFAULT), RunOptions(out=runs_dir, transport="ipc"))
    files = {json.loads(p.read_text())["party"]: p for p in (tmp_path / "timing").glob("*.json")}
    assert set(files) == {"yongkang", "wuyi", "jinyun", "zhejiang"}
    assert all(p.name.startswith(f"{n}-{result.pids[n]}-") for n, p in files.items())
    turns: dict[str, int] = {}
    for e in read_events(result.run_dir / "events.jsonl"):
        if e["event"] == "request" and "turn" in e:  # a saop_turn request
            turns[e["party"]] = turns.get(e["party"], 0) + 1
    for party in ("yongkang", "wuyi", "jinyun"):
        timed = json.loads(files[party].read_text())["microseconds"]["saop_turn"]
        assert len(timed) == turns[party] and all(us > 0 for us in timed)
