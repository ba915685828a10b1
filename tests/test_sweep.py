"""Sweeps: files written, resume, kill and resume, determinism, bad experiment files, dask."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from negotiator.errors import ConfigError
from negotiator.experiments.stats import difference_ci, mean_ci, t_quantile, verdict
from negotiator.experiments.summary import SweepSummary
from negotiator.experiments.sweep import execute, load_experiment
from tests.conftest import ROOT, cli, default_sigint

EXPERIMENTS = ROOT / "configs" / "experiments"
SMALL = """
name = "small"
base = "{base}"
seeds = 3
root_seed = 7
metrics = ["agreement", "compliance_rate", "cumulative_payoff"]

[set]
"implementation.periods" = 6
"implementation.shocks" = []

[grid]
"mediator.transparency" = ["private", "public"]

[[hypotheses]]
claim = "compliance_rate: public > private"
"""


def write_small(tmp_path: Path, **changes: str) -> Path:
    text = SMALL.format(base=ROOT / "configs/scenarios/yongkang_wuyi_jinyun.toml")
    for old, new in changes.items():
        text = text.replace(old, new)
    path = tmp_path / "small.toml"
    path.write_text(text)
    return path


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return sorted(csv.DictReader(f), key=lambda r: r["run_id"])


def without_timing(table: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k != "wall_seconds"} for r in table]


def pinned_sha256(data: dict[str, Any]) -> str:
    """The sha256 of a summary's JSON (as ``--json`` prints it) with its run-dependent fields
    (the sweep's timing, the tournament's folder) blanked; the pins below were computed with the
    dict-building code that the typed summaries replaced, so they hold its JSON to the byte (then
    re-pinned once, when sweeps began to run direct by default: ``runs.transport`` is "direct"
    where it was "inproc", and nothing else changed)."""
    data = json.loads(json.dumps(data))
    if "runs" in data:
        data["runs"]["seconds"] = data["runs"]["runs_per_second"] = None
    data.pop("folder", None)
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def check_summary_file(summary: SweepSummary, out: Path, sha256: str) -> None:
    """summary.json is the summary's to_json(), pinned, and reads back into an equal summary."""
    data = json.loads((out / "summary.json").read_text())
    assert data == summary.to_json() and pinned_sha256(data) == sha256
    assert SweepSummary.from_json(data) == summary


def test_stats_helpers_match_known_values():
    assert t_quantile(0.975, 10) == pytest.approx(2.228139, abs=1e-5)
    assert t_quantile(0.975, 1000) == pytest.approx(1.962339, abs=1e-5)
    est = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert est.mean == 2.5 and est.low == pytest.approx(2.5 - 3.182446 * 0.645497, abs=1e-5)
    assert verdict(difference_ci([5.0, 6, 7, 8], [1.0, 2, 3, 4])) == "held"
    assert verdict(difference_ci([1.0, 2, 3, 4], [5.0, 6, 7, 8])) == "did not hold"
    assert verdict(difference_ci([1.0, 5, 3], [2.0, 4, 3])) == "inconclusive"


@pytest.mark.slow
def test_sweep_writes_results_and_resumes_without_recomputing(tmp_path):
    out = tmp_path / "out"
    proc = cli(
        "sweep",
        str(EXPERIMENTS / "promotion_pressure.toml"),
        "--seeds",
        "2",
        "--workers",
        "2",
        "--out",
        str(out),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary == json.loads((out / "summary.json").read_text())  # --json is the file
    assert summary["runs"]["total"] == 30 and summary["runs"]["this_invocation"] == 30
    assert summary["seeds"] == 2  # as run, not the file's 30
    assert summary["runs"]["runs_per_second"] > 0
    assert (
        len(summary["cells"]) == 15 and summary["cells"][0]["metrics"]["compliance_rate"]["n"] == 2
    )
    assert {h["verdict"] for h in summary["hypotheses"]} <= {"held", "did not hold", "inconclusive"}
    table = rows(out / "results.csv")
    assert len(table) == 30 and all(r["final_digest"] for r in table)
    assert {
        "run_id",
        "cell",
        "parties.yongkang.promotion",
        "seed",
        "compliance_rate",
        "final_digest",
        "wall_seconds",
    } <= set(table[0])
    assert len(list((out / "runs").iterdir())) == 30  # the runs' event logs are kept
    assert len(list((out / "plots").glob("*.png"))) == 4  # one per metric
    again = cli(
        "sweep",
        str(EXPERIMENTS / "promotion_pressure.toml"),
        "--seeds",
        "2",
        "--out",
        str(out),
        "--json",
    )
    assert json.loads(again.stdout)["runs"]["this_invocation"] == 0
    assert without_timing(rows(out / "results.csv")) == without_timing(table)


@pytest.mark.slow
def test_the_same_sweep_twice_gives_the_same_rows(tmp_path):
    experiment = load_experiment(write_small(tmp_path))
    first = execute(experiment, tmp_path / "a", workers=2, keep_logs=False)
    second = execute(experiment, tmp_path / "b", workers=1, keep_logs=False)
    assert first.cells == second.cells and first.hypotheses == second.hypotheses
    check_summary_file(
        second, tmp_path / "b", "88d9f0ae5271c901ac859c636fba62c8176002a9da5eeec0e25aad944eacc356"
    )
    assert without_timing(rows(tmp_path / "a/results.csv")) == without_timing(
        rows(tmp_path / "b/results.csv")
    )


@pytest.mark.slow
def test_a_killed_sweep_resumes_to_the_same_results(tmp_path):
    path = write_small(tmp_path, **{"seeds = 3": "seeds = 8"})
    reference = tmp_path / "reference"
    assert cli("sweep", str(path), "--out", str(reference), "--json", "--no-logs").returncode == 0
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "sweep",
            str(path),
            "--out",
            str(out),
            "--json",
            "--no-logs",
            "--workers",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            results = out / "results.csv"
            if results.exists() and results.read_text().count("\n") >= 4:  # header + 3 runs
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    partial = rows(out / "results.csv")
    assert 3 <= len(partial) < 16
    resumed = cli("sweep", str(path), "--out", str(out), "--json", "--no-logs")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["runs"]["this_invocation"] == 16 - len(partial)
    assert without_timing(rows(out / "results.csv")) == without_timing(
        rows(reference / "results.csv")
    )


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_a_sweep_interrupted_mid_run_with_logs_kept_resumes_to_the_same_results(tmp_path, sig):
    # runs long enough (300 periods) that one is under way whenever the test looks, even when
    # the machine is too busy to look often
    longer = {'"implementation.periods" = 6': '"implementation.periods" = 300'}
    path = write_small(tmp_path, **{"seeds = 3": "seeds = 6"}, **longer)
    reference = tmp_path / "reference"
    assert cli("sweep", str(path), "--out", str(reference), "--json", "--no-logs").returncode == 0
    out = tmp_path / "interrupted"
    args = ["sweep", str(path), "--out", str(out), "--json", "--workers", "2"]
    errors = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), *args],
        stdout=subprocess.DEVNULL,
        stderr=errors,
        start_new_session=True,  # its own process group: a Ctrl-C reaches it and its workers
        preexec_fn=default_sigint,
        cwd=ROOT,
    )

    def in_flight() -> set[str]:  # runs under way: their folder exists, their row does not
        if not (out / "results.csv").exists():
            return set()
        recorded = {r["run_id"] for r in rows(out / "results.csv")}
        folders = {p.name for p in (out / "runs").glob("c*")}
        return folders - recorded if len(recorded) >= 2 else set()

    try:
        deadline = time.monotonic() + 300  # generous: a loaded machine
        while time.monotonic() < deadline and not in_flight() and proc.poll() is None:
            time.sleep(0.01)
        status = "running" if proc.poll() is None else f"exit {proc.returncode}"
        errors.flush()
        said = (tmp_path / "stderr.txt").read_text()[-2000:]
        assert in_flight(), f"no run was in flight (sweep {status}): {said}"
        os.killpg(proc.pid, sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        errors.close()
    partial = rows(out / "results.csv")
    assert 2 <= len(partial) < 12
    resumed = cli("sweep", str(path), "--out", str(out), "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["runs"]["this_invocation"] == 12 - len(partial)
    assert without_timing(rows(out / "results.csv")) == without_timing(
        rows(reference / "results.csv")
    )
    folders = sorted((out / "runs").iterdir())
    assert len(folders) == 12 and all((f / "summary.json").exists() for f in folders)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({'"mediator.transparency"': '"mediator.transparancy"'}, "mediator.transparancy"),
        ({'"mediator.transparency" = ["private", "public"]': ""}, "the grid is empty"),
        (
            {'claim = "compliance_rate: public > private"': 'claim = "welfare: public > private"'},
            "not one of the experiment's metrics",
        ),
        ({'"cumulative_payoff"]': '"happiness"]'}, "unknown metric 'happiness'"),
        (
            {'"mediator.transparency" = ["private", "public"]': '"mediator.transparency" = []'},
            "needs at least one value",
        ),
        ({"seeds = 3": "seeds = 0"}, "seeds"),
    ],
)
def test_bad_experiment_files_exit_2_in_one_line(tmp_path, change, fragment):
    path = write_small(tmp_path, **change)
    with pytest.raises(ConfigError, match=None) as info:
        load_experiment(path)
    assert fragment in str(info.value)
    proc = cli("sweep", str(path), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and fragment in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_dask_executor_against_a_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        scheduler_port=0,
    )
    try:
        experiment = load_experiment(write_small(tmp_path, **{"seeds = 3": "seeds = 2"}))
        summary = execute(
            experiment,
            tmp_path / "dask",
            executor="dask",
            scheduler=cluster.scheduler_address,
            keep_logs=False,
        )
        execute(experiment, tmp_path / "local", workers=1, keep_logs=False)
    finally:
        cluster.close()
    assert summary.runs is not None
    assert summary.runs.this_invocation == 4 and summary.runs.executor == "dask"
    assert without_timing(rows(tmp_path / "dask/results.csv")) == without_timing(
        rows(tmp_path / "local/results.csv")
    )
