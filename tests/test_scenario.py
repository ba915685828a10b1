"""The economics of DESIGN §3 on the default case."""

import math

import pytest

from negotiator.scenario import economy
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
    d = eco.dependence
    assert d["wuyi"]["yongkang"] == pytest.approx(0.525, abs=0.005)
    assert d["jinyun"]["yongkang"] == pytest.approx(0.525, abs=0.005)
    assert d["yongkang"]["wuyi"] == pytest.approx(0.277, abs=0.005)
    assert d["yongkang"]["jinyun"] == pytest.approx(0.198, abs=0.005)
    report = eco.report()
    assert report["power_asymmetry"]["wuyi"]["yongkang"] > 0
    mutual = report["mutual_dependence"]
    assert mutual["wuyi"]["yongkang"] == pytest.approx(mutual["yongkang"]["wuyi"])


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
