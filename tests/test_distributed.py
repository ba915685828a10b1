"""Distributed runs over CURVE-secured tcp on loopback, intruders, hostile input, interruption."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import msgpack
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiator.io.eventlog import read_events, verify_chain
from negotiator.io.security import client_from_dir, new_keypair
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import DEFAULT, ROOT, SAOP_DEFAULT, cli, load, start_mediator, wait_for_log

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("no_leftover_processes")]
PARTIES = ["yongkang", "wuyi", "jinyun", "zhejiang"]
PY = [sys.executable, str(ROOT / "run.py")]


@pytest.fixture
def keys(tmp_path):
    folder = tmp_path / "keys"
    proc = cli("keys", str(folder), "--names", *PARTIES)
    assert proc.returncode == 0, proc.stderr
    return folder


def start_agents(procs, endpoint, keys, names, *extra):
    for name in names:
        procs.start(
            "agent",
            str(DEFAULT),
            "--name",
            name,
            "--connect",
            endpoint,
            "--keys",
            str(keys),
            *extra,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def test_keys_are_private(keys):
    for name in ["mediator", *PARTIES]:
        assert (keys / f"{name}.key_secret").stat().st_mode & 0o777 == 0o600
        assert (keys / f"{name}.key").exists()


def test_a_distributed_run_equals_a_local_run(procs, tmp_path, keys):
    med, endpoint = start_mediator(procs, tmp_path, keys)
    start_agents(procs, endpoint, keys, PARTIES)
    out, err = med.communicate(timeout=60)
    assert med.returncode == 0, err
    distributed = json.loads(out)
    local = run(load(DEFAULT), RunOptions(out=tmp_path / "local", transport="tcp"))
    assert distributed["final_digest"] == local.summary.final_digest
    assert "waiting for: " in err


_HANDSHAKE_ENDS = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)


def _client(
    context: zmq.Context, endpoint: str, routing_id: str, keypair, server_public
) -> tuple[zmq.Socket, zmq.Socket]:
    """A CURVE client and a monitor that reports how its handshake ended."""
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.ROUTING_ID, routing_id.encode())
    sock.curve_serverkey = server_public
    sock.curve_publickey = keypair.public
    sock.curve_secretkey = keypair.secret
    monitor = sock.get_monitor_socket(_HANDSHAKE_ENDS)
    sock.connect(endpoint)
    return sock, monitor


def _handshake(monitor: zmq.Socket, timeout_s: float = 60.0) -> int:
    """The event that ended the handshake (awaited, not slept for)."""
    from zmq.utils.monitor import recv_monitor_message

    assert monitor.poll(int(timeout_s * 1000)), "no handshake within the timeout"
    return int(recv_monitor_message(monitor)["event"])


def hello(sender: str) -> bytes:
    return msgpack.packb(
        {
            "v": 1,
            "type": "hello",
            "run": "",
            "round": 0,
            "sender": sender,
            "seq": 1,
            "body": {"pid": 1, "host": "x"},
        }
    )


def test_intruders_are_refused_and_logged_and_change_nothing(procs, tmp_path, keys):
    med, endpoint = start_mediator(procs, tmp_path, keys)
    server = client_from_dir(keys, "wuyi").server_public
    # an unknown key, and a valid key (Wuyi's) claiming to be Jinyun, before Jinyun joins
    context = zmq.Context()
    stranger, stranger_events = _client(context, endpoint, "yongkang", new_keypair(), server)
    impostor, impostor_events = _client(
        context, endpoint, "jinyun", client_from_dir(keys, "wuyi"), server
    )
    try:
        for sock, name in ((stranger, "yongkang"), (impostor, "jinyun")):
            sock.send(hello(name))
        assert _handshake(stranger_events) == zmq.EVENT_HANDSHAKE_FAILED_AUTH  # refused
        assert _handshake(impostor_events) == zmq.EVENT_HANDSHAKE_SUCCEEDED  # a valid key
    finally:
        for sock in (stranger, impostor, stranger_events, impostor_events):
            sock.close(linger=10_000 if sock is impostor else 0)  # bounded, even on failure
        context.term()  # returns once the impostor's hello has been handed over
    start_agents(procs, endpoint, keys, PARTIES)
    out, err = med.communicate(timeout=60)
    assert med.returncode == 0, err
    summary = json.loads(out)
    events = read_events(Path(summary["log"]))
    assert verify_chain(events) is None
    assert any(e["event"] == "auth_refused" for e in events) and summary["auth_refused"] >= 1
    claims = [e for e in events if e["event"] == "rejected_message"]
    assert any("the key of 'wuyi' claims to be 'jinyun'" in e["reason"] for e in claims)
    assert all(len(e["sha256"]) == 64 and e["size"] > 0 for e in claims)
    from negotiator.replay import verify

    report = verify(Path(summary["log"]).parent, reexecute=True)  # refusals included
    assert report.ok and report.finished, report.message
    local = run(load(DEFAULT), RunOptions(out=tmp_path / "local", transport="inproc"))
    assert summary["contract"] == local.summary.negotiation.contract
    assert summary["implementation"]["moves"] == local.summary.implementation.moves


def test_a_missing_party_ends_the_hub_with_exit_3(procs, tmp_path, keys):
    from negotiator.replay import verify

    med, endpoint = start_mediator(procs, tmp_path, keys, "--join-timeout", "10")
    start_agents(procs, endpoint, keys, PARTIES[:2], "--idle-timeout", "30")
    _, err = med.communicate(timeout=90)
    assert med.returncode == 3
    assert "did not join within 10 s: jinyun, zhejiang" in err
    log = next((tmp_path / "runs").glob("*/events.jsonl"))
    events = read_events(log)
    assert [e["event"] for e in events][-2:] == ["join_timeout", "run_aborted"]
    assert verify_chain(events) is None
    report = verify(log.parent, reexecute=True)  # the truthful log of a failed run verifies
    assert report.ok and not report.finished, report.message


def test_agents_welcomed_by_a_hub_that_dies_during_the_join_leave_after_their_idle_timeout(
    procs, tmp_path, keys
):
    med, endpoint = start_mediator(procs, tmp_path, keys, "--join-timeout", "120")
    start_agents(procs, endpoint, keys, PARTIES[:2], "--idle-timeout", "2")
    agents = procs.procs[1:]
    while "waiting for: jinyun, zhejiang" not in (line := med.stderr.readline()):
        assert line, "the hub ended before the two agents joined"
    med.kill()
    med.wait(timeout=10)
    codes = [a.wait(timeout=60) for a in agents]  # 2 s without heartbeats; generous if loaded
    assert codes == [3, 3]  # 3: they left because the mediator went silent


def test_plain_tcp_needs_insecure_and_warns(tmp_path):
    proc = cli("mediator", str(DEFAULT), "--bind", "tcp://127.0.0.1:0", "--out", str(tmp_path))
    assert proc.returncode == 2 and "--keys" in proc.stderr


@pytest.mark.parametrize(
    ("sig", "code", "name"), [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")]
)
def test_an_interrupted_run_ends_its_children_and_logs_it(procs, tmp_path, sig, code, name):
    from tests.conftest import SAOP_DEFAULT, alive, children_of, default_sigint

    args = [
        "run",
        str(DEFAULT),
        "--out",
        str(tmp_path),
        *[x for o in SAOP_DEFAULT for x in ("--set", o)],
        "--set",
        "parties.jinyun.strategy='agents.testing:Silent'",
        "--set",
        "negotiation.turn_timeout=0.5",
    ]
    proc = procs.start(
        *args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=default_sigint
    )
    wait_for_log(tmp_path, '"round_end"', 1, timeout=60)  # joined, and negotiating
    children = children_of(proc.pid)
    assert len(children) == 4
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode == code
    deadline = time.monotonic() + 10  # the launcher ends its agents before the run returns

    while any(alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(c) for c in children)
    log = next(tmp_path.glob("*/events.jsonl"))
    events = read_events(log)
    assert events[-1]["event"] == "run_interrupted" and events[-1]["signal"] == name
    assert verify_chain(events) is None
    from negotiator.replay import verify

    report = verify(log.parent, reexecute=True)  # an interrupted run's log re-executes
    assert report.ok and not report.finished, report.message


payloads = st.one_of(
    st.binary(max_size=64),
    st.dictionaries(
        st.sampled_from(["v", "type", "run", "round", "sender", "seq", "body", "x"]),
        st.one_of(
            st.integers(-5, 5),
            st.text(max_size=8),
            st.booleans(),
            st.none(),
            st.dictionaries(st.text(max_size=6), st.integers(-(2**63), 2**63 - 1), max_size=3),
        ),
        max_size=8,
    ).map(msgpack.packb),
    st.fixed_dictionaries(
        {
            "v": st.just(1),
            "type": st.sampled_from(["hello", "action", "event", "heartbeat", "error"]),
            "run": st.just(""),
            "round": st.integers(0, 3),
            "sender": st.sampled_from(["wuyi", "yongkang", "nobody"]),
            "seq": st.integers(0, 9),
            "body": st.dictionaries(
                st.sampled_from(["kind", "turn", "accept", "session", "move"]),
                st.one_of(
                    st.integers(0, 3),
                    st.sampled_from(["offer", "accept", "vote", "move", "C"]),
                    st.booleans(),
                ),
                max_size=4,
            ),
        }
    ).map(msgpack.packb),
)


@contextlib.contextmanager
def _watching_sockets(sockets: list):
    """While open, every mediator socket bound is appended to ``sockets``: a test's attacker,
    in a thread beside the run, learns the endpoint from it."""
    from negotiator.io.bus import MediatorSocket

    real_init = MediatorSocket.__init__

    def spy(self, *a, **kw):
        real_init(self, *a, **kw)
        sockets.append(self)

    MediatorSocket.__init__ = spy
    try:
        yield sockets
    finally:
        MediatorSocket.__init__ = real_init


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "6")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.tuples(st.sampled_from(["wuyi", "stranger"]), payloads), min_size=5, max_size=40)
)
def test_fuzz_a_live_mediator(tmp_path, garbage):
    sockets: list = []  # the run's bound socket, once it exists (the attacker needs its address)

    stop = threading.Event()

    out = tmp_path / f"fz{time.monotonic_ns()}"

    def started() -> bool:  # the agents have joined: the negotiation is under way
        logs = list(out.glob("*/events.jsonl"))
        return bool(logs) and "round_start" in logs[0].read_text()

    def fuzz():
        while not (sockets and started()) and not stop.is_set():
            time.sleep(0.002)
        if stop.is_set():
            return
        with contextlib.suppress(zmq.ZMQError):  # the run may end before all garbage is sent
            attack(sockets[0])

    def attack(bus):
        clients = {}
        context = zmq.Context()  # the fuzzer's own: it attacks over ipc, like a stranger would
        for identity, payload in garbage:
            if identity not in clients:
                s = context.socket(zmq.DEALER)
                # "wuyi" takes over the real Wuyi's routing id: its garbage reaches every
                # validator, and the real Wuyi loses its replies (it then forfeits)
                s.setsockopt(
                    zmq.ROUTING_ID, identity.encode() if identity == "wuyi" else b"fz-stranger"
                )
                s.setsockopt(zmq.LINGER, 0)
                s.connect(bus.endpoint)
                clients[identity] = s
            clients[identity].send(payload)
        for s in clients.values():
            s.close(linger=1000)  # deliver what is queued (up to 1 s: the run may have ended)
        context.term()

    config = load(
        DEFAULT,
        "implementation.periods=3",
        "implementation.shocks=[]",
        "negotiation.deadline=6",
        "negotiation.turn_timeout=1.0",
        "implementation.decision_timeout=1.0",
    )
    with _watching_sockets(sockets):
        thread = threading.Thread(target=fuzz, daemon=True)
        thread.start()
        try:
            result = run(config, RunOptions(out=out, transport="ipc"))
        finally:
            stop.set()
            thread.join(timeout=5)
    events = read_events(result.run_dir / "events.jsonl")
    assert verify_chain(events) is None and events[-1]["event"] == "run_finished"
    assert result.summary.negotiation.agreement is not None
    from negotiator.replay import verify

    # the log of a run under attack re-executes, refusals included (their bytes are not kept);
    # the agents' decisions too, unless the fuzzer took over Wuyi's routing id (Wuyi then
    # missed messages the mediator sent it, which its re-created agent would answer)
    hijacked = any(identity == "wuyi" for identity, _ in garbage)
    report = verify(result.run_dir, reexecute=not hijacked)
    assert report.ok, report.message


def test_a_killed_agent_is_noticed_forfeits_and_counts_as_absent(procs, tmp_path):
    from tests.conftest import SAOP_DEFAULT

    args = [
        "run",
        str(DEFAULT),
        "--out",
        str(tmp_path),
        "--json",
        *[x for o in SAOP_DEFAULT for x in ("--set", o)],
        "--set",
        "negotiation.turn_timeout=1.0",
        "--set",
        "mediator.heartbeat_timeout=2.0",
        "--set",
        "implementation.decision_timeout=1.0",
        # a hardliner Wuyi: nobody agrees, so the run negotiates for all of its 2,000 rounds
        "--set",
        "parties.wuyi.strategy='hardliner'",
        "--set",
        "negotiation.deadline=2000",
    ]
    proc = procs.start(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    log = wait_for_log(tmp_path, '"round_end"', 2)
    pids = {e["party"]: e["pid"] for e in read_events(log) if e["event"] == "agent_joined"}
    os.kill(pids["wuyi"], signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["absent"] == ["wuyi"]
    events = read_events(log)
    lost = [e for e in events if e["event"] == "agent_lost"]
    assert [e["party"] for e in lost] == ["wuyi"]
    forfeits = [e for e in events if e["event"] == "forfeit" and e["party"] == "wuyi"]
    assert forfeits and forfeits[-1]["reason"] == "absent"
    assert set(summary["implementation"]["moves"]["wuyi"]) == {"D"}
    assert verify_chain(events) is None
    from negotiator.replay import verify

    assert verify(log.parent).ok  # the loss is replayed from the log


def test_a_party_that_keeps_misbehaving_is_expelled(tmp_path):
    from negotiator.replay import verify
    from tests.conftest import BUYER_SELLER

    config = load(
        BUYER_SELLER,
        "parties.seller.strategy='agents.testing:AlwaysInvalid'",
        "mediator.expel_after=6",
        "negotiation.deadline=8",
    )
    result = run(config, RunOptions(out=tmp_path, transport="inproc"))
    events = read_events(result.run_dir / "events.jsonl")
    expelled = [e for e in events if e["event"] == "expelled"]
    assert [e["party"] for e in expelled] == ["seller"] and expelled[0]["rejected"] == 6
    assert result.summary.conduct.absent == ("seller",)
    assert result.summary.negotiation.forfeits["seller"] == 8
    later = [e for e in events[events.index(expelled[0]) :] if e["event"] == "forfeit"]
    assert later and all(e["reason"] in ("invalid", "absent") for e in later)
    assert verify(result.run_dir).ok


def test_replayed_sequence_numbers_are_rejected(tmp_path):
    from negotiator.io.bus import MediatorSocket
    from negotiator.io.eventlog import EventLog
    from negotiator.io.wire import Codec
    from negotiator.mediator.coordinator import Mediator

    config = load(DEFAULT)
    bus = MediatorSocket("inproc")
    log = EventLog(tmp_path / "log.jsonl")
    mediator = Mediator(config, None, bus, log)
    sock = bus.context.socket(zmq.DEALER)
    sock.setsockopt(zmq.ROUTING_ID, b"wuyi")
    sock.connect(bus.endpoint)
    codec = Codec("wuyi")
    first = codec.pack("heartbeat", {})
    sock.send(first)
    sock.send(first)  # the same message again
    results = [mediator.channel.receive(2.0) for _ in range(2)]
    sock.close()
    log.close()
    bus.close()
    assert results == [None, None] and mediator.result.rejected_messages == 1
    events = read_events(tmp_path / "log.jsonl")
    assert "replayed or out-of-order sequence number 1" in events[-1]["reason"]


def test_a_restarted_agent_rejoins_under_its_key_and_resumes(procs, tmp_path, keys):
    from negotiator.replay import verify
    from tests.conftest import SAOP_DEFAULT

    settings_ = [
        *SAOP_DEFAULT,
        "negotiation.deadline=2000",
        "negotiation.turn_timeout=3.0",
        "mediator.heartbeat_timeout=2.0",
        "parties.wuyi.strategy='hardliner'",  # nobody agrees: the negotiation runs to the end
    ]
    overrides = [x for o in settings_ for x in ("--set", o)]
    med, endpoint = start_mediator(procs, tmp_path, keys, *overrides)
    start_agents(procs, endpoint, keys, PARTIES)  # agents get their settings from the hub
    log = wait_for_log(tmp_path / "runs", '"round_end"', 2)
    pids = {e["party"]: e["pid"] for e in read_events(log) if e["event"] == "agent_joined"}
    os.kill(pids["wuyi"], signal.SIGKILL)
    start_agents(procs, endpoint, keys, ["wuyi"])  # the same party and key, a new process
    out, err = med.communicate(timeout=120)
    assert med.returncode == 0, err
    summary = json.loads(out)
    events = read_events(log)
    kinds = [(e["event"], e.get("party")) for e in events]
    lost = kinds.index(("agent_lost", "wuyi"))
    back = kinds.index(("agent_rejoined", "wuyi"))
    assert lost < back
    rejoined = events[back]
    assert rejoined["phase"] == 1 and rejoined["pid"] != pids["wuyi"]
    acted = [e for e in events[back:] if e.get("party") == "wuyi" and e["event"] == "offer"]
    assert acted, "the rejoined agent made no offer"
    assert summary["absent"] == [] and summary["rounds"] == 2000
    assert verify(log.parent).ok  # the loss and the rejoin are replayed from the log


def test_distributed_agents_leave_when_the_hub_dies(procs, tmp_path, keys):
    overrides = ["--set", "negotiation.deadline=5000", "--set", "negotiation.stall=5000"]
    med, endpoint = start_mediator(procs, tmp_path, keys, *overrides)
    start_agents(procs, endpoint, keys, PARTIES)
    agents = procs.procs[1:]
    log = wait_for_log(tmp_path / "runs", '"round_end"', 2)
    med.kill()
    med.wait(timeout=10)
    killed = time.monotonic()
    codes = [a.wait(timeout=15) for a in agents]
    waited = time.monotonic() - killed
    assert codes == [3, 3, 3, 3] and waited < 8.0  # five missed heartbeats, then they leave
    lines = read_events(log)  # the complete lines: a valid prefix of the chain
    assert verify_chain(lines) is None and lines[-1]["event"] != "run_finished"


_PEAK_RSS = (
    "import ctypes, resource, subprocess, sys\n"
    "die_with_me = lambda: ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL\n"
    "code = subprocess.run(sys.argv[1:], preexec_fn=die_with_me).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'peak rss kB: {peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)
"""Runs a command (killed if the wrapper dies) and prints its peak RSS (the only child it waits
for)."""


def _hub_peak_rss(procs, tmp_path, keys, name: str, flood: int) -> tuple[int, dict]:
    """Run the default case as a distributed run whose hub first receives ``flood`` malformed
    messages from a holder of a valid key; the hub's peak RSS (kB) and its summary."""
    command = [sys.executable, "-c", _PEAK_RSS, *PY, "mediator", str(DEFAULT)]
    command += ["--bind", "tcp://127.0.0.1:0", "--keys", str(keys), "--out", str(tmp_path / name)]
    command += ["--json", "--join-timeout", "300"]
    hub = subprocess.Popen(
        command,
        cwd=ROOT,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    procs.procs.append(hub)  # ended at teardown, even on failure (and the hub with it)
    endpoint = hub.stderr.readline().split()[-1]
    if flood:
        keypair = client_from_dir(keys, "wuyi")
        context = zmq.Context()
        sock = context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, -1)
        sock.setsockopt(zmq.SNDHWM, 0)
        sock.setsockopt(zmq.ROUTING_ID, b"flooder")
        sock.curve_serverkey = keypair.server_public
        sock.curve_publickey = keypair.public
        sock.curve_secretkey = keypair.secret
        sock.connect(endpoint)
        for i in range(flood):
            sock.send(b"\x93garbage %d" % i)
        sock.close()
        context.term()  # every message handed over
        # the refusals reach the log a megabyte at a time: wait for all but the last megabyte
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            logs = list((tmp_path / name).glob("*/events.jsonl"))
            if logs and logs[0].read_bytes().count(b'"rejected_message"') >= flood - 5000:
                break
            time.sleep(0.1)
    start_agents(procs, endpoint, keys, PARTIES)
    out, err = hub.communicate(timeout=300)
    assert hub.returncode == 0, err
    peak = int(err.rsplit("peak rss kB: ", 1)[1].split()[0])
    return peak, json.loads(out)


def test_a_flood_of_refused_messages_leaves_the_hubs_memory_bounded(procs, tmp_path, keys):
    """100,000 malformed messages from a key holder: every one refused and logged, and the hub's
    peak RSS within 25 MB of the same run without them. (The lines of a flood used to wait in
    memory until the end of the join, 4 kB each.)"""
    quiet, _ = _hub_peak_rss(procs, tmp_path, keys, "quiet", 0)
    flooded, summary = _hub_peak_rss(procs, tmp_path, keys, "flooded", 100_000)
    assert summary["rejected_messages"] == 100_000
    growth_mb = (flooded - quiet) / 1024
    assert growth_mb < 25, f"peak RSS grew by {growth_mb:.0f} MB under the flood"
    events = read_events(Path(summary["log"]))
    assert verify_chain(events) is None and events[-1]["event"] == "run_finished"


def test_a_stolen_identity_whose_rejoin_fails_is_replayed(tmp_path):
    """A hello with sequence number 1 in Wuyi's name (its routing id taken over, as ipc allows)
    starts a rejoin that never gets ready (``rejoin_failed``); the log still re-executes."""
    from negotiator.replay import verify

    sockets: list = []  # the run's bound socket, once it exists (the thief needs its address)

    out = tmp_path / "runs"
    stop = threading.Event()

    def steal() -> None:
        with contextlib.suppress(AssertionError):
            wait_for_log(out, '"round_end"', 1, timeout=60)
        if stop.is_set() or not sockets:
            return
        context = zmq.Context()
        sock = context.socket(zmq.DEALER)
        sock.setsockopt(zmq.ROUTING_ID, b"wuyi")
        sock.connect(sockets[0].endpoint)
        sock.send(hello("wuyi"))
        stop.wait(30)  # hold the identity (and never say ready) until the run is over
        sock.close(linger=0)
        context.term()

    config = load(  # a silent Jinyun: rounds of 0.5 s, so a round boundary follows the theft
        DEFAULT,
        *SAOP_DEFAULT,
        "parties.jinyun.strategy='agents.testing:Silent'",
        "negotiation.turn_timeout=0.5",
        "negotiation.deadline=10",
        "implementation.periods=3",
        "implementation.shocks=[]",
    )
    with _watching_sockets(sockets):
        thief = threading.Thread(target=steal, daemon=True)
        thief.start()
        try:
            result = run(config, RunOptions(out=out, transport="ipc", join_timeout=2.0))
        finally:
            stop.set()
            thief.join(timeout=35)
    events = read_events(result.run_dir / "events.jsonl")
    assert "rejoin_failed" in [e["event"] for e in events]
    report = verify(result.run_dir)  # the agents cannot be: Wuyi's replies went to the thief
    assert report.ok and report.finished, report.message
