"""Phase 2 end to end: enforcement and promotion pressure move compliance the way theory says,
shocks reopen a renegotiable contract, the summary reports it all, bad values are refused."""

from __future__ import annotations

import json
from statistics import mean

import pytest

from negotiator.io.eventlog import read_events, verify_chain
from negotiator.model.game import Dilemma, Terms
from negotiator.protocols.compliance import ComplianceGame
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import DEFAULT, ROOT, cli, load

PD = ROOT / "configs" / "scenarios" / "prisoners_dilemma.toml"


def three_governments(*overrides: str) -> list[str]:
    """The PD config with three governments: a myopic best responder, a generous mirror, a
    forgiving mirror; market noise; 30 periods."""
    return [
        "parties.third={compliance='tit_for_two_tats'}",
        "parties.row.compliance='best_response'",
        "parties.col.compliance='generous_tit_for_tat'",
        "implementation.periods=30",
        "implementation.noise=0.5",
        "implementation.detection=0.5",
        "implementation.penalty=3.0",
        *overrides,
    ]


def compliance(runs_dir, *overrides: str, seeds=(1, 2, 3)) -> float:
    rates = []
    for seed in seeds:
        config = load(PD, *three_governments(*overrides), seed=seed)
        summary = run(config, RunOptions(out=runs_dir, transport="inproc")).summary
        rates.append(summary.implementation.compliance_rate)
    return mean(rates)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("low", "high"),
    [
        (["implementation.detection=0.2"], ["implementation.detection=0.95"]),  # p
        (["implementation.penalty=0.5"], ["implementation.penalty=6.0"]),  # F
        (
            ["implementation.subsidy=0.0"],
            ["implementation.subsidy=3.0", "implementation.budget=1000.0"],
        ),  # s
    ],
    ids=["detection", "penalty", "subsidy"],
)
def test_stronger_enforcement_raises_compliance(runs_dir, low, high):
    assert compliance(runs_dir, *high) > compliance(runs_dir, *low)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("deterrence", "falls"),
    [
        # p·F = 2.2 just deters at λ = 0 (gain 2); with λ a defection also takes
        # (R − S)/(N − 1) = 1.5 from each rival and gives them p·F/(N − 1) = 1.1:
        # G(λ) = −0.2 + 0.2·λ > 0 from λ = 1 on
        (["implementation.penalty=2.2", "implementation.detection=1.0"], True),
        # p·F = 3.6: the fine the rivals receive outweighs the harm, G(λ) = −1.6 − 1.9·λ
        (["implementation.penalty=4.0", "implementation.detection=0.9"], False),
    ],
    ids=["harm-exceeds-fine-share", "fine-share-exceeds-harm"],
)
def test_promotion_pressure_lowers_compliance_only_where_rivalry_pays(runs_dir, deterrence, falls):
    calm = compliance(runs_dir, *deterrence)
    pressured = compliance(
        runs_dir, *deterrence, *(f"parties.{p}.promotion=1.5" for p in ("row", "col", "third"))
    )
    assert (pressured < calm) is falls
    if not falls:
        assert pressured == pytest.approx(calm)


def test_engine_enforcement_arithmetic():
    game = ComplianceGame(("a", "b", "c"), seed=1, noise=0.0, discount=0.9)
    pd = Dilemma(R=3, S=0, T=5, P=1)
    terms = Terms(in_force=True, detection=1.0, penalty=2.0, subsidy=1.0, budget=2.5)
    state = game.initial(terms.budget)
    state, result, _ = game.play(
        state, {"a": "D", "b": "C", "c": "C"}, dict.fromkeys("abc", pd), terms, {"a": 1.0}
    )
    assert result.stage == {"a": 5.0, "b": 1.5, "c": 1.5}
    assert result.detected == ("a",)
    assert result.fines_paid["a"] == 2.0 and result.fines_received == {"a": 0, "b": 1, "c": 1}
    # subsidy 1 each to the two not detected, within the budget of 2.5
    assert result.subsidies == {"a": 0.0, "b": 1.0, "c": 1.0} and state.budget_left == 0.5
    assert result.payoffs == {"a": 3.0, "b": 3.5, "c": 3.5}
    assert result.decision_utilities["a"] == pytest.approx(3.0 + 1.0 * (3.0 - 3.5))
    state, result, _ = game.play(
        state, {"a": "C", "b": "C", "c": "C"}, dict.fromkeys("abc", pd), terms, {}
    )
    assert result.subsidies == dict.fromkeys("abc", 0.5 / 3)  # the rest of the budget, shared
    assert state.discounted["b"] == pytest.approx(3.5 + 0.9 * (3.0 + 0.5 / 3))


@pytest.mark.slow
@pytest.mark.usefixtures("no_leftover_processes")
def test_default_scenario_runs_both_phases(runs_dir):
    proc = cli("run", str(DEFAULT), "--json", "--out", str(runs_dir))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    impl = summary["implementation"]
    for key in (
        "compliance_rate",
        "compliance_by_government",
        "compliance_by_period",
        "detections",
        "penalties",
        "subsidies",
        "cumulative_payoffs",
        "discounted_payoffs",
        "cluster_output",
        "contract_survived",
        "renegotiations",
        "delta_star",
        "delta_star_max",
    ):
        assert key in impl
    assert len(impl["compliance_by_period"]) == 20
    events = read_events(runs_dir / summary["run_id"] / "events.jsonl")
    kinds = {e["event"] for e in events}
    assert {"implementation_start", "period", "period_end", "shock"} <= kinds
    assert verify_chain(events) is None


@pytest.mark.slow
def test_phase2_with_shocks_is_deterministic(runs_dir):
    config = load(
        DEFAULT,
        "implementation.shocks=[{kind='demand', rate=0.3, factor=0.8}, "
        "{kind='incident', rate=0.2, damage=4.0}, {kind='rotation', at=[3], promotion=2.0}]",
        seed=5,
    )
    digests = {
        run(config, RunOptions(out=runs_dir, transport=t)).summary.final_digest
        for t in ("inproc", "ipc")
    }
    assert len(digests) == 1


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("implementation.detection=1.5", "implementation.detection"),
        ("implementation.payoffs={R=3, S=0, T=2, P=1}", "not a Prisoner's Dilemma"),
        ("parties.row.compliance='angel'", "parties.row.compliance: unknown compliance strategy"),
        ("implementation.budget=-5", "implementation.budget"),
        ("implementation.shocks=[{kind='demand'}]", "shocks[0]: give exactly one of `at`"),
        ("implementation.shocks=[{kind='rotation', at=[1]}]", "a rotation changes"),
        ("implementation.shocks=[{kind='incident', at=[999], damage=1}]", "within 1..200"),
        ("tournament.strategies=['grudger', 'saint']", "tournament.strategies[1]"),
    ],
)
def test_bad_phase2_values_exit_2_in_one_line(override, fragment):
    proc = cli("run", str(PD), "--set", override)
    assert proc.returncode == 2, proc.stderr
    assert fragment in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_regional_welfare_counts_the_superiors_flows(runs_dir):
    # plan and subsidy: the province co-funds the infrastructure and pays subsidies; fines it
    # receives when nobody complies are its income. Transfers cancel out of regional welfare.
    config = load(
        DEFAULT,
        "superior.guidance='plan_and_subsidy'",
        "superior.subsidy=4.0",
        "superior.budget=100.0",
        "implementation.penalty=30.0",
        "implementation.shocks=[{kind='incident', at=[3], government='wuyi', damage=6.0}]",
    )
    impl = run(config, RunOptions(out=runs_dir, transport="inproc")).summary.implementation
    total = sum(impl.cumulative_payoffs.values())
    assert impl.governments_total == pytest.approx(total)
    paid = sum(impl.subsidies.values())
    assert paid > 0
    cofunding = 0.3 * 10.0 * impl.periods
    assert impl.superior_cofunding == pytest.approx(cofunding)
    assert impl.superior_net == pytest.approx(impl.fines_to_superior - paid - cofunding)
    assert impl.regional_welfare == pytest.approx(total + impl.superior_net)
    incidents = 6.0 * (1 - 0.5)  # the strict standard of the plan halves the damage
    assert impl.regional_welfare == pytest.approx(impl.cluster_output - incidents - cofunding)
