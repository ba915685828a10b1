"""Inproc runs keep the mediator and its agent threads on one CPU core, and give the caller its
affinity back."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from negotiator.experiments import executors
from negotiator.mediator.coordinator import Mediator
from negotiator.runtime.affinity import allowed_cpus, current_cpu, on_one_cpu, pick_cpu
from negotiator.runtime.pool import Pool
from negotiator.runtime.runner import RunOptions, run
from tests.conftest import DEFAULT, load

needs_two_cpus = pytest.mark.skipif(
    len(allowed_cpus()) < 2, reason="needs sched_setaffinity and at least two allowed CPUs"
)


def agent_thread_cpus() -> dict[str, set[int]]:
    return {
        t.name: os.sched_getaffinity(t.native_id)
        for t in threading.enumerate()
        if t.name.startswith("agent-") and t.native_id is not None
    }


@needs_two_cpus
def test_a_block_pins_the_thread_and_the_threads_it_starts_then_gives_the_affinity_back():
    before = os.sched_getaffinity(0)
    cpu = allowed_cpus()[-1]
    seen: list[set[int]] = []
    with on_one_cpu(cpu) as pinned:
        assert pinned == cpu and os.sched_getaffinity(0) == {cpu}
        t = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0)))
        t.start()
        t.join()
        assert current_cpu() == cpu
    assert seen == [{cpu}]
    assert os.sched_getaffinity(0) == before


def test_nothing_is_pinned_without_a_cpu_or_with_one_not_allowed():
    before = os.sched_getaffinity(0)
    with on_one_cpu(None) as pinned:
        assert pinned is None and os.sched_getaffinity(0) == before
    with on_one_cpu(max(before) + 1) as pinned:
        assert pinned is None and os.sched_getaffinity(0) == before


@needs_two_cpus
def test_sweep_workers_are_numbered_onto_different_cpus():
    counter = multiprocessing.get_context("spawn").Value("i", 0)
    numbers: list[int] = []
    for _ in range(2):  # what two workers' initializers do, one after the other
        executors._WORKER_NUMBER.clear()
        executors._number_worker(counter)
        numbers += executors._WORKER_NUMBER
    executors._WORKER_NUMBER.clear()
    assert numbers == [0, 1]
    assert pick_cpu(0) != pick_cpu(1)
    assert pick_cpu() in allowed_cpus()


@needs_two_cpus
def test_an_inproc_run_is_pinned_while_it_runs_and_the_caller_is_not_after(tmp_path, monkeypatch):
    before = os.sched_getaffinity(0)
    during: list[tuple[set[int], dict[str, set[int]]]] = []
    checkpoint = Mediator.checkpoint

    def watched(self, *args, **kwargs):  # a round's boundary: every agent is running
        if not during:
            during.append((os.sched_getaffinity(0), agent_thread_cpus()))
        return checkpoint(self, *args, **kwargs)

    monkeypatch.setattr(Mediator, "checkpoint", watched)
    run(load(DEFAULT, seed=1), RunOptions(out=tmp_path, transport="inproc"))
    ((mediator, agents),) = during
    assert len(mediator) == 1
    assert set(agents) == {"agent-yongkang", "agent-wuyi", "agent-jinyun", "agent-zhejiang"}
    assert all(cpus == mediator for cpus in agents.values())
    assert os.sched_getaffinity(0) == before

    during.clear()  # one_cpu=False leaves the run on every core
    run(load(DEFAULT, seed=1), RunOptions(out=tmp_path, transport="inproc", one_cpu=False))
    assert during[0][0] == before


@needs_two_cpus
def test_an_inproc_pool_keeps_its_runs_and_agent_threads_on_its_cpu(tmp_path):
    before = os.sched_getaffinity(0)
    cpu = allowed_cpus()[-1]
    with Pool("inproc", cpu=cpu) as pool:
        assert pool.cpu == cpu
        for seed in (1, 2):
            pool.run(load(DEFAULT, seed=seed), RunOptions(out=tmp_path))
            assert os.sched_getaffinity(0) == before  # the caller, between runs
            agents = agent_thread_cpus()
            assert len(agents) == 4 and all(c == {cpu} for c in agents.values())
    with Pool("ipc") as ipc:
        assert ipc.cpu is None and not ipc.one_cpu  # processes: nothing to pin


@needs_two_cpus
def test_an_inproc_pool_without_a_cpu_follows_the_calling_thread_run_by_run(tmp_path):
    first, second = allowed_cpus()[0], allowed_cpus()[-1]
    with Pool("inproc") as pool:
        for cpu in (first, second):
            with on_one_cpu(cpu):  # where the scheduler happens to have the caller
                pool.run(load(DEFAULT, seed=1), RunOptions(out=tmp_path))
            agents = agent_thread_cpus()
            assert len(agents) == 4 and all(c == {cpu} for c in agents.values())
    everywhere = os.sched_getaffinity(0)
    with Pool("inproc", one_cpu=False) as pool:
        pool.run(load(DEFAULT, seed=1), RunOptions(out=tmp_path))
        agents = agent_thread_cpus()
        assert len(agents) == 4 and all(c == everywhere for c in agents.values())
