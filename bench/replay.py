"""Replay speed: how long ``replay --verify`` takes on a log of 1,000 negotiation rounds.

Usage: python bench/replay.py [--rounds N] [--repeat K]

Makes the logs first (inproc runs; not timed), then times verification (median of K). Two logs:
SAOP between two hardliners (two turns a round, never agreeing) and the default case's single text
with the voting never stalling (three votes a round), both for N rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from negotiator.config import load_config  # noqa: E402
from negotiator.io.eventlog import read_events  # noqa: E402
from negotiator.replay import verify  # noqa: E402
from negotiator.runtime.runner import RunOptions, run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.rounds
    cases = {
        "saop, 2 hardliners": (
            ROOT / "configs/domains/buyer_seller.toml",
            [
                f"negotiation.deadline={n}",
                "parties.buyer.strategy='hardliner'",
                "parties.seller.strategy='hardliner'",
            ],
        ),
        "single text, 3 governments + phase 2": (
            ROOT / "configs/scenarios/yongkang_wuyi_jinyun.toml",
            [f"negotiation.deadline={n}", f"negotiation.stall={n}"],
        ),
    }
    print(f"replay --verify of {n}-round logs, median of {args.repeat} (cores: {_cores()})")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, overrides) in cases.items():
            result = run(
                load_config(path, overrides), RunOptions(out=Path(tmp), transport="inproc")
            )
            lines = len(read_events(result.run_dir / "events.jsonl"))
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                report = verify(result.run_dir)
                times.append(time.perf_counter() - started)
                assert report.ok, report.message
            median = statistics.median(times)
            negotiation = result.summary.negotiation
            assert negotiation is not None
            print(
                f"  {name:40s} {negotiation.rounds:5d} rounds {lines:6d} lines  "
                f"{median:6.3f} s  ({lines / median:,.0f} lines/s)"
            )


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
