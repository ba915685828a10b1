"""Where a SAOP turn's time goes: the parts that are ours, measured apart.

Usage: python bench/anatomy.py [--rounds 300] [--transport ipc]

* the event log: microseconds per ``offer`` event, in all (snapshot, line, digest, write) and in
  ``EventLog.emit`` alone (the rest is done when the mediator waits); best of five batches;
* an agent: microseconds to handle a ``saop_turn`` request (unpacked already), replaying the
  messages one agent of ``configs/bench/negmas_3x10.toml`` received, in this process, alone;
* the mediator: microseconds from receiving an action to sending the next request, and from
  sending a request to receiving its action (the agent's decision plus the transport), timed
  inside a real run of the default case's SAOP variant (three hardliners) over ``--transport``;
* the floor: one bare exchange, in a round of three peers served in turn (``bench/floor.py``),
  in the same run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from floor import floor  # noqa: E402

from agents.process import RECORD_ENV, Agent  # noqa: E402
from negotiator import mediator as mediator_module  # noqa: E402
from negotiator.config import load_config  # noqa: E402
from negotiator.eventlog import EventLog  # noqa: E402
from negotiator.pool import Pool  # noqa: E402
from negotiator.runner import RunOptions, run  # noqa: E402
from negotiator.wire import Codec  # noqa: E402

DEFAULT = ROOT / "configs/scenarios/yongkang_wuyi_jinyun.toml"
NEGMAS = ROOT / "configs/bench/negmas_3x10.toml"


def emit_us(tmp: Path) -> tuple[float, float]:
    log = EventLog(tmp / "emit.jsonl")
    fields: dict[str, Any] = {
        "t": 5,
        "round": 7,
        "turn": 3,
        "party": "alpha",
        "outcome": {"i1": "v3", "i2": "v4", "i3": "v5"},
    }
    at_emit, in_all = float("inf"), float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(20_000):
            log.emit("offer", **fields)
        emitted = time.perf_counter()
        log.flush()  # the rest of the work: the line, its digest, the write
        at_emit = min(at_emit, (emitted - started) / 20_000)
        in_all = min(in_all, (time.perf_counter() - started) / 20_000)
    log.close()
    return at_emit * 1e6, in_all * 1e6


def agent_us(tmp: Path) -> float:
    record = tmp / "record"
    os.environ[RECORD_ENV] = str(record)
    try:
        with Pool("inproc") as pool:
            pool.run(load_config(NEGMAS), RunOptions(out=tmp))
    finally:
        del os.environ[RECORD_ENV]
    lines = [json.loads(x) for x in (record / "beta.jsonl").read_text().splitlines()]
    mediator = Codec("mediator")
    payloads = [mediator.pack(x["type"], x["body"], round_=x["round"]) for x in lines]
    spent: list[float] = []
    for _ in range(30):
        agent = Agent("beta")
        for payload in payloads:
            msg = agent.codec.unpack(payload)
            started = time.perf_counter()
            agent.handle(msg)
            if msg.type == "request":
                spent.append(time.perf_counter() - started)
    return statistics.median(spent) * 1e6


def mediator_us(transport: str, rounds: int, tmp: Path) -> tuple[float, float]:
    marks: list[tuple[float, str]] = []
    cls = mediator_module.Mediator
    send, receive = cls.send, cls.receive

    def timed_send(self: Any, party: str, type_: str, body: Any, round_: int = 0) -> None:
        if type_ == "request":
            marks.append((time.perf_counter(), "request"))
        send(self, party, type_, body, round_)

    def timed_receive(self: Any, timeout_s: float) -> Any:
        got = receive(self, timeout_s)
        if got is not None and got[1].type == "action":
            marks.append((time.perf_counter(), "action"))
        return got

    overrides = [
        "negotiation.protocol='saop'",
        f"negotiation.deadline={rounds}",
        "parties.yongkang.strategy='hardliner'",
        "parties.wuyi.strategy='hardliner'",
        "parties.jinyun.strategy='hardliner'",
        "superior.guidance='none'",
        "implementation.periods=1",
        "implementation.shocks=[]",
    ]
    cls.send, cls.receive = timed_send, timed_receive  # type: ignore[method-assign]
    try:
        run(load_config(DEFAULT, overrides), RunOptions(out=tmp, transport=transport))  # type: ignore[arg-type]
    finally:
        cls.send, cls.receive = send, receive  # type: ignore[method-assign]
    ours, theirs = [], []
    for (t0, a), (t1, b) in itertools.pairwise(marks):
        if a == "action" and b == "request":
            ours.append(t1 - t0)
        elif a == "request" and b == "action":
            theirs.append(t1 - t0)
    skip = len(ours) // 10  # warm-up
    return statistics.median(ours[skip:]) * 1e6, statistics.median(theirs[skip:]) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--transport", default="ipc", choices=["ipc", "tcp", "inproc"])
    args = parser.parse_args()
    print(f"anatomy of a SAOP turn (cores: {len(os.sched_getaffinity(0))})")
    with tempfile.TemporaryDirectory() as tmp:
        at_emit, in_all = emit_us(Path(tmp))
        print(f"  event log: {in_all:6.1f} µs per event, of which {at_emit:4.1f} µs in emit")
        print(f"  agent, alone: {agent_us(Path(tmp)):6.1f} µs per saop_turn request")
        ours, theirs = mediator_us(args.transport, args.rounds, Path(tmp))
        base = floor(3, args.transport, 300, sequential=True) / 3 * 1e6
        print(f"  mediator, action → next request: {ours:6.1f} µs ({args.transport})")
        print(f"  request → action (agent + transport): {theirs:6.1f} µs ({args.transport})")
        print(f"  floor, one bare exchange of three in turn: {base:6.1f} µs ({args.transport})")


if __name__ == "__main__":
    main()
