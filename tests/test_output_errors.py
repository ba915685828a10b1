"""File-system errors end a command with one line and exit code 5, its agents ended and its log a
valid prefix: an ``--out`` that is not a usable folder, a disk that fills up while logging."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from negotiator.errors import OutputError
from negotiator.io.eventlog import EventLog, read_events, verify_chain
from negotiator.replay import verify
from tests.conftest import ROOT, alive, cli

PD = ROOT / "configs" / "scenarios" / "prisoners_dilemma.toml"
EXPERIMENT = ROOT / "configs" / "experiments" / "contract_vs_none.toml"


def _one_line_exit_5(proc: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert proc.returncode == 5, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("negotiator: error: ") and "Traceback" not in proc.stderr
    for phrase in phrases:
        assert phrase in lines[-1], lines[-1]


@pytest.mark.parametrize(
    "command",
    [
        ("run", str(PD)),
        ("tournament", str(PD), "--turns", "5"),
        ("sweep", str(EXPERIMENT), "--seeds", "1", "--workers", "1"),
    ],
    ids=["run", "tournament", "sweep"],
)
def test_an_out_under_a_regular_file_is_one_line_and_exit_5(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    proc = cli(*command, "--out", str(blocker / "runs"))
    _one_line_exit_5(proc, str(blocker), "Not a directory")
    assert blocker.read_text() == "not a folder\n"  # nothing lost


def _limit_file_size() -> None:  # in the child: files beyond 40 kB fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))


def test_a_disk_that_fills_up_while_logging_ends_the_run_cleanly(tmp_path):
    """A file-size limit stands in for a full disk: the kernel refuses the write that crosses it,
    as it would refuse one on a full disk (EFBIG there, ENOSPC here)."""
    out = tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "run", str(PD), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        preexec_fn=_limit_file_size,
    )
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _one_line_exit_5(
        subprocess.CompletedProcess(proc.args, proc.returncode, "", err),
        "cannot write the event log",
        "File too large",
    )
    log = next(out.glob("*/events.jsonl"))
    data = log.read_bytes()
    assert 0 < len(data) <= 40_000 and data.endswith(b"\n")  # cut back to its last whole line
    events = read_events(log)
    assert verify_chain(events) is None and events[-1]["event"] != "run_finished"
    report = verify(log.parent)
    assert report.ok and not report.finished and "torn" not in report.message
    pids = [e["pid"] for e in events if e["event"] == "agent_joined"]
    assert pids, "the agents had joined before the disk filled up"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    assert not any(alive(p) for p in pids), "an agent outlived its failed run"


def test_a_log_on_a_full_device_raises_output_error_once():
    log = EventLog(Path("/dev/full"))  # every write fails with ENOSPC
    log.emit("run_started", config={})
    with pytest.raises(OutputError, match="No space left on device"):
        log.flush()
    log.emit("run_aborted", reason="disk full")  # the runner's last words: not written, no raise
    log.flush()
    log.close()


def test_a_log_that_cannot_be_created_is_an_output_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="Not a directory"):
        EventLog(blocker / "events.jsonl")
