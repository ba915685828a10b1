"""Where a SAOP turn's and a single-text round's time goes: the parts that are ours, measured apart.

Usage: python bench/anatomy.py [--rounds 300] [--transport ipc]

* the event log: microseconds per ``offer`` event (SAOP) and per ``votes`` event (single text),
  in all (snapshot, line, digest, write) and in ``EventLog.emit`` alone (the rest is done when the
  mediator waits); best of five batches;
* an agent: microseconds from a ``saop_turn`` request's bytes to its reply's (unpack, handle,
  pack), replaying the messages one agent of ``configs/bench/negmas_3x10.toml`` received, in
  this process, alone (its code and data hot in the caches); and the same inside real runs of
  that config (pooled agent processes over ``--transport``, or threads for inproc), from the
  agent's own clock (``NEGOTIATOR_TIMING_DIR``): between two of its turns the other processes
  have run;
* the mediator: microseconds from receiving an action to sending the next request, and from
  sending a request to receiving its action (the agent's decision plus the transport), timed
  inside a real run of the default case's SAOP variant (three hardliners) over ``--transport``;
  and, in a single-text run of the default case, from a round's last vote received to the next
  round's first request sent (the votes checked, the protocol step, the round's events, the
  requests packed);
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

from negotiator.agents.process import RECORD_ENV, TIMING_ENV, Agent  # noqa: E402
from negotiator.config import load_config  # noqa: E402
from negotiator.io.eventlog import EventLog  # noqa: E402
from negotiator.io.wire import Codec  # noqa: E402
from negotiator.mediator.session import Session  # noqa: E402
from negotiator.runtime.pool import Pool  # noqa: E402
from negotiator.runtime.runner import RunOptions, run  # noqa: E402

DEFAULT = ROOT / "configs/scenarios/yongkang_wuyi_jinyun.toml"
NEGMAS = ROOT / "configs/bench/negmas_3x10.toml"


OFFER: dict[str, Any] = {
    "t": 5,
    "round": 7,
    "turn": 3,
    "party": "alpha",
    "outcome": {"i1": "v3", "i2": "v4", "i3": "v5"},
}
VOTES: dict[str, Any] = {  # a single-text round's votes in the default case
    "t": 9,
    "round": 10,
    "proposal": {
        "surplus_split": {"yongkang": 0.7, "wuyi": 0.2, "jinyun": 0.1},
        "infra_cost_split": {"yongkang": 0.8, "wuyi": 0.0, "jinyun": 0.2},
        "env_standard": "strict",
        "enforcement": "self_report",
        "penalty": "high",
        "renegotiation": True,
    },
    "votes": {"yongkang": False, "wuyi": False, "jinyun": False},
    "accepted": False,
}
SAOP_DEFAULT = [
    "negotiation.protocol='saop'",
    "parties.yongkang.strategy='hardliner'",
    "parties.wuyi.strategy='hardliner'",
    "parties.jinyun.strategy='hardliner'",
    "superior.guidance='none'",
]


def emit_us(tmp: Path, event: str, fields: dict[str, Any]) -> tuple[float, float]:
    log = EventLog(tmp / f"emit-{event}.jsonl")
    at_emit, in_all = float("inf"), float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(20_000):
            log.emit(event, **fields)
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
            started = time.perf_counter()
            msg = agent.codec.unpack(payload)
            agent.handle(msg)
            if msg.type == "request":
                spent.append(time.perf_counter() - started)
    return statistics.median(spent) * 1e6


def agent_in_run_us(transport: str, tmp: Path, negotiations: int = 20) -> float:
    """Median µs per ``saop_turn`` of agent ``beta``, from its own clock, in real runs (pooled
    agents over ipc and inproc; over tcp, fresh agent processes for every run)."""
    folder = tmp / f"timing-{transport}"
    os.environ[TIMING_ENV] = str(folder)
    config = load_config(NEGMAS)
    configs = [
        config.model_copy(update={"run": config.run.model_copy(update={"seed": seed})})
        for seed in range(1, negotiations + 1)
    ]
    try:
        if transport == "tcp":
            for run_config in configs:
                run(run_config, RunOptions(out=tmp, transport="tcp"))
        else:
            with Pool(transport) as pool:  # type: ignore[arg-type]
                for run_config in configs:
                    pool.run(run_config, RunOptions(out=tmp))
    finally:
        del os.environ[TIMING_ENV]
    spent: list[float] = []
    for path in folder.glob("beta-*.json"):
        spent += json.loads(path.read_text())["microseconds"].get("saop_turn", [])
    return statistics.median(spent)


def mediator_us(transport: str, rounds: int, tmp: Path, protocol: list[str]) -> tuple[float, float]:
    """Median µs from an action received to the next request sent, and from a request sent to
    the next action received, in a run of the default case with the ``protocol`` overrides.
    SAOP: a turn's two halves; single text: from a round's last vote to the next round's first
    request, and from its last request to its first vote."""
    marks: list[tuple[float, str]] = []
    send, send_all, receive = Session.send, Session.send_all, Session.receive

    def timed_send(self: Session, party: str, body: Any, round_: int = 0) -> None:
        if body.message_type == "request":
            marks.append((time.perf_counter(), "request"))
        send(self, party, body, round_)

    def timed_send_all(self: Session, parties: Any, body: Any, round_: int = 0) -> None:
        if body.message_type == "request":
            marks.append((time.perf_counter(), "request"))
        send_all(self, parties, body, round_)

    def timed_receive(self: Session, timeout_s: float) -> Any:
        got = receive(self, timeout_s)
        if got is not None and got[1].type == "action":
            marks.append((time.perf_counter(), "action"))
        return got

    overrides = [
        *protocol,
        f"negotiation.deadline={rounds}",
        f"negotiation.stall={rounds}",
        "implementation.periods=1",
        "implementation.shocks=[]",
    ]
    Session.send, Session.send_all = timed_send, timed_send_all  # type: ignore[method-assign]
    Session.receive = timed_receive  # type: ignore[method-assign]
    try:
        run(load_config(DEFAULT, overrides), RunOptions(out=tmp, transport=transport))  # type: ignore[arg-type]
    finally:
        Session.send, Session.send_all, Session.receive = send, send_all, receive  # type: ignore[method-assign]
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
    print(
        f"anatomy of a SAOP turn and of a single-text round (cores: {len(os.sched_getaffinity(0))})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for event, fields in (("offer", OFFER), ("votes", VOTES)):
            at_emit, in_all = emit_us(Path(tmp), event, fields)
            print(
                f"  event log, one {event} event: {in_all:6.1f} µs, of which {at_emit:4.1f} µs "
                "in emit"
            )
        print(f"  agent, alone: {agent_us(Path(tmp)):6.1f} µs per saop_turn request")
        in_run = agent_in_run_us(args.transport, Path(tmp))
        print(f"  agent, in real runs: {in_run:6.1f} µs per saop_turn request ({args.transport})")
        ours, theirs = mediator_us(args.transport, args.rounds, Path(tmp), SAOP_DEFAULT)
        base = floor(3, args.transport, 300, sequential=True) / 3 * 1e6
        print(f"  SAOP, mediator, action → next request: {ours:6.1f} µs ({args.transport})")
        print(f"  SAOP, request → action (agent + transport): {theirs:6.1f} µs ({args.transport})")
        print(f"  floor, one bare exchange of three in turn: {base:6.1f} µs ({args.transport})")
        ours, theirs = mediator_us(args.transport, args.rounds, Path(tmp), [])
        base = floor(3, args.transport, 300) * 1e6
        print(
            f"  single text, mediator, last vote → next round's first request: {ours:6.1f} µs "
            f"({args.transport})"
        )
        print(f"  floor, one bare round of three: {base:6.1f} µs ({args.transport})")


if __name__ == "__main__":
    main()
