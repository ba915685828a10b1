"""Sweep speed: runs per second of a sweep of the default scenario with 1 and 2 workers.

Usage: python bench/sweep.py [--runs N] [--saop] [--transport direct|inproc|ipc]

A one-cell experiment (the default case, phase 1 and 2, its shocks) over N seeds, direct agents
(``--transport`` to change), event logs kept, as `python run.py sweep` runs it; worker start-up
included in the time. With ``--saop`` the cell plays stacked alternating offers with
time-dependent governments (boulware, linear, conceder: each sorts the 235,224 outcomes by its
utility) instead of the single text.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from negotiator.experiments.sweep import execute, load_experiment  # noqa: E402

EXPERIMENT = """
name = "bench"
base = "{base}"
seeds = {runs}
root_seed = 99
metrics = ["agreement", "compliance_rate", "cumulative_payoff"]

[grid]
"mediator.transparency" = ["public"]
{saop}"""

SAOP = """"negotiation.protocol" = ["saop"]
"negotiation.deadline" = [40]
"parties.yongkang.strategy" = ["boulware"]
"parties.wuyi.strategy" = ["linear"]
"parties.jinyun.strategy" = ["conceder"]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--saop", action="store_true", help="SAOP, time-dependent governments")
    parser.add_argument("--transport", default="direct", choices=["direct", "inproc", "ipc"])
    args = parser.parse_args()
    base = ROOT / "configs/scenarios/yongkang_wuyi_jinyun.toml"
    what = " (SAOP, boulware/linear/conceder)" if args.saop else ""
    print(
        f"sweep of {args.runs} runs of the default scenario{what}, {args.transport} agents, "
        f"logs kept (cores: {len(os.sched_getaffinity(0))})"
    )
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(
            EXPERIMENT.format(base=base, runs=args.runs, saop=SAOP if args.saop else "")
        )
        experiment = load_experiment(path)
        for workers in (1, 2):
            started = time.perf_counter()
            summary = execute(
                experiment, Path(tmp) / f"w{workers}", workers=workers, transport=args.transport
            )
            elapsed = time.perf_counter() - started
            assert summary.runs is not None
            rates[workers] = args.runs / elapsed
            print(
                f"  {workers} worker(s): {args.runs} runs in {elapsed:6.2f} s = "
                f"{rates[workers]:6.1f} runs/s (sweep's own figure "
                f"{summary.runs.runs_per_second or 0.0:.1f})"
            )
    print(f"  speed-up 2 vs 1 worker: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
