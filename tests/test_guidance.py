"""The superior's guidance, audited declarations and single-text voting, end to end."""

from __future__ import annotations

import tomllib
from statistics import mean

import pytest

from negotiator.config import apply_overrides, config_from_dict
from negotiator.io.eventlog import read_events
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import DEFAULT, cli

pytestmark = pytest.mark.slow


def phase1(*overrides: str, seed: int = 1):
    """The default case without phase 2 (faster), with overrides."""
    data = tomllib.loads(DEFAULT.read_text())
    del data["implementation"]
    data = apply_overrides(data, list(overrides))
    data["run"]["seed"] = seed
    return config_from_dict(data)


def test_single_text_agrees_on_the_default_case(runs_dir):
    summary = run(phase1(), RunOptions(out=runs_dir, transport="inproc")).summary
    assert summary.negotiation.agreement and summary.protocol == "single_text"
    assert summary.guidance.superior == "zhejiang" and summary.guidance.plan.text is not None
    assert summary.negotiation.pareto_distance == pytest.approx(0.0, abs=1e-9)


def test_a_superior_plan_shortens_the_negotiation(runs_dir):
    rounds = {}
    for guidance in ("none", "plan"):
        per_seed = []
        for seed in range(1, 21):
            config = phase1(f"superior.guidance='{guidance}'", seed=seed)
            summary = run(config, RunOptions(out=runs_dir, transport="inproc")).summary
            assert summary.negotiation.agreement, (guidance, seed)
            per_seed.append(summary.negotiation.agreement_round)
        rounds[guidance] = mean(per_seed)
    assert rounds["plan"] < rounds["none"], rounds


def test_plan_and_subsidy_pays_the_subsidy_in_phase_2(runs_dir):
    data = tomllib.loads(DEFAULT.read_text())
    data = apply_overrides(
        data,
        [
            "superior.guidance='plan_and_subsidy'",
            "superior.subsidy=2.0",
            "superior.budget=30.0",
            "implementation.periods=6",
            "implementation.shocks=[]",
        ],
    )
    summary = run(config_from_dict(data), RunOptions(out=runs_dir, transport="inproc")).summary
    plan = summary.guidance.plan
    assert plan.subsidy == 2.0 and plan.budget == 30.0
    impl = summary.implementation
    paid = sum(impl.subsidies.values())
    assert 0 < paid <= 30.0 + 1e-9
    assert impl.subsidy_budget_left == pytest.approx(30.0 - paid)


def misreport(runs_dir, transparency: str, mode: str):
    config = phase1(
        f"mediator.transparency='{transparency}'",
        f"parties.wuyi.declaration='{mode}'",
        "parties.wuyi.exaggeration=0.5",
    )
    result = run(config, RunOptions(out=runs_dir, transport="inproc"))
    return result.summary, read_events(result.run_dir / "events.jsonl")


def test_a_misreporter_gains_under_public_and_is_caught_under_audited(runs_dir):
    honest, _ = misreport(runs_dir, "public", "truthful")
    liar, _ = misreport(runs_dir, "public", "exaggerate")
    # the plan took its claim
    assert liar.negotiation.utilities["wuyi"] > honest.negotiation.utilities["wuyi"]
    assert liar.guidance.declarations["wuyi"]["firms"] == pytest.approx(4.5)
    assert liar.guidance.misreports == ()

    audited_honest, _ = misreport(runs_dir, "audited", "truthful")
    audited_liar, events = misreport(runs_dir, "audited", "exaggerate")
    assert audited_liar.guidance.misreports == ("wuyi",)
    assert audited_honest.guidance.misreports == ()
    caught = [e for e in events if e["event"] == "misreport_detected"]
    assert len(caught) == 1 and caught[0]["party"] == "wuyi"
    assert caught[0]["verified"]["firms"] == 3.0 and caught[0]["claimed"]["firms"] == 4.5
    assert audited_liar.negotiation.utilities["wuyi"] == pytest.approx(
        audited_honest.negotiation.utilities["wuyi"]
    )
    assert audited_liar.guidance.plan.based_on == "verified"


@pytest.mark.parametrize("faulty", ["StaleVoter", "ImpostorVoter"])
def test_bad_votes_get_an_error_and_change_nothing(runs_dir, faulty):
    clean = run(phase1(), RunOptions(out=runs_dir, transport="inproc"))
    config = phase1(f"parties.jinyun.strategy='agents.testing:{faulty}'")
    result = run(config, RunOptions(out=runs_dir, transport="inproc"))
    events = read_events(result.run_dir / "events.jsonl")
    invalid = [e for e in events if e["event"] == "invalid_action"]
    reason = "a vote on a stale text" if faulty == "StaleVoter" else "a vote for another party"
    assert invalid and all(e["party"] == "jinyun" and reason in e["reason"] for e in invalid)
    faulted, honest = result.summary.negotiation, clean.summary.negotiation
    assert faulted.forfeits["jinyun"] == 0
    # the corrected votes are the honest ones: the negotiation ends exactly as without faults
    assert faulted.contract == honest.contract
    assert faulted.agreement_round == honest.agreement_round


def test_unknown_guidance_exits_2():
    proc = cli("run", str(DEFAULT), "--set", "superior.guidance='command'")
    assert proc.returncode == 2 and "superior.guidance" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
