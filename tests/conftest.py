"""Shared fixtures: project paths, loaded configs, isolated run directories, process hygiene."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from negotiator.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
DEFAULT = CONFIGS / "scenarios" / "yongkang_wuyi_jinyun.toml"
RUBINSTEIN = CONFIGS / "scenarios" / "rubinstein.toml"
BUYER_SELLER = CONFIGS / "domains" / "buyer_seller.toml"


#: Overrides that turn the default case into a SAOP negotiation with time-dependent strategies.
SAOP_DEFAULT = (
    "negotiation.protocol='saop'",
    "negotiation.deadline=40",
    "parties.yongkang.strategy='boulware'",
    "parties.wuyi.strategy='linear'",
    "parties.jinyun.strategy='conceder'",
)


def children_of(pid: int) -> list[int]:
    """Live child processes of ``pid`` (from /proc), zombies excluded."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def default_sigint() -> None:
    """``preexec_fn`` for a child that a test interrupts with SIGINT: a shell without job
    control starts background jobs with SIGINT ignored, which the child would inherit (and so
    never see the Ctrl-C); the child gets the default disposition, as at a terminal."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def alive(pid: int) -> bool:
    """Is process ``pid`` running (not gone, not a zombie)?"""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def no_leftover_processes() -> Iterator[None]:
    """Fail the test if it leaves a child process of the test process running."""
    before = set(children_of(os.getpid()))
    yield
    leftover = set(children_of(os.getpid())) - before
    for pid in leftover:  # clean up anyway, then fail
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
    assert not leftover, f"processes left running: {sorted(leftover)}"


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"


def load(path: Path, *overrides: str, seed: int | None = None) -> Config:
    return load_config(path, list(overrides), seed)


def cli(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run ``python run.py ARGS`` in a subprocess (killed on timeout) and capture its output."""
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def wait_for_log(runs: Path, text: str, count: int, timeout: float = 30.0) -> Path:
    """The events.jsonl of the run under ``runs`` once ``text`` occurs ``count`` times in it
    (a test that acts on a run while it is under way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(runs.glob("*/events.jsonl"))
        if found and found[0].read_text().count(text) >= count:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(
        f"{text} not seen {count} times in a log under {runs} within {timeout:g} s"
    )


class Processes:
    """``run.py`` processes a test starts; all ended at teardown, even on failure."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, *args: str, **kw) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), *args],
            cwd=ROOT,
            text=True,
            stdin=subprocess.DEVNULL,
            **kw,
        )
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)


@pytest.fixture
def procs():
    p = Processes()
    yield p
    p.close()


def start_mediator(procs, tmp_path, keys, *extra):
    """A secure ``mediator`` of the default case on a loopback port the OS picks; returns it
    and the endpoint it says it listens on."""
    med = procs.start(
        "mediator",
        str(DEFAULT),
        "--bind",
        "tcp://127.0.0.1:0",
        "--keys",
        str(keys),
        "--out",
        str(tmp_path / "runs"),
        "--json",
        *extra,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    line = med.stderr.readline()
    assert "listening on" in line, line
    return med, line.split()[-1]
