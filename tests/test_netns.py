"""Hosts in network namespaces: the mediator and two agents each in their own network namespace,
joined by veth pairs on a bridge, negotiating over CURVE-secured tcp.

Needs ``ip netns`` (root, or CAP_NET_ADMIN); skipped cleanly where it is not permitted. The
namespaces use addresses from 127.0.0.0/8 with ``route_localnet`` on, so nothing in this test is
reachable from, or can reach, anything outside the three namespaces it creates (and deletes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from negotiator.runtime.runner import RunOptions, run
from tests.conftest import BUYER_SELLER, ROOT, cli, load

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_leftover_processes")]
HUB = "127.77.0.1"


def _ip(*args: str, ns: str | None = None) -> None:
    cmd = ["ip", *(["netns", "exec", ns, *args] if ns else args)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=10)


def _netns_permitted() -> str | None:
    """Why the test cannot run here (None: it can)."""
    if sys.platform != "linux" or shutil.which("ip") is None:
        return "needs Linux with iproute2"
    probe = f"ngt-probe-{uuid.uuid4().hex[:6]}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"ip netns not permitted: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


@pytest.fixture
def hosts() -> Iterator[dict[str, str]]:
    """Three namespaces (hub, buyer, seller): the hub's bridge 127.77.0.1/24, the agents' veth
    ends .2 and .3. Deleted at teardown (their veth pairs go with them)."""
    why = _netns_permitted()
    if why:
        pytest.skip(why)
    tag = uuid.uuid4().hex[:6]
    names = {role: f"ngt-{tag}-{role}" for role in ("hub", "buyer", "seller")}
    try:
        for ns in names.values():
            _ip("netns", "add", ns)
        hub = names["hub"]
        _ip("ip", "link", "add", "br0", "type", "bridge", ns=hub)
        for i, role in enumerate(("buyer", "seller"), start=2):
            ns = names[role]
            veth = ("type", "veth", "peer", "eth0", "netns", ns)
            _ip("link", "add", f"v-{role}", "netns", hub, *veth)
            _ip("ip", "link", "set", f"v-{role}", "master", "br0", ns=hub)
            _ip("ip", "link", "set", f"v-{role}", "up", ns=hub)
            _ip("sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1", ns=ns)
            _ip("sysctl", "-qw", "net.ipv4.conf.eth0.route_localnet=1", ns=ns)
            _ip("ip", "addr", "add", f"127.77.0.{i}/24", "dev", "eth0", ns=ns)
            _ip("ip", "link", "set", "eth0", "up", ns=ns)
            _ip("ip", "link", "set", "lo", "up", ns=ns)
        _ip("sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1", ns=hub)
        _ip("sysctl", "-qw", "net.ipv4.conf.br0.route_localnet=1", ns=hub)
        _ip("ip", "addr", "add", f"{HUB}/24", "dev", "br0", ns=hub)
        _ip("ip", "link", "set", "br0", "up", ns=hub)
        _ip("ip", "link", "set", "lo", "up", ns=hub)
        yield names
    finally:
        for ns in names.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_a_curve_secured_negotiation_across_network_namespaces(hosts, tmp_path):
    keys = tmp_path / "keys"
    made = cli("keys", str(keys), "--names", "buyer", "seller")
    assert made.returncode == 0, made.stderr
    py = [sys.executable, str(ROOT / "run.py")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started: list[subprocess.Popen[str]] = []

    def start(ns: str, *args: str, **kw: object) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, *py, *args],  # ip execs the command: same process
            cwd=ROOT,
            env=env,
            text=True,
            stdin=subprocess.DEVNULL,
            **kw,  # type: ignore[call-overload]
        )
        started.append(proc)
        return proc

    try:
        hub = start(
            hosts["hub"],
            "mediator",
            str(BUYER_SELLER),
            "--bind",
            f"tcp://{HUB}:0",
            "--keys",
            str(keys),
            "--out",
            str(tmp_path / "runs"),
            "--json",
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert hub.stderr is not None
        line = hub.stderr.readline()
        assert "listening on" in line, line
        endpoint = line.split()[-1]
        for party in ("buyer", "seller"):
            start(
                hosts[party],
                "agent",
                str(BUYER_SELLER),
                "--name",
                party,
                "--connect",
                endpoint,
                "--keys",
                str(keys),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        out, err = hub.communicate(timeout=60)
        assert hub.returncode == 0, err
        agents = [p.wait(timeout=10) for p in started[1:]]
        assert agents == [0, 0]
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
    summary = json.loads(out)
    events = (tmp_path / "runs").glob("*/events.jsonl")
    joined = [
        json.loads(x) for f in events for x in f.read_text().splitlines() if '"agent_joined"' in x
    ]
    assert sorted(e["party"] for e in joined) == ["buyer", "seller"]
    local = run(load(BUYER_SELLER), RunOptions(out=tmp_path / "local", transport="tcp"))
    assert summary["final_digest"] == local.summary.final_digest
