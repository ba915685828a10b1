"""The theory beside the run (docs/model.md §6), computed from the decision utility the engine pays.

An official's decision utility in a period is u = payoff + λ·(payoff − mean of the others'
payoffs − ω·[its detection is published]), payoffs being realised cash: stage payoff, fines paid
and received, subsidy (paid to every government not detected, while the budget lasts). Both the
mediator (for the summary) and the agents (for their decisions) use these functions, so that the
theory and the strategies optimise the very quantity the engine pays.

* :func:`gain_and_loss` and :func:`delta_star`: the grim-trigger threshold. With everyone else
  complying, defecting once gains G in expected decision utility; the grim punishment (everyone
  defects for ever, the mediator still enforcing) costs L per period. Compliance is sustainable iff
  G ≤ δ/(1 − δ)·L, i.e. δ ≥ δ* = G/(G + L). With λ = 0 this is δ* = (T − R − p(F + s))/(T − P).
* :func:`expected_utility`: the expected decision utility of a move given a belief about how many
  of the others will defect (exchangeable: any set of that size equally likely), exact under the
  engine's rules for fines (shared by the compliers, or to the superior when nobody complies) and
  subsidies (shared within the budget).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from negotiator.model.stagegame import StageGame


def gain_and_loss(g: StageGame) -> tuple[float, float]:
    """(G, L): the one-shot gain in decision utility from defecting while all others comply, and
    the per-period loss of the grim punishment (all defect) against all complying. The subsidy
    is the mean the budget can pay over the periods left (:meth:`StageGame.mean_subsidy`)."""
    n, lam, p, omega = g.n, g.lam, g.detection, g.reputation
    fine, others_fine, s = g.penalty, g.others_fine, g.mean_subsidy()
    peers = g.peers
    harm = (peers.R - peers.S) / (n - 1)  # what one more defector takes from a complying peer
    gain = (
        (1 + lam) * (g.T - g.R - p * fine - p * s)
        + lam * (harm - p * fine / (n - 1))
        - lam * omega * p
    )
    loss = (
        (1 + lam) * (g.R - g.P + p * fine + p * s)
        - lam * (peers.R - peers.P + p * others_fine + p * s)
        + lam * omega * p
    )
    return gain, loss


def delta_star(g: StageGame) -> float:
    """The grim-trigger threshold δ* = G/(G + L) in [0, 1]: 0 when defecting gains nothing,
    1 when no discount factor below one sustains compliance (the punishment does not hurt)."""
    gain, loss = gain_and_loss(g)
    if gain <= 0:
        return 0.0
    if loss <= 0:
        return 1.0
    return min(gain / (gain + loss), 1.0)


def sustainable(g: StageGame, delta: float) -> bool:
    """Whether grim-trigger reasoning sustains compliance at discount factor ``delta``."""
    gain, loss = gain_and_loss(g)
    return gain <= 0 or (loss > 0 and gain <= delta * (gain + loss))


def _binomial(k: int, p: float) -> list[tuple[int, float]]:
    if p <= 0.0 or k == 0:
        return [(0, 1.0)]
    if p >= 1.0:
        return [(k, 1.0)]
    return [(j, math.comb(k, j) * p**j * (1 - p) ** (k - j)) for j in range(k + 1)]


def expected_utility(g: StageGame, move: str, belief: Mapping[int, float]) -> float:
    """Expected decision utility of ``move`` when ``belief`` gives the probability of each
    number k of defectors among the other n − 1 (normalised here). Noise has mean zero and
    drops out; the others' payoffs enter through the peers' mean game."""
    weight = math.fsum(w for w in belief.values() if w > 0)
    if weight <= 0:
        raise ValueError("a belief needs some positive probability")
    total = 0.0
    for k, w in sorted(belief.items()):
        if w > 0:  # normalised first: a weight near the smallest float must not scale the value
            own, others, caught = expected_money(g, move, k)
            value = (1 + g.lam) * own - g.lam * others - g.lam * g.reputation * caught
            total += (w / weight) * value
    return total


def expected_money(g: StageGame, move: str, k: int) -> tuple[float, float, float]:
    """With ``k`` of the others defecting: the expected payoff of ``move``, the expected mean
    payoff of the others, and the probability of being caught. Exact under the engine's rules
    (each other defector is one of the peers, exchangeably)."""
    n, p = g.n, g.detection
    if not 0 <= k <= n - 1:
        raise ValueError(f"a belief about {k} defectors among {n - 1} others")
    peers = g.peers
    defect = 1 if move == "D" else 0
    compliers = n - 1 - k  # the other governments that comply
    own_stage = g.payoff(move, k)
    others_stage = compliers * (peers.R - (peers.R - peers.S) * (k + defect) / (n - 1))
    if k:
        others_stage += k * (peers.T - (peers.T - peers.P) * (k - 1 + defect) / (n - 1))
    binding = g.subsidy > 0 and g.budget < n * g.subsidy
    if not binding:  # linear in the numbers detected: the expectation passes inside
        own, others = _money(g, own_stage, others_stage, compliers, defect, k * p, defect * p)
        return own, others, defect * p
    own = others = 0.0
    for dg, pg in [(0, 1 - p), (1, p)] if defect else [(0, 1.0)]:
        for do, po in _binomial(k, p):
            a, b = _money(g, own_stage, others_stage, compliers, defect, do, dg)
            own += pg * po * a
            others += pg * po * b
    return own, others, defect * p


def _money(
    g: StageGame,
    own_stage: float,
    others_stage: float,
    compliers: int,
    defect: int,
    do: float,
    dg: float,
) -> tuple[float, float]:
    """Own payoff and the others' mean payoff with ``do`` of the others and ``dg`` (0/1) of
    itself detected: fines shared by the compliers (to the superior if none), subsidies to
    everyone not detected within the budget."""
    n, s, budget = g.n, g.subsidy, g.budget
    fine, others_fine = g.penalty, g.others_fine
    n_c = compliers + 1 - defect  # everyone who complies, itself included
    fines = others_fine * do + fine * dg
    share = fines / n_c if n_c > 0 else 0.0  # nobody complies: the fines go to the superior
    eligible = n - do - dg
    each = min(s, budget / eligible) if s > 0 and eligible > 0 and budget > 0 else 0.0
    own = own_stage - fine * dg + (share if not defect else 0.0) + each * (1 - dg)
    others = others_stage - others_fine * do + compliers * share + each * (n - 1 - do)
    return own, others / (n - 1)
