"""A pool of agents reused run after run gives the same runs as fresh agents."""

from __future__ import annotations

import os
import signal
import time

import pytest

from negotiator.errors import ConfigError
from negotiator.runtime.pool import Pool
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import BUYER_SELLER, DEFAULT, load

pytestmark = pytest.mark.usefixtures("no_leftover_processes")


def test_pooled_processes_are_reused_and_change_no_digest(tmp_path):
    with Pool("ipc") as pool:
        pooled = [pool.run(load(DEFAULT, seed=s), RunOptions(out=tmp_path)) for s in (1, 2, 3)]
        pids = pool.pids()
    fresh = [
        run(load(DEFAULT, seed=s), RunOptions(out=tmp_path, transport="inproc")) for s in (1, 2, 3)
    ]
    assert [r.summary.final_digest for r in pooled] == [r.summary.final_digest for r in fresh]
    assert all(r.pids == pids for r in pooled)  # the same four processes played all three runs
    assert sorted(pids) == ["jinyun", "wuyi", "yongkang", "zhejiang"]


def test_pooled_threads_change_no_digest(tmp_path):
    with Pool("inproc") as pool:
        pooled = [pool.run(load(DEFAULT, seed=s), RunOptions(out=tmp_path)) for s in (4, 5)]
    fresh = [
        run(load(DEFAULT, seed=s), RunOptions(out=tmp_path, transport="inproc")) for s in (4, 5)
    ]
    assert [r.summary.final_digest for r in pooled] == [r.summary.final_digest for r in fresh]


def test_a_dead_agent_is_replaced_and_a_new_cast_gets_new_agents(tmp_path):
    with Pool("ipc") as pool:
        first = pool.run(load(DEFAULT), RunOptions(out=tmp_path))
        old = pool.pids()
        os.kill(old["wuyi"], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pool.dead() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        second = pool.run(load(DEFAULT), RunOptions(out=tmp_path))
        assert pool.pids()["wuyi"] != old["wuyi"]
        assert pool.pids()["jinyun"] == old["jinyun"]
        other = pool.run(load(BUYER_SELLER), RunOptions(out=tmp_path))
        assert sorted(pool.pids()) == ["buyer", "seller"]
    assert second.summary.final_digest == first.summary.final_digest
    alone = run(load(BUYER_SELLER), RunOptions(out=tmp_path, transport="inproc"))
    assert other.summary.final_digest == alone.summary.final_digest


def test_a_pool_over_tcp_is_refused():
    with pytest.raises(ConfigError, match="ipc, inproc or direct"):
        Pool("tcp")


def test_a_direct_pool_runs_each_run_in_this_process(tmp_path):
    with Pool("direct") as pool:
        first = pool.run(load(BUYER_SELLER), RunOptions(out=tmp_path))
        second = pool.run(load(BUYER_SELLER), RunOptions(out=tmp_path, transport="ipc"))
        assert pool.pids() == {} and pool.runs == 2
    assert first.summary.final_digest == second.summary.final_digest
    alone = run(load(BUYER_SELLER), RunOptions(out=tmp_path, transport="inproc"))
    assert first.summary.final_digest == alone.summary.final_digest


def test_after_a_failed_run_the_pool_starts_afresh(tmp_path, monkeypatch):
    from negotiator.mediator.negotiation import SingleText

    real = SingleText.round
    calls = {"n": 0}

    def failing(self, *args):
        calls["n"] += 1
        if calls["n"] == 3:  # the first run breaks down in its third round
            raise RuntimeError("the mediator failed")
        return real(self, *args)

    monkeypatch.setattr(SingleText, "round", failing)
    with Pool("ipc") as pool:
        with pytest.raises(RuntimeError, match="mediator failed"):
            pool.run(load(DEFAULT), RunOptions(out=tmp_path))
        assert pool.agents == {}  # its agents, left mid-run, were ended
        again = pool.run(load(DEFAULT), RunOptions(out=tmp_path))
    fresh = run(load(DEFAULT), RunOptions(out=tmp_path, transport="inproc"))
    assert again.summary.final_digest == fresh.summary.final_digest
