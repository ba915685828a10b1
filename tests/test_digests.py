"""Optimisations change no outcome: the final digests of a set of configs are pinned.

The digests were recorded with version 0.2.0 (the phase-2 model of issues 13 and 14) and must not
move because of an optimisation or a restructuring. They move, legitimately, only when what a run
logs changes on purpose (a new config key, a new event field, a model change): then rerun the
cases, check that the change is the intended one, and record the new values here with a line in
CHANGELOG.md.
"""

from __future__ import annotations

import pytest

from negotiator.runtime.runner import RunOptions, run
from tests.conftest import CONFIGS, load

CASES: dict[str, tuple[str, list[str], str]] = {
    "default": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        [],
        "bbc3105fd1178543eba63be5ae07da2023b2a60105d7093aa9e10bd27303e5db",
    ),
    "default_saop": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        [
            "negotiation.protocol='saop'",
            "negotiation.deadline=40",
            "parties.yongkang.strategy='boulware'",
            "parties.wuyi.strategy='linear'",
            "parties.jinyun.strategy='conceder'",
        ],
        "0c66e645d3a886a4d1b0454ecff84ddc0ebdcfb4fa7eccd4c29f1d61f519ebad",
    ),
    "default_private_seed7": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        ["mediator.transparency='private'", "run.seed=7"],
        "05fd42a2b71229738db6a61427035895ce2b20e2ee6933d54754f121d2befd89",
    ),
    "default_audited_exaggerate": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        [
            "mediator.transparency='audited'",
            "parties.wuyi.declaration='exaggerate'",
            "parties.wuyi.exaggeration=0.5",
        ],
        "54eed5cf3b6e5df1f5b5e1d285e33fd8ffe6c99d166d91bddf3b8ece4baef230",
    ),
    "rubinstein": (
        "scenarios/rubinstein.toml",
        [],
        "5f70ff0a8cfba5bb20c8bd292cb72e54b847f4b876ef806c5414fdb4d2a6afdc",
    ),
    "prisoners_dilemma": (
        "scenarios/prisoners_dilemma.toml",
        [],
        "037c860c732a7f28fca8bf83e7a6b0bf658d58d270c51d449a0324d732c1ffea",
    ),
    "buyer_seller": (
        "domains/buyer_seller.toml",
        [],
        "dd00b93d7ec0a6afa64b7112705d389bf1f5e8945f34103aadf51516613f81fb",
    ),
    "annealers_seed3": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        [
            "parties.yongkang.strategy='annealer'",
            "parties.wuyi.strategy='hill_climber'",
            "superior.guidance='none'",
            "run.seed=3",
        ],
        "1452f362a362f04304959e61e179c8b9f0e40b4dd3b2d96ad3d36601ba6337c6",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_final_digest_is_unchanged(name, tmp_path):
    path, overrides, digest = CASES[name]
    result = run(load(CONFIGS / path, *overrides), RunOptions(out=tmp_path, transport="inproc"))
    assert result.summary.final_digest == digest


@pytest.mark.slow
@pytest.mark.parametrize(
    ("transport", "hosts"),
    [("direct", 0), ("inproc", 0), ("ipc", 0), ("tcp", 0), ("ipc", 2), ("tcp", 2)],
    ids=["direct", "inproc", "ipc", "tcp", "ipc-2-hosts", "tcp-2-hosts"],
)
def test_the_default_digest_is_the_same_on_every_transport(transport, hosts, tmp_path):
    path, overrides, digest = CASES["default"]
    options = RunOptions(out=tmp_path, transport=transport, hosts=hosts)
    result = run(load(CONFIGS / path, *overrides), options)
    assert result.summary.final_digest == digest
