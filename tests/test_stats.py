"""The sweep's intervals against SciPy's own t tests: a one-sample interval for a mean and a
Welch interval for a difference of two means, on drawn samples of different sizes and spreads."""

from __future__ import annotations

import math

import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from negotiator.experiments.stats import difference_ci, mean_ci, t_quantile, verdict

samples = st.lists(
    st.floats(min_value=-1e4, max_value=1e4, allow_nan=False), min_size=2, max_size=40
).filter(lambda xs: max(xs) - min(xs) > 1e-6 * (1 + max(abs(x) for x in xs)))


@settings(max_examples=200, deadline=None)
@given(samples, st.sampled_from([0.9, 0.95, 0.99]))
def test_mean_interval_is_scipys_one_sample_interval(values, level):
    ours = mean_ci(values, level)
    low, high = scipy.stats.ttest_1samp(values, 0.0).confidence_interval(level)
    assert ours.n == len(values)
    assert ours.low == pytest.approx(low, rel=1e-9, abs=1e-9)
    assert ours.high == pytest.approx(high, rel=1e-9, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(samples, samples)
def test_difference_interval_is_scipys_welch_interval(a, b):
    ours = difference_ci(a, b)
    low, high = scipy.stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert ours.mean == pytest.approx(sum(a) / len(a) - sum(b) / len(b), rel=1e-9, abs=1e-9)
    assert ours.low == pytest.approx(low, rel=1e-9, abs=1e-9)
    assert ours.high == pytest.approx(high, rel=1e-9, abs=1e-9)


def test_textbook_quantiles():
    assert t_quantile(0.975, 10) == pytest.approx(2.228139, abs=1e-6)
    assert t_quantile(0.975, 1000) == pytest.approx(1.962339, abs=1e-6)
    assert t_quantile(0.975, 2.5) == pytest.approx(scipy.stats.t.ppf(0.975, 2.5))


def test_degenerate_samples_are_not_intervals():
    assert math.isnan(mean_ci([]).mean)
    assert mean_ci([3.0]) == mean_ci([3.0]).__class__(1, 3.0, 3.0, 3.0)
    assert verdict(difference_ci([1.0], [0.0, 1.0])) == "inconclusive"  # one side too small
    assert verdict(difference_ci([2.0, 2.1, 1.9], [0.0, 0.1, -0.1])) == "held"
    assert verdict(difference_ci([0.0, 0.1, -0.1], [2.0, 2.1, 1.9])) == "did not hold"
