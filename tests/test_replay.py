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

from negotiator.io.eventlog import GENESIS, chain
from negotiator.replay import timeline, verify
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import DEFAULT, ROOT, SAOP_DEFAULT, alive, cli, load, wait_for_log
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
            DEFAULT, *SAOP_DEFAULT, "parties.wuyi.strategy='agents.testing:InvalidOnce'"
        ),
        "crash": load(  # wuyi's strategy raises: an agent_error, then wuyi is lost
            DEFAULT,
            *SAOP_DEFAULT,
            "parties.wuyi.strategy='agents.testing:Crashes'",
            "mediator.heartbeat_timeout=1",
            "negotiation.turn_timeout=0.5",
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


ALL = ["default", "saop", "pd", "renegotiation", "faults", "crash"]


@pytest.mark.parametrize("name", ALL)
def test_real_logs_verify(logs, name):
    result = logs[name]
    report = verify(result.run_dir)
    assert report.ok and report.finished, report.message
    assert result.summary.final_digest in report.message


def test_the_crash_log_records_the_error_and_the_loss(logs):
    events = [json.loads(x) for x in (logs["crash"].run_dir / "events.jsonl").open()]
    kinds = [e["event"] for e in events]
    assert "agent_error" in kinds and "agent_lost" in kinds
    assert kinds.index("agent_error") < kinds.index("agent_lost")


def test_an_error_report_from_a_party_that_takes_no_part_fails_in_one_line(logs, tmp_path):
    events = [json.loads(x) for x in (logs["crash"].run_dir / "events.jsonl").open()]
    error = next(e for e in events if e["event"] == "agent_error")
    error["party"] = "nobody"
    report = verify(rechained(events, tmp_path / "forged"))
    assert not report.ok and report.line == error["line"]
    assert report.message == (
        f"line {error['line']} (agent_error): its fields do not fit: an error report from "
        "'nobody', who takes no part"
    )


def test_the_renegotiation_log_has_a_renegotiation(logs):
    impl = logs["renegotiation"].summary.implementation
    assert impl.renegotiations == 1 and impl.renegotiation_log[0]["changed"]


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


def _rechain_with(edit):
    def apply(events: list[dict], folder: Path) -> Path:
        return rechained(edit(events), folder)

    return apply


def _write_lines(edit):
    def apply(events: list[dict], folder: Path) -> Path:
        folder.mkdir()
        lines = edit([json.dumps(e).encode() for e in events])
        (folder / "events.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        return folder

    return apply


def _index(events: list[dict], kind: str, nth: int = 0) -> int:
    return [i for i, e in enumerate(events) if e["event"] == kind][nth]


def _drop_field(events: list[dict], kind: str, name: str) -> list[dict]:
    del events[_index(events, kind, 1)][name]
    return events


def _renumbered_without(events: list[dict], kind: str) -> list[dict]:
    del events[_index(events, kind, 2)]
    for number, event in enumerate(events, start=1):
        event["line"] = number
    return events


CORRUPTIONS = {  # every digest recomputed after the change, unless the lines are written raw
    "deleted": _rechain_with(lambda ev: [*ev[:20], *ev[21:]]),
    "duplicated": _rechain_with(lambda ev: [*ev[:20], dict(ev[20]), *ev[20:]]),
    "reordered": _rechain_with(lambda ev: [*ev[:20], ev[21], ev[20], *ev[22:]]),
    "deleted-renumbered": _rechain_with(lambda ev: _renumbered_without(ev, "offer")),
    "request-deleted-renumbered": _rechain_with(lambda ev: _renumbered_without(ev, "request")),
    "field-missing": _rechain_with(lambda ev: _drop_field(ev, "round_start", "session")),
    "request-field-missing": _rechain_with(lambda ev: _drop_field(ev, "request", "party")),
    "wrong-type": _rechain_with(
        lambda ev: [e | {"turn": {"x": 1}} if e["event"] == "offer" else e for e in ev]
    ),
    "not-an-event": _rechain_with(lambda ev: [*ev[:30], {"event": "offer"}, *ev[31:]]),
    "not-json": _write_lines(lambda lines: [*lines[:30], lines[30][:-9], *lines[31:]]),
    "blank-line": _write_lines(lambda lines: [*lines[:30], b"", *lines[30:]]),
    "not-utf8": _write_lines(lambda lines: [*lines[:30], b"\xff\xfe", *lines[30:]]),
    "huge-integer": _write_lines(
        lambda lines: [
            *lines[:30],
            lines[30].replace(b'"t":', b'"t":' + b"9" * 5000 + b',"u":', 1),
            *lines[31:],
        ]
    ),
    "deep-nesting": _write_lines(lambda lines: [*lines[:30], b"[" * 100_000, *lines[31:]]),
    "lone-surrogate": _write_lines(
        lambda lines: [
            *lines[:30],
            lines[30].replace(b'"event":', b'"x":"\\ud800","event":'),
            *lines[31:],
        ]
    ),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_corrupt_log_fails_in_one_line_naming_where(logs, tmp_path, corruption):
    events = [json.loads(x) for x in (logs["saop"].run_dir / "events.jsonl").open()]
    folder = CORRUPTIONS[corruption](events, tmp_path / corruption)
    proc = cli("replay", str(folder), "--verify")
    assert proc.returncode == 4, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "line " in proc.stderr, proc.stderr
    report = verify(folder)
    assert not report.ok and report.line is not None and report.line <= 31, report.message


def test_a_forger_who_changes_an_agents_decision_and_cuts_the_log_is_caught(logs, tmp_path):
    """Re-execution of the agents also holds for a log that ends with ``run_interrupted``."""
    events = [json.loads(x) for x in (logs["saop"].run_dir / "events.jsonl").open()]
    offer = next(i for i, e in enumerate(events) if e["event"] == "offer" and e["round"] >= 2)
    split = events[offer]["outcome"]["surplus_split"]
    first, second = list(split)[:2]
    split[first], split[second] = split[second], split[first]  # another offer than was made
    cut = [*events[: offer + 3], {"event": "run_interrupted", "signal": "SIGINT"}]
    for number, event in enumerate(cut, start=1):
        event["line"] = number
    folder = rechained(cut, tmp_path / "forged")
    assert verify(folder).ok  # the mediator's part follows from the (forged) actions ...
    report = verify(folder, reexecute=True)
    assert not report.ok and "would send" in report.message  # ... the agents' does not


def test_a_torn_last_line_is_reported_as_torn(logs, tmp_path):
    data = (logs["saop"].run_dir / "events.jsonl").read_bytes()
    lines = data.count(b"\n")
    (tmp_path / "events.jsonl").write_bytes(data[:-40])  # the last line cut 39 bytes short
    proc = cli("replay", str(tmp_path), "--verify")
    assert proc.returncode == 0, proc.stderr
    assert f"verified the first {lines - 1} lines" in proc.stdout
    assert f"line {lines} is torn" in proc.stdout and "not verified" in proc.stdout


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
        "parties.jinyun.strategy='agents.testing:Silent'",
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
    while time.monotonic() < gone and any(alive(p) for p in pids):
        time.sleep(0.1)
    assert not any(alive(p) for p in pids), "an agent survived its mediator"
    report = verify(log.parent)
    assert report.ok and not report.finished
    assert "did not finish" in report.message
    proc2 = cli("replay", str(log.parent), "--verify")
    assert proc2.returncode == 0 and "did not finish" in proc2.stdout


def test_the_log_of_an_agent_that_fails_at_the_join_reexecutes(tmp_path):
    """A strategy that cannot be built: its agent reports the error when welcomed, the run ends
    with ``join_failed``, and the re-created agent must fail in the same way."""
    config = load(DEFAULT, *SAOP_DEFAULT, "parties.wuyi.strategy='agents.testing:BrokenAtStart'")
    with pytest.raises(Exception, match="exited before joining"):
        run(config, RunOptions(out=tmp_path, transport="inproc"))
    log = next(tmp_path.glob("*/events.jsonl"))
    kinds = [json.loads(x)["event"] for x in log.open()]
    assert "agent_error" in kinds and kinds[-2:] == ["join_failed", "run_aborted"]
    report = verify(log.parent, reexecute=True)
    assert report.ok and not report.finished, report.message


def test_the_log_of_a_failed_join_verifies(tmp_path):
    """An agent killed while the others join: the run ends with ``join_failed`` (exit 3), and
    its truthful log verifies and re-executes to the same end."""
    from tests.conftest import children_of

    out = tmp_path / "runs"
    args = [sys.executable, str(ROOT / "run.py"), "run", str(PD), "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not (kids := children_of(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert kids, "no agent started"
        os.kill(kids[0], signal.SIGKILL)  # long before it can have joined (its imports take 0.5 s)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3 and "exited before joining" in err.decode()
    log = next(out.glob("*/events.jsonl"))
    events = [json.loads(x) for x in log.read_text().splitlines()]
    assert [e["event"] for e in events][-2:] == ["join_failed", "run_aborted"]
    report = verify(log.parent, reexecute=True)
    assert report.ok and not report.finished, report.message
    forged = [*events[:-2], dict(events[-2], agents="col (exit -9)"), events[-1]]
    # which agent died is a fact from outside the run, taken from the log: a forger who names
    # another must also change the abort's reason, and then the chain breaks
    assert not verify(rechained(forged, tmp_path / "forged")).ok


def test_a_newer_protocol_version_is_refused(logs, tmp_path):
    events = [json.loads(line) for line in (logs["pd"].run_dir / "events.jsonl").open()]
    events[0]["versions"]["protocol"] = 99  # a genuine newer log: its chain holds
    proc = cli("replay", str(rechained(events, tmp_path / "new")), "--verify")
    assert proc.returncode == 2 and "protocol version 99" in proc.stderr
    # the same change without the chain recomputed is an altered line, not a newer log
    copy = tamper(
        logs["pd"].run_dir, tmp_path / "edited", 1, lambda e: e["versions"].update(protocol=99)
    )
    proc = cli("replay", str(copy), "--verify")
    assert proc.returncode == 4 and "line 1 (run_started) was altered" in proc.stderr


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
    from negotiator.io.eventlog import read_events

    events = read_events(logs["saop"].run_dir / "events.jsonl")
    rows = timeline(events, until=2)
    assert rows and all(r.get("step") is None or r["step"] <= 2 for r in rows if r["phase"] == 1)
    offers = [r for r in rows if r["action"] == "offer"]
    assert offers and set(offers[0]["utilities"]) == {"yongkang", "wuyi", "jinyun"}
    proc = cli("replay", str(logs["pd"].run_dir), "--json", "--until", "3")
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    periods = [r["step"] for r in lines if r["action"] == "period"]
    assert proc.returncode == 0 and periods == [1, 2, 3]


@pytest.mark.parametrize("name", ALL)
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
    from negotiator.io.eventlog import read_events
    from negotiator.replay import branch

    parent_dir = logs["saop"].run_dir
    parent = read_events(parent_dir / "events.jsonl")
    summary = branch(parent_dir, point, [override], tmp_path)
    child = read_events(Path(summary.log))
    assert child[0]["event"] == "branched_from"
    assert child[0]["parent_digest"] == parent[-1]["digest"] and child[0]["after"] == step
    applied = next(i for i, e in enumerate(child) if e["event"] == "branch_applied")
    prefix = child[1:applied]
    assert [_content(e) for e in prefix] == [_content(e) for e in parent[: len(prefix)]]
    boundary = "period_end" if phase == 2 else "round_end"
    assert prefix[-1]["event"] == boundary or any(e["event"] == boundary for e in prefix[-3:])
    if phase == 2:
        moves = summary.implementation.moves["yongkang"]
        parent_moves = logs["saop"].summary.implementation.moves["yongkang"]
        assert moves[:step] == parent_moves[:step] and set(moves[step:]) == {"D"}
        assert moves != parent_moves
    else:
        child_phase1, parent_phase1 = summary.negotiation, logs["saop"].summary.negotiation
        assert child_phase1.contract != parent_phase1.contract or (
            child_phase1.agreement_round != parent_phase1.agreement_round
        )
    report = verify(Path(summary.log).parent, reexecute=True)
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


GOVERNMENTS = ("yongkang", "wuyi", "jinyun")
SHORT = ("implementation.periods=3", "implementation.shocks=[]")


@pytest.mark.parametrize("level", ["public", "audited", "private"])
def test_timeline_says_who_saw_each_declaration(tmp_path, level):
    """Declarations are published to every government under ``public`` and ``audited``; under
    ``private`` only their author (and the mediator) saw them."""
    from negotiator.io.eventlog import read_events

    config = load(DEFAULT, *SHORT, f"mediator.transparency='{level}'")
    assert config.superior is not None  # so that the governments declare
    result = run(config, RunOptions(out=tmp_path, transport="inproc"))
    rows = timeline(read_events(result.run_dir / "events.jsonl"))
    declared = [r for r in rows if r["action"] == "declaration"]
    assert {r["party"] for r in declared} == set(GOVERNMENTS)
    for row in declared:
        seen = set(row["visible_to"].split(", "))
        if level == "private":
            assert seen == {"mediator", row["party"]}
        else:
            assert seen == {"mediator", *GOVERNMENTS}


def _reports(event: dict, message: dict) -> bool:
    """Does ``message`` (as an agent recorded it) report the logged ``event``?"""
    body, kind = message["body"], event["event"]
    if kind == "request":
        if message["type"] != "request" or body.get("kind") != event.get("kind", "saop_turn"):
            return False
        keys = ("round", "turn") if "turn" in event else ("period",) if "period" in event else ()
        return all(body.get(k) == event[k] for k in keys)
    if message["type"] != "event":
        welcome = message["type"] == "welcome" and kind == "agent_joined"
        return welcome and body["party"] == event["party"]
    if kind in ("offer", "accept"):
        same = ("kind", "party", "round", "turn")
        return all(body.get(k) == ({**event, "kind": kind}).get(k) for k in same)
    if kind == "declaration":
        return body.get("kind") == "declarations" and event["party"] in body["resources"]
    if kind == "period":
        return body.get("kind") == "period_report" and body["period"] == event["period"]
    if kind in ("implementation_start", "terms"):
        return body.get("kind") == "stage_game"
    return body.get("kind") == kind  # negotiation_end


@pytest.mark.parametrize("level", ["public", "private"])
def test_visible_to_agrees_with_what_each_agent_received(tmp_path, monkeypatch, level):
    """In a SAOP run every agent records each message it receives: a party saw a logged event
    (:func:`visible_to`) exactly when it made it or was sent a message reporting it."""
    from negotiator.agents.process import RECORD_ENV
    from negotiator.io.eventlog import read_events
    from negotiator.mediator.transparency import visible_to

    folder = tmp_path / "received"
    monkeypatch.setenv(RECORD_ENV, str(folder))
    overrides = [*SHORT, *SAOP_DEFAULT, "negotiation.deadline=6"]
    config = load(DEFAULT, *overrides, f"mediator.transparency='{level}'")
    result = run(config, RunOptions(out=tmp_path / "runs", transport="inproc"))
    events = read_events(result.run_dir / "events.jsonl")
    everyone = [*GOVERNMENTS, "zhejiang"]
    received = {
        p: [json.loads(x) for x in (folder / f"{p}.jsonl").read_text().splitlines()]
        for p in everyone
    }
    kinds = {
        "request",
        "offer",
        "accept",
        "declaration",
        "negotiation_end",
        "period",
        "agent_joined",
    }
    checked = set()
    for event in events:
        if event["event"] not in kinds:
            continue
        seen = visible_to(event, GOVERNMENTS, level)
        author = event.get("party")
        for party in everyone:
            sent = any(_reports(event, m) for m in received[party])
            was_seen = sent or party == author
            assert (party in seen) == was_seen, (party, event)
        checked.add(event["event"])
    assert checked == kinds
    for party in GOVERNMENTS:  # one stage game per announcement of the terms
        terms = [e for e in events if e["event"] in ("implementation_start", "terms")]
        games = [m for m in received[party] if m["body"].get("kind") == "stage_game"]
        assert len(games) == len([e for e in terms if party in visible_to(e, GOVERNMENTS, level)])
