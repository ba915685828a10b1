"""The economics of docs/model.md §1 on the default case."""

import math

import pytest

from negotiator.model.scenario import economy
from tests.conftest import DEFAULT, load


@pytest.fixture(scope="module")
def eco():
    config = load(DEFAULT)
    assert config.scenario is not None
    return economy(config.scenario)


def test_standalone_outputs_and_surplus_match_design(eco):
    assert eco.standalone["yongkang"] == pytest.approx(176.0, abs=0.5)
    assert eco.standalone["wuyi"] == pytest.approx(106.0, abs=0.5)
    assert eco.standalone["jinyun"] == pytest.approx(66.0, abs=0.6)
    assert eco.surplus == pytest.approx(67.0, abs=0.5)
    assert 100 * eco.surplus / sum(eco.standalone.values()) == pytest.approx(19.2, abs=0.1)


def test_dependence_is_asymmetric_towards_yongkang(eco):
    # D[i][j] = Σ_r α_r (1 − x_ir/X_r) x_jr/X_r (docs/model.md §1)
    d = eco.dependence
    assert d["wuyi"]["yongkang"] == pytest.approx(0.408, abs=0.001)
    assert d["jinyun"]["yongkang"] == pytest.approx(0.454, abs=0.001)
    assert d["yongkang"]["wuyi"] == pytest.approx(0.161, abs=0.001)
    assert d["yongkang"]["jinyun"] == pytest.approx(0.128, abs=0.001)
    report = eco.report()
    assert report["power_asymmetry"]["wuyi"]["yongkang"] > 0
    mutual = report["mutual_dependence"]
    assert mutual["wuyi"]["yongkang"] == pytest.approx(mutual["yongkang"]["wuyi"])


def test_what_i_lacks_matters_rows_differ(eco):
    # the earlier formula divided by Σ_{k≠i} x_kr and made every row the same
    d = eco.dependence
    assert d["wuyi"]["yongkang"] != pytest.approx(d["jinyun"]["yongkang"], abs=0.01)
    x = load(DEFAULT).scenario.resources
    alpha = load(DEFAULT).scenario.elasticities
    total = {r: sum(x[g][r] for g in x) for r in alpha}
    by_hand = sum(
        alpha[r] * (1 - x["jinyun"][r] / total[r]) * x["wuyi"][r] / total[r] for r in alpha
    )
    assert d["jinyun"]["wuyi"] == pytest.approx(by_hand)


def test_counterfactual_dependence_is_the_share_of_shapley_value_lost(eco):
    assert sum(eco.shapley.values()) == pytest.approx(eco.surplus)  # efficiency
    cf = eco.counterfactual
    # Wuyi and Jinyun each lose most of their gain without Yongkang, Yongkang much less
    assert cf["wuyi"]["yongkang"] > 0.8 and cf["jinyun"]["yongkang"] > 0.8
    assert cf["yongkang"]["wuyi"] < 0.5
    # the two parks compete for the same land and labour: each gains when the other leaves
    assert cf["wuyi"]["jinyun"] < 0 and cf["jinyun"]["wuyi"] < 0


def test_power_weights_are_normalised_others_dependence(eco):
    assert math.isclose(sum(eco.power.values()), 1.0)
    assert max(eco.power, key=eco.power.get) == "yongkang"
    held = {g: eco.others_dependence_on(g) for g in eco.governments}
    total = sum(held.values())
    for g in eco.governments:
        assert eco.power[g] == pytest.approx(held[g] / total)


def test_identical_endowments_have_no_surplus_and_symmetric_dependence():
    config = load(
        DEFAULT,
        *(
            f"scenario.resources.{g}.{r}={v}"
            for g in ("yongkang", "wuyi", "jinyun")
            for r, v in (("land", 5), ("labour", 5), ("firms", 5), ("brand", 5))
        ),
    )
    eco = economy(config.scenario)
    assert eco.surplus == pytest.approx(0.0, abs=1e-9)
    assert eco.dependence["wuyi"]["jinyun"] == pytest.approx(eco.dependence["jinyun"]["wuyi"])


def test_agglomeration_scales_joint_output():
    base = economy(load(DEFAULT).scenario)
    more = economy(load(DEFAULT, "scenario.agglomeration=0.1").scenario)
    assert more.joint == pytest.approx(base.joint * 1.1)


def test_analyze_shows_a_dependence_matrix_whose_rows_differ():
    import json

    from tests.conftest import cli

    proc = cli("analyze", str(DEFAULT), "--json")
    assert proc.returncode == 0, proc.stderr
    dep = json.loads(proc.stdout)["dependence"]
    matrix = dep["matrix"]
    # what Wuyi and Jinyun need from Yongkang differs, and so do their rows
    assert matrix["wuyi"]["yongkang"] != pytest.approx(matrix["jinyun"]["yongkang"], abs=0.01)
    assert dep["power"]["yongkang"] == pytest.approx(0.581, abs=0.001)
    assert dep["counterfactual"]["wuyi"]["jinyun"] < 0
