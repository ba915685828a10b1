"""The hash-chained event log."""

import json

from negotiator.eventlog import EventLog, chain, read_events, verify_chain


def write(path, n=3):
    log = EventLog(path)
    for i in range(n):
        log.emit("step", round=i, pid=1000 + i, value=i * 0.5)
        log.flush()
    log.close()
    return log


def test_chain_verifies_and_volatile_fields_do_not_count(tmp_path):
    a = write(tmp_path / "a.jsonl")
    events = read_events(tmp_path / "a.jsonl")
    assert verify_chain(events) is None and events[-1]["digest"] == a.digest
    for e in events:  # wall clock and pids differ between runs, the digest must not
        e["ts"], e["pid"] = "2000-01-01T00:00:00Z", 1
    assert verify_chain(events) is None


def test_tampering_with_any_other_field_is_detected(tmp_path):
    write(tmp_path / "a.jsonl")
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    event = json.loads(lines[1])
    event["value"] = 99
    lines[1] = json.dumps(event)
    events = [json.loads(line) for line in lines]
    assert verify_chain(events) == 2


def test_same_events_give_same_digest_regardless_of_time(tmp_path):
    assert write(tmp_path / "a.jsonl").digest == write(tmp_path / "b.jsonl").digest
    assert chain("0" * 64, {"event": "x"}) != chain("0" * 64, {"event": "y"})


def test_unflushed_lines_are_not_on_disk_and_prefix_stays_valid(tmp_path):
    log = EventLog(tmp_path / "c.jsonl")
    log.emit("one")
    log.flush()
    log.emit("two")  # a crash here loses only the unflushed line
    assert [e["event"] for e in read_events(tmp_path / "c.jsonl")] == ["one"]
    log.close()
    events = read_events(tmp_path / "c.jsonl")
    assert [e["event"] for e in events] == ["one", "two"] and verify_chain(events) is None
