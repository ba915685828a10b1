"""Replay: verification of real logs, tampering, truncation by a killed mediator, versions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from negotiator.eventlog import GENESIS, chain
from negotiator.replay import timeline, verify
from negotiator.runner import RunOptions, run
from tests.conftest import DEFAULT, ROOT, SAOP_DEFAULT, cli, load, wait_for_log
from tests.test_renegotiation import COLLAPSE

PD = ROOT / "configs" / "scenarios" / "prisoners_dilemma.toml"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    out = tmp_path_factory.mktemp("replay-runs")
    configs = {
        "default": load(DEFAULT),
        "saop": load(DEFAULT, *SAOP_DEFAULT),
        "pd": load(PD),
        "renegotiation": load(DEFAULT, *COLLAPSE, "implementation.renegotiation='always'"),
        "faults": load(
            DEFAULT, *SAOP_DEFAULT, "parties.wuyi.strategy='negotiator.testing:InvalidOnce'"
        ),
    }
    return {name: run(c, RunOptions(out=out, transport="inproc")) for name, c in configs.items()}


def rechained(events: list[dict], folder: Path) -> Path:
    """Write ``events`` to ``folder`` as a forger would: every digest recomputed."""
    previous = GENESIS
    for event in events:
        event["digest"] = chain(previous, event)
        previous = event["digest"]
    folder.mkdir()
    (folder / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    return folder


@pytest.mark.parametrize("name", ["default", "saop", "pd", "renegotiation", "faults"])
def test_real_logs_verify(logs, name):
    result = logs[name]
    report = verify(result.run_dir)
    assert report.ok and report.finished, report.message
    assert result.summary["final_digest"] in report.message


def test_the_renegotiation_log_has_a_renegotiation(logs):
    impl = logs["renegotiation"].summary["implementation"]
    assert impl["renegotiations"] == 1 and impl["renegotiation_log"][0]["changed"]


def tamper(src: Path, dst: Path, line: int, edit) -> Path:
    dst.mkdir()
    lines = (src / "events.jsonl").read_text().splitlines()
    event = json.loads(lines[line - 1])
    edit(event)
    lines[line - 1] = json.dumps(event, ensure_ascii=False)
    (dst / "events.jsonl").write_text("\n".join(lines) + "\n")
    return dst


def test_an_edited_value_fails_with_exit_4_naming_the_line(logs, tmp_path):
    src = logs["saop"].run_dir
    events = [json.loads(x) for x in (src / "events.jsonl").read_text().splitlines()]
    line = next(e["line"] for e in events if e["event"] == "offer")

    def edit(event):
        split = event["outcome"]["surplus_split"]
        first, second = list(split)[:2]
        split[first], split[second] = split[second], split[first]

    copy = tamper(src, tmp_path / "copy", line, edit)
    proc = cli("replay", str(copy), "--verify")
    assert proc.returncode == 4
    assert f"line {line}" in proc.stderr and "recorded" in proc.stderr
    # a volatile field (the wall clock) may change without consequence
    clean = tamper(src, tmp_path / "clean", line, lambda e: e.update(ts="2000-01-01T00:00:00Z"))
    assert cli("replay", str(clean), "--verify").returncode == 0


def test_a_forger_who_recomputes_the_chain_is_caught_by_re_execution(logs, tmp_path):

    src = logs["pd"].run_dir
    events = [json.loads(x) for x in (src / "events.jsonl").read_text().splitlines()]
    period = next(e for e in events if e["event"] == "period")
    period["payoffs"]["row"] += 1.0  # claim a better payoff, and fix up every digest after it
    report = verify(rechained(events, tmp_path / "forged"))
    assert not report.ok and report.line == period["line"] and report.field == "payoffs.row"


def test_a_killed_mediator_leaves_a_verifiable_prefix_and_no_agent(tmp_path):
    out = tmp_path / "runs"
    args = [
        sys.executable,
        str(ROOT / "run.py"),
        "run",
        str(DEFAULT),
        "--out",
        str(out),
        *[x for o in SAOP_DEFAULT for x in ("--set", o)],
        "--set",
        "parties.jinyun.strategy='negotiator.testing:Silent'",
        "--set",
        "negotiation.turn_timeout=0.3",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        log = wait_for_log(out, '"round_end"', 3)  # the run got going
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    events = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
    pids = [e["pid"] for e in events if e["event"] == "agent_joined"]
    gone = time.monotonic() + 5
    while time.monotonic() < gone and any(_alive(p) for p in pids):
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids), "an agent survived its mediator"
    report = verify(log.parent)
    assert report.ok and not report.finished
    assert "did not finish" in report.message
    proc2 = cli("replay", str(log.parent), "--verify")
    assert proc2.returncode == 0 and "did not finish" in proc2.stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_newer_protocol_version_is_refused(logs, tmp_path):
    copy = tamper(
        logs["pd"].run_dir, tmp_path / "new", 1, lambda e: e["versions"].update(protocol=99)
    )
    proc = cli("replay", str(copy), "--verify")
    assert proc.returncode == 2 and "protocol version 99" in proc.stderr


def test_a_log_of_an_older_model_verifies_its_chain_and_says_it_was_not_re_executed(logs, tmp_path):
    events = [json.loads(line) for line in (logs["pd"].run_dir / "events.jsonl").open()]
    events[0]["versions"]["negotiator"] = "0.1.0"
    folder = rechained(events, tmp_path / "old")
    report = verify(folder)
    assert report.ok and report.finished
    assert "not re-executed" in report.message and "0.1.0" in report.message
    proc = cli("replay", str(folder), "--until", "3")
    assert proc.returncode == 2 and "written by negotiator 0.1.0" in proc.stderr


def test_timeline_lists_actions_with_what_they_were_worth(logs):
    from negotiator.eventlog import read_events

    events = read_events(logs["saop"].run_dir / "events.jsonl")
    rows = timeline(events, until=2)
    assert rows and all(r.get("step") is None or r["step"] <= 2 for r in rows if r["phase"] == 1)
    offers = [r for r in rows if r["action"] == "offer"]
    assert offers and set(offers[0]["utilities"]) == {"yongkang", "wuyi", "jinyun"}
    proc = cli("replay", str(logs["pd"].run_dir), "--json", "--until", "3")
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    periods = [r["step"] for r in lines if r["action"] == "period"]
    assert proc.returncode == 0 and periods == [1, 2, 3]


@pytest.mark.parametrize("name", ["default", "saop", "pd", "renegotiation", "faults"])
def test_reexecuted_agents_take_every_recorded_action(logs, name):
    report = verify(logs[name].run_dir, reexecute=True)
    assert report.ok, report.message
    assert "every agent's decision" in report.message


def test_reexecution_catches_a_log_whose_strategies_were_swapped(logs, tmp_path):

    src = logs["saop"].run_dir
    events = [json.loads(x) for x in (src / "events.jsonl").read_text().splitlines()]
    events[0]["config"]["parties"]["wuyi"]["strategy"] = "conceder"  # claim another strategy
    assert verify(
        rechained(events, tmp_path / "swapped")
    ).ok  # the mediator's part is consistent ...
    report = verify(tmp_path / "swapped", reexecute=True)
    assert not report.ok and "wuyi would send" in report.message  # ... the agents' is not


def _content(event):
    return {
        k: v
        for k, v in event.items()
        if k not in ("line", "digest", "ts", "pid", "host", "runtime", "wall_ms")
    }


@pytest.mark.parametrize(
    ("point", "override", "phase", "step"),
    [
        ("period:5", "parties.yongkang.compliance='defector'", 2, 5),
        ("10", "parties.wuyi.strategy='boulware'", 1, 10),
    ],
)
def test_a_branch_repeats_the_parent_then_differs(logs, tmp_path, point, override, phase, step):
    from negotiator.eventlog import read_events
    from negotiator.replay import branch

    parent_dir = logs["saop"].run_dir
    parent = read_events(parent_dir / "events.jsonl")
    summary = branch(parent_dir, point, [override], tmp_path)
    child = read_events(Path(summary["log"]))
    assert child[0]["event"] == "branched_from"
    assert child[0]["parent_digest"] == parent[-1]["digest"] and child[0]["after"] == step
    applied = next(i for i, e in enumerate(child) if e["event"] == "branch_applied")
    prefix = child[1:applied]
    assert [_content(e) for e in prefix] == [_content(e) for e in parent[: len(prefix)]]
    boundary = "period_end" if phase == 2 else "round_end"
    assert prefix[-1]["event"] == boundary or any(e["event"] == boundary for e in prefix[-3:])
    if phase == 2:
        moves = summary["implementation"]["moves"]["yongkang"]
        parent_moves = logs["saop"].summary["implementation"]["moves"]["yongkang"]
        assert moves[:step] == parent_moves[:step] and set(moves[step:]) == {"D"}
        assert moves != parent_moves
    else:
        assert summary["contract"] != logs["saop"].summary["contract"] or (
            summary["agreement_round"] != logs["saop"].summary["agreement_round"]
        )
    report = verify(Path(summary["log"]).parent, reexecute=True)
    assert report.ok, report.message


def test_plots_are_written_next_to_the_log(logs):
    run_dir = logs["saop"].run_dir
    proc = cli("replay", str(run_dir), "--plot")
    assert proc.returncode == 0, proc.stderr
    for name in ("negotiation_dance.png", "compliance_heatmap.png"):
        data = (run_dir / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    rub = run(
        load(ROOT / "configs/scenarios/rubinstein.toml"),
        RunOptions(out=run_dir.parent, transport="inproc"),
    )
    assert cli("replay", str(rub.run_dir), "--plot").returncode == 0
    assert (rub.run_dir / "negotiation_dance.png").exists()
    assert not (rub.run_dir / "compliance_heatmap.png").exists()  # no phase 2
