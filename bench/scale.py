"""Scale: N governments (a generated explicit domain), time per round and memory.

Usage: python bench/scale.py [--n 3 10 30 100] [--rounds 50] [--transport ipc|tcp|direct]
                             [--hosts K]

The domain: three ordinal issues of five values; every government's value table is drawn from a
seeded generator; single text with hill climbers (voting stalls only at the deadline), no phase 2.
Prints the median round time (``wall_ms`` of ``round_end``), the floor of one N-peer round measured
in the same run, the mediator's peak RSS (this process), the largest agent's peak RSS, and the
median time an agent took for a vote request by its own clock (``NEGOTIATOR_TIMING_DIR``: from
receiving the request to having sent the vote), with N times that: the agents' work per round,
shared by the machine's cores.

``--hosts K``: the governments spread over K agent host processes (``run --hosts K``); the floor
is then the same shape (N peers behind K enveloping processes, ``bench/floor.py --hosts``), and
the largest agent is the largest host.

``--transport direct``: the agents in this process (no floor: there is no transport; the
mediator's peak RSS holds the agents). One process per agent (ipc or tcp without ``--hosts``) is
skipped for an N whose agents would not fit in the memory available (about 45 MB each).

The mediator's peak RSS is this process's peak so far, so give the N in increasing order.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from floor import floor  # noqa: E402

from negotiator.agents.process import TIMING_ENV  # noqa: E402
from negotiator.config import config_from_dict  # noqa: E402
from negotiator.io.eventlog import read_events  # noqa: E402
from negotiator.runtime.runner import RunOptions, run  # noqa: E402

LEVELS = ["l1", "l2", "l3", "l4", "l5"]


def scenario(n: int, rounds: int) -> dict[str, Any]:
    rng = random.Random(n)
    issues = [{"name": f"i{k}", "kind": "ordinal", "values": LEVELS} for k in range(3)]
    parties = {}
    for g in range(n):
        values = {f"i{k}": {v: round(rng.random(), 3) for v in LEVELS} for k in range(3)}
        parties[f"g{g:03d}"] = {"strategy": "hill_climber", "reservation": 0.2, "values": values}
    return {
        "run": {"name": f"scale{n}", "seed": 1},
        "domain": {"issues": issues},
        "negotiation": {
            "protocol": "single_text",
            "deadline": rounds,
            "stall": rounds + 1,
            "turn_timeout": 30.0,
        },
        "mediator": {"transparency": "private"},
        "parties": parties,
    }


AGENT_MB = 45
"""About the peak RSS of one agent process (40 MB measured at N = 100, plus a margin)."""


def available_mb() -> float:
    """The memory the kernel says is available (``MemAvailable``), in MB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def peak_rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def is_agent(pid: int) -> bool:
    """Is ``pid`` an agent process or an agent host (``python -m negotiator.agents``, with
    ``--name`` or ``--names``)? A child caught between fork and exec is still a copy of this
    process, with this process's memory: it must not count."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"negotiator.agents" in argv[1:3]


def watch(peaks: dict[int, int], done: threading.Event) -> None:
    """Record the peak RSS of this process's agent children until ``done``."""
    while not done.is_set():
        for pid in children(os.getpid()):
            if is_agent(pid):
                peaks[pid] = max(peaks.get(pid, 0), peak_rss_kib(pid))
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, nargs="+", default=[3, 10, 30, 100])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--transport", default="ipc", choices=["ipc", "tcp", "direct"])
    parser.add_argument("--hosts", type=int, default=0, help="K agent hosts (0: one per party)")
    args = parser.parse_args()
    if args.hosts and args.transport == "direct":
        parser.error("--hosts: agent hosts are processes (ipc or tcp)")
    spread = f" on {args.hosts} agent hosts" if args.hosts else ""
    print(
        f"single-text rounds with N governments over {args.transport}{spread}, medians of "
        f"{args.rounds} rounds (cores: {len(os.sched_getaffinity(0))})"
    )
    for n in args.n:
        one_each = args.transport != "direct" and not args.hosts
        if one_each and n * AGENT_MB > available_mb():
            print(
                f"  N = {n:4d}: skipped: {n} agent processes of about {AGENT_MB} MB would not fit "
                f"in the {available_mb():,.0f} MB available (use --hosts K)"
            )
            continue
        config = config_from_dict(scenario(n, args.rounds), source=f"scale {n}")
        peaks: dict[int, int] = {}
        done = threading.Event()
        watcher = threading.Thread(target=watch, args=(peaks, done), daemon=True)
        watcher.start()
        with tempfile.TemporaryDirectory() as tmp:
            os.environ[TIMING_ENV] = str(Path(tmp) / "timing")
            try:
                options = RunOptions(
                    out=Path(tmp), transport=args.transport, join_timeout=300, hosts=args.hosts
                )
                result = run(config, options)
            finally:
                del os.environ[TIMING_ENV]
            events = read_events(result.run_dir / "events.jsonl")
            votes = [
                us
                for path in (Path(tmp) / "timing").glob("*.json")
                for us in json.loads(path.read_text())["microseconds"].get("vote", [])[3:]
            ]
        done.set()
        watcher.join()
        walls = [e["wall_ms"] for e in events if e["event"] == "round_end" and "wall_ms" in e]
        ours = statistics.median(walls[3:])
        mediator = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        agent = max(peaks.values(), default=0) / 1024
        timed = (
            f"an agent's vote {(vote := statistics.median(votes)):5.1f} µs "
            f"(N × that: {n * vote / 1000:6.3f} ms)"
            if votes
            else "no agent timings written"
        )
        if args.transport == "direct":
            print(
                f"  N = {n:4d}: round {ours:8.3f} ms (no transport, no floor); peak RSS of this "
                f"process, agents included, {mediator:6.1f} MB; {timed}"
            )
            continue
        base = floor(n, args.transport, 100, hosts=args.hosts) * 1000
        print(
            f"  N = {n:4d}: round {ours:8.3f} ms, floor {base:7.3f} ms ({ours / base:4.1f}x); "
            f"peak RSS mediator {mediator:6.1f} MB, largest {'host' if args.hosts else 'agent'} "
            f"{agent:5.1f} MB; {timed}"
        )


if __name__ == "__main__":
    main()
