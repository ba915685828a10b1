"""What a government infers from its period report: how many of the others defected.

Under every transparency level a government knows its own realised payoff and the money that
makes it up (fines paid and received, subsidy, incident cost). Taking those out leaves its stage
payoff plus market noise, x = stage(move, k) + ε with ε ~ N(0, σ²), where k is the number of
defectors among the other n − 1. The posterior over k (uniform prior) multiplies

* the likelihood of x under σ (with σ = 0: only the k whose stage payoff equals x);
* what the fines say: a complier receives the fines of the others detected, shared by the
  compliers, so it learns how many were detected (with graduated sanctions only whether any
  were): a binomial likelihood in k with the detection probability p;
* under ``public`` and ``audited``, the published list of detected defectors: at least that
  many defected, and the binomial likelihood of exactly that many being caught.

With σ = 0 and distinct stage payoffs the count is exact; with σ large against (R − S)/(n − 1)
the inference is often wrong — monitoring is then imperfect (Green & Porter 1984; Kandori 2002).
The point estimate is the posterior mode (ties: the smallest count).
"""

from __future__ import annotations

import math

from negotiator.io.messages import PeriodReport
from negotiator.model.stagegame import StageGame

#: Two stage payoffs closer than this (relative) are the same when there is no noise.
EXACT = 1e-7


def _binomial_pmf(k: int, j: int, p: float) -> float:
    if j < 0 or j > k:
        return 0.0
    if p <= 0.0:
        return 1.0 if j == 0 else 0.0
    if p >= 1.0:
        return 1.0 if j == k else 0.0
    return math.comb(k, j) * p**j * (1 - p) ** (k - j)


def posterior(game: StageGame, report: PeriodReport, me: str) -> dict[int, float]:
    """The posterior probability of each number of other defectors in the reported period."""
    n = game.n
    x = report.stage_plus_noise
    sigma = game.noise
    published = None
    if report.detected is not None:
        published = sum(1 for d in report.detected if d != me)
    weights: dict[int, float] = {}
    fallback: dict[int, float] = {}
    for k in range(n):
        mu = game.payoff(report.my_move, k)
        evidence = _detection_likelihood(game, report, k, published)
        if evidence <= 0.0:
            continue
        fallback[k] = abs(x - mu)
        if sigma > 0:
            weights[k] = evidence * math.exp(-((x - mu) ** 2) / (2 * sigma * sigma))
        elif abs(x - mu) <= EXACT * max(1.0, abs(mu)):
            weights[k] = evidence
    total = math.fsum(weights.values())
    if total <= 0.0:  # nothing fits (noise far in the tail): the nearest consistent count
        if not fallback:
            return {0: 1.0}
        nearest = min(fallback, key=lambda k: (fallback[k], k))
        return {nearest: 1.0}
    return {k: w / total for k, w in weights.items() if w > 0}


def _detection_likelihood(
    game: StageGame, report: PeriodReport, k: int, published: int | None
) -> float:
    """P(what the fines and the published list show | k other defectors)."""
    p = game.detection
    if published is not None:
        return _binomial_pmf(k, published, p)
    if report.my_move != "C" or p <= 0.0 or game.others_fine <= 0.0:
        return 1.0  # a defector receives no fines; without fines they say nothing
    received = report.fines_received
    if received <= EXACT:
        return (1.0 - p) ** k
    if game.graduated > 0:  # fines differ by offender: only "some were caught"
        return 1.0 - (1.0 - p) ** k
    caught = received * (n_compliers := game.n - k) / game.others_fine
    whole = round(caught)
    if n_compliers <= 0 or abs(caught - whole) > 1e-6 * max(1.0, caught):
        return 0.0
    return _binomial_pmf(k, whole, p)


def mode(belief: dict[int, float]) -> int:
    """The most probable count (ties: the smallest)."""
    return min(belief, key=lambda k: (-belief[k], k))
