"""Our rounds against the transport's floor, measured in the same run.

Usage: python bench/rounds.py [--rounds 200] [--repeats 5] [--transports ipc tcp inproc]

* single text, N = 3 (the default case, voting never stalls): median wall time of a round (the
  ``wall_ms`` of its ``round_end`` event: request to all, the three votes, the protocol step and
  the log lines; the votes shown to every government travel inside the next request), against
  the floor of one N = 3 round;
* SAOP, N = 3 (three hardliners: nobody agrees): a round is three sequential exchanges, one
  with each government in turn, against the floor of the same: three peers, each sent a message
  and answering before the next is sent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from floor import floor  # noqa: E402

from negotiator.config import load_config  # noqa: E402
from negotiator.io.eventlog import read_events  # noqa: E402
from negotiator.runtime.runner import RunOptions, run  # noqa: E402

DEFAULT = ROOT / "configs/scenarios/yongkang_wuyi_jinyun.toml"


def round_ms(overrides: list[str], transport: str, out: Path) -> float:
    config = load_config(DEFAULT, overrides)
    result = run(config, RunOptions(out=out, transport=transport))  # type: ignore[arg-type]
    events = read_events(result.run_dir / "events.jsonl")
    walls = [
        e["wall_ms"]
        for e in events
        if e["event"] == "round_end" and e.get("session", 0) == 0 and "wall_ms" in e
    ]
    return statistics.median(walls[5:])  # after warm-up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--transports", nargs="+", default=["ipc", "tcp", "inproc"])
    args = parser.parse_args()
    n = args.rounds
    no_phase2 = ["implementation.periods=1", "implementation.shocks=[]"]
    single = [f"negotiation.deadline={n}", f"negotiation.stall={n}", *no_phase2]
    saop = [
        "negotiation.protocol='saop'",
        f"negotiation.deadline={n}",
        "parties.yongkang.strategy='hardliner'",
        "parties.wuyi.strategy='hardliner'",
        "parties.jinyun.strategy='hardliner'",
        "superior.guidance='none'",
        *no_phase2,
    ]
    print(
        f"rounds of the default case (N = 3), {args.repeats} repeats of {n} rounds; each repeat "
        f"measures the floor right before our run; medians (cores: {len(os.sched_getaffinity(0))})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for transport in args.transports:
            rows: dict[str, list[float]] = {k: [] for k in ("st", "f3", "sa", "f1")}
            ratios: dict[str, list[float]] = {"st": [], "sa": []}
            for _ in range(args.repeats):  # the machine drifts: compare neighbours
                f3 = floor(3, transport, 200) * 1000
                st = round_ms(single, transport, Path(tmp))
                f1 = floor(3, transport, 200, sequential=True) * 1000
                sa = round_ms(saop, transport, Path(tmp))
                for key, value in (("st", st), ("f3", f3), ("sa", sa), ("f1", f1)):
                    rows[key].append(value)
                ratios["st"].append(st / f3)
                ratios["sa"].append(sa / f1)
            med = {k: statistics.median(v) for k, v in rows.items()}
            print(
                f"  {transport:6s} single text {med['st']:7.3f} ms vs floor {med['f3']:6.3f} ms "
                f"({statistics.median(ratios['st']):4.1f}x)   SAOP {med['sa']:7.3f} ms vs "
                f"{med['f1']:6.3f} ms ({statistics.median(ratios['sa']):4.1f}x)"
            )


if __name__ == "__main__":
    main()
