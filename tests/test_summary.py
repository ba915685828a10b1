"""The typed run summary writes exactly the ``summary.json`` of before, and reads it back.

The fingerprints were recorded with the dict-building code that :class:`RunSummary` replaced
(commit 6c34e61): a sha256 of the summary's JSON (keys in order) without the fields that change
from one run to the next (the log's path, the processes' ids, the wall time).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from negotiator.replay import branch
from negotiator.runtime.run_summary import RunSummary
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import CONFIGS, cli, load
from tests.test_digests import CASES

RUN_DEPENDENT = ("log", "agent_pids", "mediator_pid", "wall_seconds")

FINGERPRINTS = {
    "annealers_seed3": "c215cde4725e49fa32bc110f8ae3750e218c3c2347e838b9c46873c437d36fd7",
    "buyer_seller": "7f0b3dd01b4cdc3a321afe482b578db7242fa15ac3a008ec24ee7d19b384997a",
    "default": "3b1795f63fdec291d3fa8acd8cc48ed41277a853a67a9e57448f573ac86f426e",
    "default_audited_exaggerate": (
        "e3da680ad28d66283575380e69871d46a1d3cfe0f657be2a0689618cd4fbe4bc"
    ),
    "default_private_seed7": "19bee5f77fd868a590953349a51a1b32eccf4168ae245770c7e9222910d3a423",
    "default_saop": "810186c93569ea4e5cedbce24c78d93f9592d4d6ad6fadf8bd1ad34c77d31218",
    "prisoners_dilemma": "aa9eae4258f1b6300841fc8b8a4df9e0b6582776535905b6479760df2350d7c9",
    "rubinstein": "4231f58c786c46052fd005385b3da8430775fca3d2d4a640f4772a8de5a04933",
    "branch": "e043762592745bb891a1292faa9e2890ec5fb1b43512d1ef7b93efb5805f5bcc",
}


def fingerprint(summary: dict[str, Any]) -> str:
    kept = {k: v for k, v in summary.items() if k not in RUN_DEPENDENT}
    return hashlib.sha256(json.dumps(kept, ensure_ascii=False).encode()).hexdigest()


def on_disk(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "summary.json").read_text())
    return data


def assert_round_trip(summary: RunSummary, run_dir: Path) -> None:
    """summary.json is to_json(), and reads back into an equal summary."""
    written = on_disk(run_dir)
    assert json.dumps(summary.to_json()) == json.dumps(written)  # same keys in the same order
    assert RunSummary.from_json(written) == summary
    assert json.dumps(RunSummary.from_json(written).to_json()) == json.dumps(written)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_summary_is_the_one_written_before(name, tmp_path):
    path, overrides, _ = CASES[name]
    options = RunOptions(out=tmp_path, transport="inproc", run_id=name)
    result = run(load(CONFIGS / path, *overrides), options)
    assert fingerprint(result.summary.to_json()) == FINGERPRINTS[name]
    assert_round_trip(result.summary, result.run_dir)


def test_a_branch_summary_is_the_one_written_before(tmp_path):
    path, overrides, _ = CASES["default"]
    run(
        load(CONFIGS / path, *overrides),
        RunOptions(out=tmp_path, transport="inproc", run_id="default"),
    )
    override = "parties.yongkang.compliance='defector'"
    summary = branch(tmp_path / "default", "period:5", [override], tmp_path, run_id="child")
    assert summary.branch is not None and summary.branch.after == 5
    assert fingerprint(summary.to_json()) == FINGERPRINTS["branch"]
    assert_round_trip(summary, tmp_path / "child")


def test_json_output_is_the_summary_file(runs_dir):
    proc = cli("run", str(CONFIGS / "scenarios/rubinstein.toml"), "--json", "--out", str(runs_dir))
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert json.dumps(printed) == json.dumps(on_disk(Path(printed["log"]).parent))
