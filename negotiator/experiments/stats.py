"""Means, 95 % confidence intervals and hypothesis verdicts for sweep results.

Intervals use Student's t with n − 1 degrees of freedom (Welch–Satterthwaite for a difference of
two means), its quantiles from SciPy; the tests cross-check both intervals against SciPy's own
``ttest_1samp`` and ``ttest_ind(equal_var=False)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import scipy.stats


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with ``df`` degrees of freedom (``df`` need not be whole)."""
    return float(scipy.stats.t.ppf(p, df))


@dataclass(frozen=True)
class Estimate:
    n: int
    mean: float
    low: float
    high: float


def mean_ci(values: list[float], level: float = 0.95) -> Estimate:
    """The mean and its two-sided confidence interval (degenerate for n < 2)."""
    n = len(values)
    if n == 0:
        return Estimate(0, math.nan, math.nan, math.nan)
    mean = math.fsum(values) / n
    if n < 2:
        return Estimate(n, mean, mean, mean)
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = t_quantile(0.5 + level / 2, n - 1) * math.sqrt(var / n)
    return Estimate(n, mean, mean - half, mean + half)


def difference_ci(a: list[float], b: list[float], level: float = 0.95) -> Estimate:
    """mean(a) − mean(b) with a Welch confidence interval."""
    na, nb = len(a), len(b)
    if na == 0 or nb == 0:  # one side has no value: no difference to speak of
        return Estimate(na + nb, math.nan, math.nan, math.nan)
    if na < 2 or nb < 2:
        diff = (math.fsum(a) / max(na, 1)) - (math.fsum(b) / max(nb, 1))
        return Estimate(na + nb, diff, math.nan, math.nan)
    ma, mb = math.fsum(a) / na, math.fsum(b) / nb
    va = math.fsum((x - ma) ** 2 for x in a) / (na - 1)
    vb = math.fsum((x - mb) ** 2 for x in b) / (nb - 1)
    se2 = va / na + vb / nb
    diff = ma - mb
    if se2 == 0:
        return Estimate(na + nb, diff, diff, diff)
    df = se2**2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    half = t_quantile(0.5 + level / 2, df) * math.sqrt(se2)
    return Estimate(na + nb, diff, diff - half, diff + half)


def verdict(diff: Estimate) -> str:
    """held (the interval lies above 0), did not hold (below 0), or inconclusive."""
    if math.isnan(diff.low):
        return "inconclusive"
    if diff.low > 0:
        return "held"
    if diff.high < 0:
        return "did not hold"
    return "inconclusive"


def column(rows: Iterable[dict[str, str]], metric: str) -> list[float]:
    """The values of ``metric`` in result rows (an empty cell: undefined for that run, left out)."""
    return [float(r[metric]) for r in rows if r.get(metric) not in ("", None)]
