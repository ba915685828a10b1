"""Command-line habits (issue 18): ``python -m negotiator``, ``--version``, ``--set`` and
``--seed`` without a command, "did you mean", fixed-notation figures, the live round counter and
what distributed agents say on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

from negotiator import PROTOCOL_VERSION, __version__
from negotiator.cli import main
from tests.conftest import ROOT


def test_python_m_negotiator_and_run_py_print_the_version():
    expected = f"negotiator {__version__} (protocol and event log version {PROTOCOL_VERSION})"
    for entry in (["-m", "negotiator"], [str(ROOT / "run.py")]):
        out = subprocess.run(
            [sys.executable, *entry, "--version"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected


def test_python_m_negotiator_runs_the_same_main(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "negotiator", "analyze", "configs/domains/buyer_seller.toml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "Nash" in out.stdout


def test_set_and_seed_without_a_command_change_the_default_run(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "--set",
            "negotiation.deadline=7",
            "--set",
            "implementation.periods=12",
            "--seed",
            "4",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    [log] = (tmp_path / "runs").glob("*/events.jsonl")
    start = json.loads(log.read_text().splitlines()[0])
    assert start["seed"] == 4
    assert start["config"]["negotiation"]["deadline"] == 7
    assert start["config"]["implementation"]["periods"] == 12
    assert start["runtime"]["config_path"].endswith("yongkang_wuyi_jinyun.toml")


def test_set_without_a_command_is_checked_like_any_other(capsys):
    assert main(["--set", "negotiation.dedline=7"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "negotiation.dedline" in err and "unknown key" in err


def test_set_before_a_command_is_refused_in_one_line(capsys):
    assert main(["--set", "negotiation.deadline=7", "analyze", "x.toml"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "negotiator: error: --set and --seed before a command are for the default run; "
        "write them after 'analyze'\n"
    )
