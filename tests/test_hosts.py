"""Agent hosts: many parties behind one socket (``run --hosts K``, ``agent-host``).

The same digests as one process per party; a host's key speaks only for its own parties; a dead
host's parties are absent and the run finishes; a failing party forfeits while its host plays on;
the command line's errors and the keys' host map in a distributed run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import zmq

from negotiator.agents.host import run_host
from negotiator.io.bus import MediatorSocket
from negotiator.io.eventlog import read_events, verify_chain
from negotiator.io.security import ephemeral_hosts
from negotiator.io.wire import Codec
from negotiator.runtime.launcher import host_groups
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import (
    CONFIGS,
    DEFAULT,
    ROOT,
    SAOP_DEFAULT,
    cli,
    load,
    start_mediator,
    wait_for_log,
)
from tests.test_digests import CASES

PY = [sys.executable, str(ROOT / "run.py")]
PARTIES = ["yongkang", "wuyi", "jinyun", "zhejiang"]


# -- the pieces ----------------------------------------------------------------------------------


def test_parties_are_spread_in_order_over_nearly_equal_groups():
    names = ("a", "b", "c", "d", "e")
    assert host_groups(names, 2) == {"host-1": ("a", "b", "c"), "host-2": ("d", "e")}
    assert host_groups(names, 3) == {"host-1": ("a", "b"), "host-2": ("c", "d"), "host-3": ("e",)}
    assert list(host_groups(names, 9).values()) == [(n,) for n in names]  # never an empty host


def _mediator_bus(secure: bool) -> tuple[zmq.Context, MediatorSocket, dict]:
    context: zmq.Context = zmq.Context()
    clients: dict = {}
    security = None
    if secure:
        security, clients = ephemeral_hosts({"east": ("a", "b"), "west": ("c",)})
    bus = MediatorSocket("tcp" if secure else "ipc", context, security=security)
    return context, bus, clients


def _dealer(context, endpoint: str, routing_id: bytes, client=None) -> zmq.Socket:
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.ROUTING_ID, routing_id)
    sock.setsockopt(zmq.LINGER, 0)
    if client is not None:
        sock.curve_serverkey = client.server_public
        sock.curve_publickey = client.public
        sock.curve_secretkey = client.secret
    sock.connect(endpoint)
    return sock


def test_the_bus_unwraps_envelopes_and_routes_replies_to_the_host():
    context, bus, _ = _mediator_bus(secure=False)
    host = _dealer(context, bus.endpoint, b"@h/1")
    try:
        host.send_multipart([b"a", b"payload"])
        assert bus.recv(30.0) == (b"a", b"payload", None)
        bus.send(b"a", b"reply")
        assert host.poll(30_000)
        assert host.recv_multipart() == [b"a", b"reply"]
        agent = _dealer(context, bus.endpoint, b"a")  # the party's own agent takes over
        agent.send(b"direct")
        assert bus.recv(30.0) == (b"a", b"direct", None)
        bus.send(b"a", b"to the agent")
        assert agent.poll(30_000) and agent.recv() == b"to the agent"
        agent.close()
    finally:
        host.close()
        bus.close()
        context.destroy(linger=0)


def test_with_curve_a_host_key_speaks_only_for_its_parties():
    context, bus, clients = _mediator_bus(secure=True)
    east = _dealer(context, bus.endpoint, b"@east/1", clients["east"])
    try:
        east.send_multipart([b"a", b"mine"])
        assert bus.recv(30.0) == (b"a", b"mine", "a")
        east.send_multipart([b"c", b"west's"])  # another host's party: not authenticated as it
        assert bus.recv(30.0) == (b"c", b"west's", "@east")
        assert bus.routes == {b"a": b"@east/1"}  # no route learnt for c
        east.send(b"plain")  # not an envelope: its routing id names no party (the session
        assert bus.recv(30.0) == (b"@east/1", b"plain", "@east")  # refuses it)
    finally:
        east.close()
        bus.close()
        context.destroy(linger=0)


def test_a_host_drops_what_is_not_for_its_parties_and_leaves_when_all_are_done(capfd):
    context: zmq.Context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind("tcp://127.0.0.1:0")
    endpoint = router.getsockopt_string(zmq.LAST_ENDPOINT)
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(
            run_host(endpoint, ["a", "b"], host="h", context=context, join_timeout=60.0)
        ),
        daemon=True,
    )
    thread.start()
    try:
        hellos = [router.recv_multipart() for _ in range(2)]
        host_id = hellos[0][0]
        assert host_id.startswith(b"@h/") and sorted(h[1] for h in hellos) == [b"a", b"b"]
        codec = Codec("mediator")
        router.send_multipart([host_id, b"nobody", codec.pack("end", {"status": "finished"})])
        router.send_multipart([host_id, b"a", b"\x00garbage"])
        router.send_multipart([host_id, b"a"])  # not an envelope
        for party in (b"a", b"b"):
            router.send_multipart([host_id, party, codec.pack("end", {"status": "finished"})])
        thread.join(timeout=60)
        assert codes == [0]
    finally:
        router.close()
        context.destroy(linger=0)
    err = capfd.readouterr().err
    assert "a party this host does not play" in err
    assert "dropped a malformed message" in err
    assert "not an envelope" in err


# -- runs ----------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["default", "default_saop", "prisoners_dilemma"])
def test_hosts_give_the_same_digest_as_one_process_per_party(name, tmp_path):
    path, overrides, digest = CASES[name]
    options = RunOptions(out=tmp_path, transport="ipc", hosts=2)
    result = run(load(CONFIGS / path, *overrides), options)
    assert result.summary.final_digest == digest
    assert len(set(result.pids.values())) == 2  # the parties did share two processes


@pytest.mark.slow
def test_hosts_over_secure_tcp_give_the_same_digest(tmp_path):
    path, overrides, digest = CASES["default"]
    result = run(
        load(CONFIGS / path, *overrides), RunOptions(out=tmp_path, transport="tcp", hosts=3)
    )
    assert result.summary.final_digest == digest


@pytest.mark.slow
def test_a_failing_party_forfeits_while_the_others_of_its_host_go_on(tmp_path):
    config = load(
        DEFAULT,
        *SAOP_DEFAULT,
        "parties.wuyi.strategy='agents.testing:Crashes'",  # shares host-1 with yongkang
        "mediator.heartbeat_timeout=1",
        "negotiation.turn_timeout=1",
    )
    result = run(config, RunOptions(out=tmp_path, transport="ipc", hosts=2))
    events = read_events(result.run_dir / "events.jsonl")
    crashed = next(i for i, e in enumerate(events) if e["event"] == "agent_error")
    assert events[crashed]["party"] == "wuyi"
    later = [e for e in events[crashed:] if e["event"] in ("offer", "accept", "agreement")]
    assert any(e.get("party") == "yongkang" for e in later), "yongkang stopped playing"
    absent = result.summary.conduct.absent
    assert "wuyi" in absent and "yongkang" not in absent


# -- the command line ----------------------------------------------------------------------------


@pytest.mark.slow
def test_hosts_errors_are_one_line(tmp_path):
    runs = tmp_path / "runs"
    proc = cli("run", str(DEFAULT), "--hosts", "2", "--transport", "inproc", "--out", str(runs))
    assert proc.returncode == 2 and "--hosts" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not runs.exists()
    proc = cli("run", str(DEFAULT), "--hosts", "2", "--transport", "direct", "--out", str(runs))
    assert proc.returncode == 2 and "not direct" in proc.stderr and not runs.exists()
    proc = cli("run", str(DEFAULT), "--hosts", "-1", "--out", str(runs))
    assert proc.returncode == 2 and "--hosts -1" in proc.stderr
    proc = cli(
        "agent-host",
        str(DEFAULT),
        "--names",
        "yongkang,nobody",
        "--connect",
        "tcp://127.0.0.1:9",
        "--insecure",
    )
    assert proc.returncode == 2 and "'nobody'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2  # the --insecure warning, the error
    proc = cli("keys", str(tmp_path / "k"), "--host", "east")
    assert proc.returncode == 2 and "NAME=PARTY" in proc.stderr
    proc = cli("keys", str(tmp_path / "k"), "--host", "east=Bad")
    assert proc.returncode == 2 and "'Bad' is not a party name" in proc.stderr


@pytest.fixture
def host_keys(tmp_path):
    folder = tmp_path / "keys"
    spread = ("--host", "east=yongkang,wuyi", "--host", "west=jinyun,zhejiang")
    proc = cli("keys", str(folder), *spread)
    assert proc.returncode == 0, proc.stderr
    return folder


def start_host(procs, endpoint, keys, host, names, *extra):
    return procs.start(
        "agent-host",
        str(DEFAULT),
        "--names",
        names,
        "--host",
        host,
        "--connect",
        endpoint,
        "--keys",
        str(keys),
        *extra,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
@pytest.mark.usefixtures("no_leftover_processes")
def test_host_keys_in_a_distributed_run_give_the_same_digest(procs, tmp_path, host_keys):
    assert json.loads((host_keys / "hosts.json").read_text()) == {
        "east": ["yongkang", "wuyi"],
        "west": ["jinyun", "zhejiang"],
    }
    assert (host_keys / "east.key_secret").stat().st_mode & 0o777 == 0o600
    med, endpoint = start_mediator(procs, tmp_path, host_keys)
    east = start_host(procs, endpoint, host_keys, "east", "yongkang,wuyi")
    west = start_host(procs, endpoint, host_keys, "west", "jinyun,zhejiang")
    out, err = med.communicate(timeout=120)
    assert med.returncode == 0, err
    assert json.loads(out)["final_digest"] == CASES["default"][2]
    assert east.wait(timeout=60) == 0 and west.wait(timeout=60) == 0


@pytest.mark.slow
@pytest.mark.usefixtures("no_leftover_processes")
def test_a_host_map_naming_a_stranger_is_refused(tmp_path):
    folder = tmp_path / "keys"
    assert cli("keys", str(folder), "--host", "east=yongkang,wuyi,nobody").returncode == 0
    proc = cli(
        "mediator", str(DEFAULT), "--bind", "tcp://127.0.0.1:0", "--keys", str(folder)
    )  # fails before binding
    assert proc.returncode == 2 and "'nobody'" in proc.stderr and "east" in proc.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("no_leftover_processes")
def test_an_impostor_host_and_an_unknown_key_are_refused(procs, tmp_path):
    from negotiator.io.security import client_from_dir, new_keypair
    from negotiator.replay import verify
    from tests.test_distributed import _client, _handshake, hello

    keys = tmp_path / "keys"
    made = cli("keys", str(keys), "--names", "wuyi", "jinyun", "--host", "east=yongkang,zhejiang")
    assert made.returncode == 0, made.stderr
    med, endpoint = start_mediator(procs, tmp_path, keys)
    east = client_from_dir(keys, "east")
    context = zmq.Context()
    impostor, impostor_events = _client(context, endpoint, "@east/x", east, east.server_public)
    stranger, stranger_events = _client(
        context, endpoint, "@west/x", new_keypair(), east.server_public
    )
    try:
        impostor.send_multipart([b"wuyi", hello("wuyi")])  # east's key, speaking as wuyi
        stranger.send_multipart([b"jinyun", hello("jinyun")])
        assert _handshake(impostor_events) == zmq.EVENT_HANDSHAKE_SUCCEEDED  # a valid key
        assert _handshake(stranger_events) == zmq.EVENT_HANDSHAKE_FAILED_AUTH  # refused
    finally:
        for sock in (stranger, impostor, stranger_events, impostor_events):
            sock.close(linger=10_000 if sock is impostor else 0)  # bounded, even on failure
        context.term()  # returns once the impostor's hello has been handed over
    start_host(procs, endpoint, keys, "east", "yongkang,zhejiang")
    for name in ("wuyi", "jinyun"):
        procs.start(
            "agent",
            str(DEFAULT),
            "--name",
            name,
            "--connect",
            endpoint,
            "--keys",
            str(keys),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    out, err = med.communicate(timeout=120)
    assert med.returncode == 0, err
    summary = json.loads(out)
    events = read_events(Path(summary["log"]))
    assert verify_chain(events) is None
    assert summary["auth_refused"] >= 1
    claims = [e["reason"] for e in events if e["event"] == "rejected_message"]
    assert "the key of '@east' claims to be 'wuyi'" in claims
    report = verify(Path(summary["log"]).parent)
    assert report.ok and report.finished, report.message
    local = run(load(DEFAULT), RunOptions(out=tmp_path / "local", transport="inproc"))
    assert summary["contract"] == local.summary.negotiation.contract
    assert summary["implementation"]["moves"] == local.summary.implementation.moves


@pytest.mark.slow
@pytest.mark.usefixtures("no_leftover_processes")
def test_a_dead_host_makes_its_parties_absent_and_the_run_finishes(procs, tmp_path, host_keys):
    quick = ("mediator.heartbeat_timeout=1", "negotiation.turn_timeout=1")
    med, endpoint = start_mediator(
        procs, tmp_path, host_keys, *(x for o in quick for x in ("--set", o))
    )
    east = start_host(procs, endpoint, host_keys, "east", "yongkang,wuyi")
    west = start_host(procs, endpoint, host_keys, "west", "jinyun,zhejiang")
    wait_for_log(tmp_path / "runs", '"event":"round_end"', 2, timeout=120)
    west.kill()  # SIGKILL: jinyun and zhejiang vanish together
    west.wait(timeout=30)
    out, err = med.communicate(timeout=180)
    assert med.returncode == 0, err
    summary = json.loads(out)
    assert "jinyun" in summary["absent"] and "yongkang" not in summary["absent"]
    events = read_events(Path(summary["log"]))
    assert any(e["event"] == "agent_lost" and e["party"] == "jinyun" for e in events)
    assert events[-1]["event"] == "run_finished"
    assert east.wait(timeout=60) == 0
