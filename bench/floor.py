"""The transport's floor: a bare ZeroMQ "round" — one small msgpack message to each of N peers
and all N replies, no logic — over ipc, tcp (loopback) and inproc.

Usage: python bench/floor.py [--n 3 10 30 100] [--rounds 200] [--transports ipc tcp inproc]
                             [--hosts K]

Peers are OS processes (ipc, tcp) or threads (inproc), as our agents are; inproc keeps the router
and its peer threads on one CPU core, as inproc runs do (negotiator.runtime.affinity), and is also
shown on all cores. Prints the median time per round (after warm-up) for each N and transport.

``--hosts K`` (ipc, tcp): the floor of a run with agent hosts, the same shape: the N peers spread
over K processes, each with one socket and every message an envelope ``[peer, payload]``
(``[host, peer, payload]`` at the router), as ``agents.host`` and the mediator's socket do.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import msgpack
import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from negotiator.runtime.affinity import on_one_cpu, pick_cpu


def echo(ctx: zmq.Context, endpoint: str, name: str) -> None:
    """A peer: say hello, then send back every message until "bye" (a thread or a process)."""
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.ROUTING_ID, name.encode())
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    s.send(b"hello")
    while True:
        m = s.recv()
        if m == b"bye":
            break
        s.send(m)
    s.close()


def echo_host(ctx: zmq.Context, endpoint: str, name: str) -> None:
    """A host of peers: say hello, then send back every envelope ``[peer, payload]`` until
    "bye"."""
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.ROUTING_ID, name.encode())
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    s.send(b"hello")
    while True:
        m = s.recv_multipart()
        if m == [b"bye"]:
            break
        s.send_multipart(m)
    s.close()


def floor(
    n: int,
    transport: str,
    rounds: int,
    sequential: bool = False,
    one_cpu: bool | None = None,
    hosts: int = 0,
) -> float:
    """Median seconds per round with ``n`` peers over ``transport``: one message to each and all
    replies; ``sequential``: to each in turn, waiting for its reply before the next (the shape of
    a SAOP round). ``one_cpu``: the router and its peer threads on one core, as an inproc run
    keeps them (default: for inproc). ``hosts``: the peers spread over that many processes, each
    with one socket (ipc, tcp)."""
    if one_cpu is None:
        one_cpu = transport == "inproc"
    if hosts:
        return _hosted_floor(n, transport, rounds, hosts)
    with on_one_cpu(pick_cpu() if one_cpu and transport == "inproc" else None):
        return _floor(n, transport, rounds, sequential)


def _bind(transport: str, tmp: str, n: int) -> tuple[zmq.Context, zmq.Socket, str]:
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    address = {
        "ipc": f"ipc://{tmp}/s",
        "tcp": "tcp://127.0.0.1:0",
        "inproc": f"inproc://floor-{n}",
    }[transport]
    router.bind(address)
    return ctx, router, router.getsockopt_string(zmq.LAST_ENDPOINT)


def _payload() -> bytes:
    return msgpack.Packer().pack(
        {
            "v": 1,
            "type": "request",
            "run": "",
            "round": 1,
            "sender": "mediator",
            "seq": 1,
            "body": {"kind": "ping"},
        }
    )


def _hosted_floor(n: int, transport: str, rounds: int, hosts: int) -> float:
    """:func:`floor` with the ``n`` peers behind ``hosts`` enveloping processes."""
    tmp = tempfile.mkdtemp(prefix="floor-")
    ctx, router, endpoint = _bind(transport, tmp, n)
    k = max(min(hosts, n), 1)
    names = [f"p{i:04d}".encode() for i in range(n)]
    size, larger = divmod(n, k)
    route: dict[bytes, bytes] = {}
    start = 0
    for h in range(k):  # contiguous groups, as the launcher makes them
        end = start + size + (1 if h < larger else 0)
        route.update((name, f"@host-{h + 1}".encode()) for name in names[start:end])
        start = end
    host_ids = sorted(set(route.values()))
    procs = [
        subprocess.Popen([sys.executable, __file__, "--echo-host", endpoint, h.decode()])
        for h in host_ids
    ]
    try:
        for _ in host_ids:  # every host has connected
            router.recv_multipart()
        payload = _payload()
        times = []
        for r in range(rounds + 10):
            started = time.perf_counter()
            for name in names:
                router.send_multipart([route[name], name, payload])
            for _ in names:
                router.recv_multipart()
            if r >= 10:
                times.append(time.perf_counter() - started)
        for h in host_ids:
            router.send_multipart([h, b"bye"])
        return statistics.median(times)
    finally:
        _end(procs)
        router.close()
        ctx.term()
        os.rmdir(tmp) if os.path.isdir(tmp) and not os.listdir(tmp) else None


def _end(procs: list[subprocess.Popen[bytes]]) -> None:
    """Wait for the peers to leave (they were told "bye"), killing any that do not."""
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _floor(n: int, transport: str, rounds: int, sequential: bool) -> float:
    tmp = tempfile.mkdtemp(prefix="floor-")
    ctx, router, endpoint = _bind(transport, tmp, n)
    names = [f"p{i:03d}" for i in range(n)]
    procs: list[subprocess.Popen[bytes]] = []
    threads: list[threading.Thread] = []
    try:
        for name in names:
            if transport == "inproc":
                t = threading.Thread(target=echo, args=(ctx, endpoint, name), daemon=True)
                t.start()
                threads.append(t)
            else:
                procs.append(subprocess.Popen([sys.executable, __file__, "--echo", endpoint, name]))
        for _ in names:  # everyone has connected
            router.recv_multipart()
        payload = _payload()
        times = []
        for r in range(rounds + 10):
            started = time.perf_counter()
            if sequential:
                for name in names:
                    router.send_multipart([name.encode(), payload])
                    router.recv_multipart()
            else:
                for name in names:
                    router.send_multipart([name.encode(), payload])
                for _ in names:
                    router.recv_multipart()
            if r >= 10:
                times.append(time.perf_counter() - started)
        for name in names:
            router.send_multipart([name.encode(), b"bye"])
        return statistics.median(times)
    finally:
        _end(procs)
        for t in threads:
            t.join(timeout=5)
        router.close()
        ctx.term()
        os.rmdir(tmp) if os.path.isdir(tmp) and not os.listdir(tmp) else None


def main() -> None:
    if sys.argv[1:2] == ["--echo"]:  # a peer process
        echo(zmq.Context(), sys.argv[2], sys.argv[3])
        return
    if sys.argv[1:2] == ["--echo-host"]:  # a host of peers
        echo_host(zmq.Context(), sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, nargs="+", default=[3, 10, 30, 100])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--transports", nargs="+", default=["ipc", "tcp", "inproc"])
    parser.add_argument("--hosts", type=int, default=0, help="peers behind K processes (ipc, tcp)")
    args = parser.parse_args()
    print(
        f"bare ZeroMQ round (N messages out, N replies in), median of {args.rounds} "
        f"(cores: {len(os.sched_getaffinity(0))})"
    )
    if args.hosts:
        for n in args.n:
            cells = [
                f"{t} {floor(n, t, args.rounds, hosts=args.hosts) * 1000:7.3f} ms"
                for t in args.transports
                if t != "inproc"
            ]
            print(f"  N = {n:4d} over {args.hosts} hosts: " + "   ".join(cells))
        return
    for n in args.n:
        cells = [f"{t} {floor(n, t, args.rounds) * 1000:7.3f} ms" for t in args.transports]
        if "inproc" in args.transports:  # as inproc runs keep to one core, and as they would not
            spread = floor(n, "inproc", args.rounds, one_cpu=False) * 1000
            cells.append(f"inproc on all cores {spread:7.3f} ms")
        print(f"  N = {n:3d}: " + "   ".join(cells))


if __name__ == "__main__":
    main()
