"""Issues, outcomes and additive utilities."""

import itertools

import numpy as np
import pytest

from negotiator.errors import DomainError
from negotiator.model.contract import build_setting
from negotiator.model.domain import Domain, Issue, Utility, compositions
from tests.conftest import BUYER_SELLER, DEFAULT, load


def test_share_grid_is_every_division_on_the_step():
    issue = Issue("s", "share", parties=("a", "b", "c"), units=4)
    assert issue.size == 15  # C(6, 2)
    assert all(sum(g) == 4 for g in issue.grid)
    assert len(set(issue.grid)) == issue.size
    assert compositions(2, 2) == [(0, 2), (1, 1), (2, 0)]


def test_share_wire_round_trip_and_errors():
    issue = Issue("s", "share", parties=("a", "b"), units=10)
    for option in range(issue.size):
        assert issue.from_wire(issue.to_wire(option)) == option
    with pytest.raises(DomainError, match="sum to 1"):
        issue.from_wire({"a": 0.5, "b": 0.6})
    with pytest.raises(DomainError, match="multiples of 0.1"):
        issue.from_wire({"a": 0.55, "b": 0.45})
    with pytest.raises(DomainError, match="a share for each"):
        issue.from_wire({"a": 1.0})
    with pytest.raises(DomainError, match="≥ 0"):
        issue.from_wire({"a": 1.1, "b": -0.1})


def test_labelled_and_boolean_issues():
    ordinal = Issue("o", "ordinal", labels=("low", "high"))
    assert ordinal.from_wire("high") == 1
    with pytest.raises(DomainError, match="not one of"):
        ordinal.from_wire("medium")
    flag = Issue("f", "boolean")
    assert flag.to_wire(1) is True and flag.from_wire(False) == 0
    with pytest.raises(DomainError):
        flag.from_wire(1)  # an int is not a boolean on the wire


def test_domain_encode_rejects_unknown_and_missing_issues():
    setting = build_setting(load(BUYER_SELLER))
    domain = setting.domain
    outcome = (1, 2, 0, 3)
    wire = domain.decode(outcome)
    assert domain.encode(wire) == outcome
    with pytest.raises(DomainError, match="unknown issue"):
        domain.encode(wire | {"bonus": 1})
    with pytest.raises(DomainError, match="no value"):
        domain.encode({k: v for k, v in wire.items() if k != "price"})
    with pytest.raises(DomainError, match="map"):
        domain.encode(["low"])


def test_flat_index_matches_iteration_order():
    domain = Domain(
        (Issue("a", "ordinal", labels=("x", "y", "z")), Issue("b", "boolean")), ("p", "q")
    )
    for flat, outcome in enumerate(domain.iter_outcomes()):
        assert domain.flat_index(outcome) == flat
        assert domain.outcome_at(flat) == outcome


def test_all_values_agrees_with_pointwise_utility():
    setting = build_setting(load(BUYER_SELLER))
    domain = setting.domain
    for u in setting.utilities.values():
        values = u.all_values()
        assert values.shape == (domain.n_outcomes,)
        for flat, outcome in enumerate(domain.iter_outcomes()):
            assert values[flat] == pytest.approx(u(outcome))
        assert values.min() == pytest.approx(u.min) and values.max() == pytest.approx(u.max)


def test_explicit_share_value_is_share_times_amount():
    setting = build_setting(load(BUYER_SELLER))
    issue = setting.domain.issue("marketing")
    k = issue.grid.index((3, 1))  # buyer 0.75, seller 0.25
    assert setting.utilities["buyer"].tables[3][k] == pytest.approx(0.75 * 0.15)
    assert setting.utilities["seller"].tables[3][k] == pytest.approx(0.25 * 0.2)


def test_derived_contract_follows_the_model():
    config = load(DEFAULT)
    setting = build_setting(config)
    eco = setting.economy
    assert eco is not None
    names = [i.name for i in setting.domain.issues]
    assert names == [
        "surplus_split",
        "infra_cost_split",
        "env_standard",
        "enforcement",
        "penalty",
        "renegotiation",
    ]
    yk = setting.utilities["yongkang"]
    assert yk.reservation == pytest.approx(eco.standalone["yongkang"])
    # all the surplus to Yongkang, no costs, basic standard, no enforcement, no penalty, no clause
    split = setting.domain.issue("surplus_split")
    infra = setting.domain.issue("infra_cost_split")
    all_to_yk = split.grid.index((10, 0, 0))
    none_to_yk = infra.grid.index((0, 5, 5))
    assert yk((all_to_yk, none_to_yk, 0, 0, 0, 0)) == pytest.approx(yk.reservation + eco.surplus)
    # the dependent parties gain from a high penalty, Yongkang (depended upon) loses
    pen = [setting.utilities[g].tables[4][2] for g in ("yongkang", "wuyi", "jinyun")]
    assert pen[0] < 0 < pen[1] and pen[2] > 0
    assert sum(pen) == pytest.approx(0.0, abs=1e-9)


def test_utility_spec_round_trip():
    u = Utility("p", ((1.0, 2.0), (0.5, -0.5, 0.0)), offset=3.0, reservation=2.5)
    assert Utility.from_spec(u.to_spec()) == u
    domain = Domain((Issue("s", "share", parties=("p", "q"), units=2),), ("p", "q"))
    assert Domain.from_spec(domain.to_spec()) == domain
    assert list(itertools.islice(domain.iter_outcomes(), 2)) == [(0,), (1,)]
    assert isinstance(u.all_values(), np.ndarray)
