"""No orphan: agents started by ``run`` leave within 2 s of their mediator's death at any stage
(in phase 1, in phase 2; while starting and joining, within 2 s of getting far enough to look,
which a loaded machine delays). Distributed agents, which have no parent
to watch, are tested in ``test_distributed.py``."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEFAULT, ROOT, SAOP_DEFAULT, alive, children_of, wait_for_log

PD = ROOT / "configs" / "scenarios" / "prisoners_dilemma.toml"
pytestmark = pytest.mark.slow

GRACE_S = 2.0
"""How soon after its mediator's death a running agent must have left: the kernel signals it at
once (``PR_SET_PDEATHSIG``), so this holds on a loaded machine too."""


@pytest.fixture(scope="module")
def startup_s() -> float:
    """How long an agent process takes here, now, to reach its parent check (an interpreter
    that imports ``negotiator.agents``): an agent killed with its mediator while it starts can only
    leave once it gets there, later on a loaded machine. The slowest of three starts."""
    times = []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "import negotiator.agents"], check=True, cwd=ROOT)
        times.append(time.monotonic() - started)
    return max(times)


def _agents_of(proc: subprocess.Popen[bytes], count: int, timeout: float = 60.0) -> list[int]:
    """The pids of the ``count`` agent processes ``proc`` has started (waits for them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children_of(proc.pid)
        if len(kids) >= count:
            return kids
        assert proc.poll() is None, "the run ended before starting its agents"
        time.sleep(0.005)
    raise AssertionError(f"the run did not start {count} agents within {timeout:g} s")


def _kill_and_count_survivors(
    proc: subprocess.Popen[bytes], agents: list[int], grace: float = GRACE_S
) -> list[int]:
    """SIGKILL the mediator, then give its agents ``grace`` seconds to leave; the survivors
    (killed anyway, so that the test leaves nothing behind)."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in agents):
        time.sleep(0.02)
    survivors = [p for p in agents if alive(p)]
    for pid in survivors:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return survivors


def _start(out: Path, config: Path, *overrides: str) -> subprocess.Popen[bytes]:
    args = [sys.executable, str(ROOT / "run.py"), "run", str(config), "--out", str(out)]
    for override in overrides:
        args += ["--set", override]
    return subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    )


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3], ids=["at-spawn", "importing", "joining"])
def test_agents_leave_when_the_mediator_dies_during_the_join(tmp_path, delay, startup_s):
    grace = GRACE_S + 2 * startup_s  # an agent still starting leaves once it can look
    proc = _start(tmp_path / "runs", DEFAULT)
    try:
        agents = _agents_of(proc, 4)  # three governments and the superior
        time.sleep(delay)  # a stage of the agents' start-up, not a wait for an event
        survivors = _kill_and_count_survivors(proc, agents, grace)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not survivors, f"agents outlived their mediator by {grace:.1f} s: {survivors}"


@pytest.mark.parametrize(
    ("config", "overrides", "marker"),
    [
        (
            DEFAULT,
            (
                *SAOP_DEFAULT,
                "parties.jinyun.strategy='agents.testing:Silent'",
                "negotiation.turn_timeout=2",
            ),
            '"round_start"',
        ),
        (PD, ("implementation.periods=100000",), '"period_end"'),
    ],
    ids=["phase-1", "phase-2"],
)
def test_agents_leave_when_the_mediator_dies_during_the_run(tmp_path, config, overrides, marker):
    out = tmp_path / "runs"
    proc = _start(out, config, *overrides)
    try:
        wait_for_log(out, marker, 1, timeout=60)
        agents = children_of(proc.pid)
        assert agents, "no agent process found"
        survivors = _kill_and_count_survivors(proc, agents)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not survivors, f"agents outlived their mediator by {GRACE_S} s: {survivors}"
