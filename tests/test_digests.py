"""Optimisations change no outcome: the final digests of a set of configs are pinned.

The digests were recorded with the code before the performance work of issue 8 (commit 2e81577)
and must not move because of an optimisation. They move, legitimately, only when what a run logs
changes on purpose (a new config key, a new event field): then rerun the cases, check that the
change is the intended one, and record the new values here with a line in CHANGELOG.md.
"""

from __future__ import annotations

import pytest

from negotiator.runner import RunOptions, run
from tests.conftest import CONFIGS, load

CASES: dict[str, tuple[str, list[str], str]] = {
    "default": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        [],
        "0535279345424692eb83e055cb521e0e691e11c34642f19fc8aa747dfef61d51",
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
        "ca45ea161dabb3b66ae7ad7e11db422681bb932c601cf60c61342a86c520c0d9",
    ),
    "default_private_seed7": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        ["mediator.transparency='private'", "run.seed=7"],
        "c746e306f8735a237e495cbd6b027046ee9f22c35920c63426c4b4e086921d4b",
    ),
    "default_audited_exaggerate": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        [
            "mediator.transparency='audited'",
            "parties.wuyi.declaration='exaggerate'",
            "parties.wuyi.exaggeration=0.5",
        ],
        "5acb51c3b49b5238d7d5f7263bdc793cf9e4539b86c234a1baab3a4bd4d9af8a",
    ),
    "rubinstein": (
        "scenarios/rubinstein.toml",
        [],
        "e8a601f13087159d7af0b952934f9385f6ef1526971a3a8262094d16d7dd63e5",
    ),
    "prisoners_dilemma": (
        "scenarios/prisoners_dilemma.toml",
        [],
        "379153a48062f3e92abb0be5e52c5892df828302ed2923d5cacd8150fd9dca68",
    ),
    "buyer_seller": (
        "domains/buyer_seller.toml",
        [],
        "32600b6502820aedc3b5f5b9df890532c7fde937a82a19a14e07e22f29d22efc",
    ),
    "annealers_seed3": (
        "scenarios/yongkang_wuyi_jinyun.toml",
        [
            "parties.yongkang.strategy='annealer'",
            "parties.wuyi.strategy='hill_climber'",
            "superior.guidance='none'",
            "run.seed=3",
        ],
        "5914d84d82265a8367ea0ff3b5a43d93ce054f3ecd7cb9ff369555093ff6ccab",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_final_digest_is_unchanged(name, tmp_path):
    path, overrides, digest = CASES[name]
    result = run(load(CONFIGS / path, *overrides), RunOptions(out=tmp_path, transport="inproc"))
    assert result.summary["final_digest"] == digest


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["ipc", "tcp"])
def test_the_default_digest_is_unchanged_on_processes(transport, tmp_path):
    path, overrides, digest = CASES["default"]
    result = run(load(CONFIGS / path, *overrides), RunOptions(out=tmp_path, transport=transport))
    assert result.summary["final_digest"] == digest
