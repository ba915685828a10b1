"""Means, 95 % confidence intervals and hypothesis verdicts for sweep results (no SciPy needed).

Intervals use Student's t with n − 1 degrees of freedom (Welch–Satterthwaite for a difference of
two means); the t quantile is computed from the regularised incomplete beta function.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (Numerical Recipes, Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """Student's t distribution function."""
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t (bisection; |error| < 1e-10)."""
    lo, hi = -1e3, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


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
