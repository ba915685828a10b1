"""Renegotiation that can rebalance a contract, and survival measured honestly (docs/model.md §6).

A demand collapse makes the default contract pay Yongkang less than its breakdown value and pushes
its δ* above δ; the renegotiation, from the breakdown point, finds a contract that is
self-enforcing again (a penalty that deters, a cost split and side payments that rebalance) and
Yongkang keeps it; without the clause Yongkang breaks the contract for good.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from negotiator.io.eventlog import read_events
from negotiator.runtime.runner import RunOptions, run
from negotiator.runtime.summary import survival_of
from tests.conftest import DEFAULT, SAOP_DEFAULT, load

COLLAPSE = (
    "implementation.shocks=[{kind='demand', at=[5], factor=0.05}]",
    "implementation.discount=0.75",
    "implementation.noise=0.0",
    *(f"parties.{p}.compliance='conditional_cooperator'" for p in ("yongkang", "wuyi", "jinyun")),
)


@pytest.fixture(scope="module")
def arms(tmp_path_factory):
    out = tmp_path_factory.mktemp("renegotiation")
    return {
        arm: run(
            load(DEFAULT, *COLLAPSE, f"implementation.renegotiation='{arm}'"),
            RunOptions(out=out, transport="inproc"),
        ).summary
        for arm in ("always", "never")
    }


@pytest.mark.slow
def test_a_shock_that_breaks_self_enforcement_is_renegotiated_and_the_new_contract_kept(arms):
    impl = arms["always"].implementation
    assert impl.renegotiations == 1 and impl.contract_changes == 1
    record = impl.renegotiation_log[0]
    assert record["period"] == 5 and record["status"] == "agreed" and record["changed"]
    assert record["contract"] != arms["always"].negotiation.contract
    assert record["contract"]["penalty"] != "none"  # a fine that deters now
    # who triggered it and why: Yongkang, paid less than its breakdown value, δ* > δ
    events = read_events(Path(arms["always"].log))
    trigger = next(e for e in events if e["event"] == "renegotiation_triggered")
    assert trigger["governments"] == ["yongkang"]
    assert trigger["delta_star"]["yongkang"] > 0.75
    assert trigger["value"]["yongkang"] < trigger["breakdown"]["yongkang"]
    # the new contract is self-enforcing for everyone, and everyone keeps it
    after = impl.delta_star_history[-1]
    assert after["period"] == 5 and all(after["sustainable"].values())
    assert set(impl.moves["yongkang"]) == {"C"}
    assert impl.contract_survived is True and impl.breakdown_period is None
    # the side payments sum to zero
    assert sum(impl.transfers.values()) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.slow
def test_without_the_clause_the_government_breaks_the_contract_for_good(arms):
    impl = arms["never"].implementation
    assert impl.renegotiations == 0 and impl.contract_changes == 0
    assert impl.moves["yongkang"] == "C" * 4 + "D" * 16
    assert impl.contract_survived is False
    assert impl.breakdown_period == 5
    assert impl.breakdown_by_government["yongkang"] == 5


@pytest.mark.slow
def test_the_renegotiation_log_verifies(arms):
    from negotiator.replay import verify

    report = verify(Path(arms["always"].log).parent, reexecute=True)
    assert report.ok and report.finished, report.message


def test_survival_one_government_breaking_for_good_is_no_survival():
    # compliance over the last five periods is 2/3 ≥ 0.5: the earlier definition said "survived"
    moves = {"a": "C" * 10 + "D" * 10, "b": "C" * 20, "c": "C" * 20}
    out = survival_of(moves, window=5)
    assert out["survived"] is False and out["breakdown"] == 11
    assert out["kept"] == {"a": False, "b": True, "c": True}


def test_survival_a_lapse_is_not_a_breakdown():
    moves = {"a": "C" * 17 + "D" + "CC", "b": "C" * 20}
    out = survival_of(moves, window=5)
    assert out["survived"] is False and out["breakdown"] is None
    out = survival_of({"a": "C" * 5 + "D" + "C" * 14, "b": "C" * 20}, window=5)
    assert out["survived"] is True


@pytest.mark.slow
def test_the_threshold_trigger_still_works(tmp_path):
    config = load(
        DEFAULT,
        "implementation.shocks=[{kind='demand', at=[5], factor=0.5}]",
        "implementation.renegotiation_trigger='threshold'",
        "implementation.renegotiation='always'",
    )
    summary = run(config, RunOptions(out=tmp_path, transport="inproc")).summary
    impl = summary.implementation
    assert impl.renegotiations == 1 and impl.renegotiation_log[0]["period"] == 5
    # the contract was still self-enforcing for everyone: rejecting the renegotiation would
    # leave it standing, so the status quo, not breakdown, is what each must be offered
    start = next(e for e in read_events(Path(summary.log)) if e["event"] == "renegotiation_start")
    assert start["disagreement"] == "status_quo"
    assert all(start["reservation"][p] > start["breakdown"][p] for p in start["breakdown"])


def test_transfers_in_force_are_the_status_quo_of_the_next_renegotiation():
    from negotiator.model.renegotiation import reopen
    from negotiator.runtime.runner import prepare

    setting = prepare(load(DEFAULT)).setting
    parties = setting.domain.parties
    zero = {p: tuple(0.0 for _ in range(i.size)) for p in parties for i in setting.domain.issues}
    tables = {p: tuple(zero[p] for _ in setting.domain.issues) for p in parties}
    reopened = reopen(
        setting, tables, dict.fromkeys(parties, 0.0), dict.fromkeys(parties, 0.0), 24.0, 4
    )
    contract = tuple(0 for _ in setting.domain.issues)
    paid = {"yongkang": -4.0, "wuyi": 2.0, "jinyun": 2.0}  # on the grid of 24/12 = 2
    outcome = reopened.join(contract, paid)
    back, transfers = reopened.split(outcome)
    assert back == contract
    assert transfers == pytest.approx(paid)
    _, none = reopened.split(reopened.join(contract))
    assert none == pytest.approx(dict.fromkeys(parties, 0.0))


class _Quiet:
    """A bus nobody speaks on (the mediator's sends go nowhere)."""

    endpoint = ""
    authenticator = None

    def recv(self, timeout_s):
        return None

    def send(self, identity, payload):
        pass

    def close(self):
        pass


def test_an_agent_that_rejoins_after_a_renegotiation_gets_the_renegotiation_context(
    monkeypatch,
):
    """A restarted agent is welcomed with the context of the negotiation under way: phase 1's
    before the contract is reopened, the latest renegotiation's after (it used to get phase 1's
    domain under the renegotiation's session number)."""
    from negotiator.io.eventlog import EventLog
    from negotiator.mediator import coordinator
    from negotiator.runtime.runner import prepare

    config = load(DEFAULT, *SAOP_DEFAULT)
    setting = prepare(config).setting
    assert setting is not None
    mediator = coordinator.Mediator(config, setting, _Quiet(), EventLog.null())
    before = mediator.welcome("wuyi").negotiation
    assert before is not None and (before.session, before.protocol) == (0, "saop")

    def no_rounds(self, tabled, env, now=0):  # the renegotiation's ballots are not the point
        yield from ()
        return SimpleNamespace(agreement=None)

    monkeypatch.setattr(coordinator.SingleText, "run", no_rounds)
    utilities = {p: setting.utilities[p] for p in config.party_names}
    mediator.renegotiate(
        setting.domain, utilities, (0,) * len(setting.domain.issues), 3.0,
        package=1, admissible=lambda outcome: True,
    )  # fmt: skip
    after = mediator.welcome("wuyi").negotiation
    assert after is not None and (after.session, after.protocol) == (1, "single_text")
