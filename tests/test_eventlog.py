"""The hash-chained event log."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negotiator.io.eventlog import (
    VOLATILE_FIELDS,
    EventLog,
    canonical,
    canonical_json,
    chain,
    read_events,
    verify_chain,
)


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


# --- the canonical JSON: orjson where it writes the standard library's bytes ------------------

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e-3, max_value=1e-3)  # where orjson writes decimals or short exponents
    | st.sampled_from([1e-05, 1.5e-07, -2e-09, 0.0001, 1e16, 1e22, 5e-324, -0.0])
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _json_values, max_size=6))
def test_canonical_is_the_standard_librarys_canonical_json(fields):
    expected = json.dumps(
        {k: v for k, v in fields.items() if k not in VOLATILE_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    assert canonical(fields) == expected
    values = list(fields.values())  # any JSON value, as state digests hash them
    assert (
        canonical_json(values)
        == json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _json_values, max_size=6))
def test_every_line_reads_back_to_its_fields_and_verifies(tmp_path_factory, fields):
    path = tmp_path_factory.mktemp("log") / "events.jsonl"
    log = EventLog(path)
    log.emit("step", fields=fields)
    log.close()
    (event,) = read_events(path)
    assert verify_chain([event]) is None
    # the same values (NaN is the one value unequal to itself: compare the canonical bytes)
    assert canonical({"fields": event["fields"]}) == canonical({"fields": fields})


def test_values_orjson_cannot_write_exactly_are_written_by_the_standard_library(tmp_path):
    log = EventLog(tmp_path / "e.jsonl")
    log.emit("step", tiny=1e-05, tinier=1.5e-07)  # orjson: 0.00001 and 1.5e-7, the same floats
    log.emit("step", nan=float("nan"), inf=float("-inf"), big=2**70)  # orjson: null, an error
    log.close()
    _first, second = (tmp_path / "e.jsonl").read_text().splitlines()
    assert '"nan":NaN' in second and '"inf":-Infinity' in second and f'"big":{2**70}' in second
    events = read_events(tmp_path / "e.jsonl")
    assert verify_chain(events) is None
    assert events[0]["tiny"] == 1e-05 and events[0]["tinier"] == 1.5e-07


def test_an_orjson_that_writes_numbers_its_own_way_is_not_used(monkeypatch):
    from negotiator import canonical

    assert canonical._orjson_agrees() and canonical._FAST
    real = canonical.orjson.dumps

    def unsigned_exponents(value, option=None):  # as orjson wrote them before 3.11.7
        return real(value, option=option).replace(b"e+", b"e")

    monkeypatch.setattr(canonical.orjson, "dumps", unsigned_exponents)
    assert not canonical._orjson_agrees()
    monkeypatch.setattr(canonical, "_FAST", False)
    assert canonical_json({"x": 1e16}) == b'{"x":1e+16}'


def test_values_that_are_not_plain_data_are_refused_or_written_as_the_standard_library_does(
    tmp_path,
):
    import dataclasses
    import datetime
    import enum

    class Colour(enum.Enum):
        RED = 1

    class Level(enum.IntEnum):
        HIGH = 3

    @dataclasses.dataclass
    class Pair:
        b: int
        a: int

    log = EventLog(tmp_path / "e.jsonl")
    for value in (Colour.RED, Pair(1, 2), datetime.date(2026, 1, 1)):
        with pytest.raises(TypeError):  # as the standard library always did
            log.emit("step", value=value)
    log.emit("step", level=Level.HIGH, shares=(0.5, 0.5))
    log.close()
    assert canonical_json({"level": Level.HIGH}) == b'{"level":3}'
    events = read_events(tmp_path / "e.jsonl")
    assert len(events) == 1 and events[0]["level"] == 3 and verify_chain(events) is None


def test_ctrl_c_while_lines_are_made_waits_until_they_are_made_once(tmp_path, monkeypatch):
    """A SIGINT that lands while queued events are made into lines is raised after the last
    one: no line numbered twice, none lost, and the log verifies."""
    import signal

    from negotiator.interrupts import on_signal
    from negotiator.io import eventlog

    log = EventLog(tmp_path / "events.jsonl")
    for i in range(5):
        log.emit("tick", i=i)
    real = eventlog.DigestChain.__call__
    calls = []

    def interrupted(self, logger, method, event):
        calls.append(event.get("i"))
        if len(calls) == 2:
            on_signal(signal.SIGINT, None)  # as if Ctrl-C arrived here
        return real(self, logger, method, event)

    monkeypatch.setattr(eventlog.DigestChain, "__call__", interrupted)
    with pytest.raises(KeyboardInterrupt):
        log.flush()
    monkeypatch.setattr(eventlog.DigestChain, "__call__", real)
    log.emit("run_interrupted", signal="SIGINT")
    log.close()
    events = read_events(tmp_path / "events.jsonl")
    assert [e.get("i") for e in events] == [0, 1, 2, 3, 4, None] and calls == [0, 1, 2, 3, 4]
    assert verify_chain(events) is None
