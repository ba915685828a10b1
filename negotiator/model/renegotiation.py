"""Renegotiation from the breakdown point (docs/model.md §6).

A contract is reopened when it stops being self-enforcing for some government: its grim-trigger
threshold δ* rises above δ under the current terms, or its cash value falls to or below what it
would get if the contract collapsed (``trigger = "self_enforcing"``); or, with ``"threshold"``,
when a shock moves some R_g by more than ``renegotiation_threshold``.

What the renegotiation can do:

* **Disagreement point: what a rejection leads to.** When the contract has stopped being
  self-enforcing for some government, a rejection means its collapse: every government then
  plays the stage game without a contract, and expects its stand-alone output per period if that
  play is self-enforcing for everyone (δ ≥ δ* of the no-contract game for all), else the tax war,
  its stand-alone output less the race cost. This **breakdown** value, not the status quo, is
  then everyone's reservation value (Binmore, Rubinstein & Wolinsky 1986; Hart & Moore 1988).
  When a threshold trigger reopens a contract that is still self-enforcing for everyone, a
  rejection leaves it standing, and the reservation value is the status quo's cash value.
* **Incentive-compatible candidates.** A candidate contract is admissible when it is
  self-enforcing for every government and pays each more than its reservation value; on admissible
  contracts a government's expected value is the contract's cash value, so the agents value
  candidates in cash.
* **Package moves and side payments.** The reopened domain adds a ``transfer`` issue: a pot
  (``transfer_pot`` × the contract's cash gain at signing) divided on a grid of 1/(N·m) whose
  equal split is no transfer; government g receives (share − 1/N)·pot per period whatever anyone
  does. The mediator proposes the Nash bargaining solution from the disagreement point over the
  admissible contracts that keep the status quo's surplus split and change only the transfer,
  the infrastructure cost split, the enforcement, the penalty and the environmental standard;
  the governments then vote on
  mutations of up to ``renegotiation_package`` issues at once, only admissible ones, and ratify
  against their reservation values (:class:`negotiator.protocols.single_text.SingleTextProtocol`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from negotiator.config import Config
from negotiator.model.contract import Setting, cash_flows
from negotiator.model.domain import Domain, Issue, Outcome, Utility
from negotiator.model.stagegame import StageGame
from negotiator.model.theory import delta_star, sustainable

#: Issues the mediator's proposal may change besides the transfer (when the domain has them).
PACKAGE = ("infra_cost_split", "enforcement", "penalty", "env_standard")
TRANSFER = "transfer"

Judge = Callable[[Outcome, dict[str, float]], dict[str, StageGame]]
"""Every government's view of its game under a contract and transfers (as it would be told)."""


@dataclass(frozen=True)
class Reopened:
    """The domain and cash utilities of a renegotiation, and how to read its outcomes."""

    domain: Domain
    utilities: dict[str, Utility]
    breakdown: dict[str, float]
    """Each government's reservation value: what rejecting the renegotiation leads to."""
    pot: float
    original: Domain

    @property
    def has_transfer(self) -> bool:
        """Whether the reopened domain ends with the transfer issue (added, never a user's)."""
        return len(self.domain.issues) > len(self.original.issues)

    def split(self, outcome: Outcome) -> tuple[Outcome, dict[str, float]]:
        """A reopened outcome as (contract on the original domain, transfers)."""
        contract = tuple(outcome[: len(self.original.issues)])
        if len(outcome) == len(self.original.issues):
            return contract, {}
        issue = self.domain.issues[-1]
        n = len(self.domain.parties)
        transfers = {
            p: (issue.share_of(outcome[-1], p) - 1.0 / n) * self.pot for p in self.domain.parties
        }
        return contract, transfers

    def join(self, contract: Outcome, transfers: dict[str, float] | None = None) -> Outcome:
        """A contract and its transfers in force (none: the equal split) as a reopened outcome.
        Transfers of an earlier renegotiation lie on the same grid (the pot is fixed at
        signing); others are rounded to the nearest grid point."""
        if len(self.domain.issues) == len(self.original.issues):
            return tuple(contract)
        issue = self.domain.issues[-1]
        if not transfers or self.pot <= 0:
            return (*contract, _equal_split(issue))
        n = len(issue.parties)
        units = [
            round((transfers.get(p, 0.0) / self.pot + 1.0 / n) * issue.units) for p in issue.parties
        ]
        units[-1] = issue.units - sum(units[:-1])
        if min(units) < 0:
            return (*contract, _equal_split(issue))
        return (*contract, issue.option_of(tuple(units)))


def _equal_split(issue: Issue) -> int:
    n = len(issue.parties)
    return issue.option_of(tuple(issue.units // n for _ in range(n)))


def troubled(
    seen: dict[str, StageGame], delta: float, breakdown: dict[str, float]
) -> frozenset[str]:
    """Governments for which the contract is not self-enforcing: grim-trigger reasoning does not
    sustain compliance, or the contract pays less than the breakdown value."""
    return frozenset(
        p for p, g in seen.items() if not sustainable(g, delta) or g.R - breakdown[p] <= 1e-9
    )


def breakdown_values(no_contract: dict[str, StageGame], delta: float) -> dict[str, float]:
    """Per-period value of stand-alone play if the contract collapses (module docstring)."""
    peaceful = all(sustainable(g, delta) for g in no_contract.values())
    return {p: (g.R if peaceful else g.P) for p, g in no_contract.items()}


def reopen(
    setting: Setting,
    config_cash: dict[str, tuple[tuple[float, ...], ...]],
    offsets: dict[str, float],
    breakdown: dict[str, float],
    pot: float,
    steps: int,
) -> Reopened:
    """The renegotiation's domain (the original issues, plus ``transfer`` when ``pot`` > 0) and
    each government's cash utility on it (``config_cash``: its cash value of every option of
    every original issue; ``offsets``: its stand-alone base), with ``breakdown`` (the values at the
    disagreement point: breakdown or status quo) as reservation values."""
    original = setting.domain
    parties = original.parties
    issues = list(original.issues)
    n = len(parties)
    if pot > 0 and steps > 0:
        issues.append(Issue(TRANSFER, "share", parties=parties, units=n * steps))
    domain = Domain(tuple(issues), parties)
    utilities = {}
    for p in parties:
        tables = list(config_cash[p])
        offset = offsets[p]
        if len(issues) > len(original.issues):
            transfer = issues[-1]
            tables.append(tuple(transfer.share_of(k, p) * pot for k in range(transfer.size)))
            offset -= pot / n
        utilities[p] = Utility(p, tuple(tables), offset, breakdown[p])
    return Reopened(domain, utilities, dict(breakdown), pot, original)


def cash_tables(
    config: Config, setting: Setting, surplus_factor: float
) -> tuple[dict[str, tuple[tuple[float, ...], ...]], dict[str, float]]:
    """Each government's cash value of a contract as additive tables: an offset (the value of
    the contract of first options) and, per issue and option, the change from it. Cash values
    are additive over issues, so offset + Σ tables = R_g of
    :func:`negotiator.model.contract.cash_flows` for every contract."""
    domain = setting.domain
    parties = domain.parties
    tables: dict[str, list[tuple[float, ...]]] = {p: [] for p in parties}
    reference = tuple(0 for _ in domain.issues)
    ref = cash_flows(config, setting, reference, surplus_factor)
    for k, issue in enumerate(domain.issues):
        column: dict[str, list[float]] = {p: [] for p in parties}
        for option in range(issue.size):
            probe = list(reference)
            probe[k] = option
            flows = cash_flows(config, setting, tuple(probe), surplus_factor)
            for p in parties:
                column[p].append(flows[p].value - ref[p].value)
        for p in parties:
            tables[p].append(tuple(column[p]))
    offsets = {p: ref[p].value for p in parties}
    return {p: tuple(t) for p, t in tables.items()}, offsets


def propose(
    reopened: Reopened,
    status_quo: Outcome,
    judge: Judge,
    delta: float,
    transfers: dict[str, float] | None = None,
) -> Outcome | None:
    """The Nash bargaining solution from the disagreement point over the admissible contracts that
    keep the status quo but for the transfer and the :data:`PACKAGE` issues (ties: the smaller
    largest δ*, then the fewest changes, then the smallest outcome); None if none is admissible.

    A transfer is paid whatever anyone does: it shifts a government's four stage payoffs alike,
    which leaves its incentive to defect unchanged. So each package of terms is screened once,
    without transfers, the best transfer for it is found by arithmetic, and the best package is
    then checked in full (:func:`admissible`), falling back to the next best if it fails."""
    import numpy as np

    domain = reopened.domain
    names = [i.name for i in domain.issues]
    parties = domain.parties
    free = [names.index(n) for n in PACKAGE if n in names]
    start = reopened.join(status_quo, transfers)
    transfer = domain.issues[-1] if reopened.has_transfer else None
    if transfer is not None:
        paid = np.array(
            [
                [(transfer.share_of(k, p) - 1.0 / len(parties)) * reopened.pot for p in parties]
                for k in range(transfer.size)
            ]
        )
        moved = np.array([k != start[-1] for k in range(transfer.size)], dtype=np.int64)
    else:
        paid = np.zeros((1, len(parties)))
        moved = np.zeros(1, dtype=np.int64)
    breakdown = np.array([reopened.breakdown[p] for p in parties])
    candidates: list[tuple[tuple[float, float, int, Outcome], Outcome]] = []
    for choice in itertools.product(*(range(domain.issues[k].size) for k in free)):
        terms = list(start)
        for k, option in zip(free, choice, strict=True):
            terms[k] = option
        contract, _ = reopened.split(tuple(terms))
        seen = judge(contract, {})
        if any(not sustainable(g, delta) for g in seen.values()):
            continue
        gains = np.array([seen[p].R for p in parties]) + paid - breakdown
        ok = gains.min(axis=1) > 1e-9
        if not ok.any():
            continue
        product = np.where(ok, np.prod(np.where(ok[:, None], gains, 1.0), axis=1), -np.inf)
        best = product.max()
        near = np.flatnonzero(product >= best - abs(best) * 1e-9)
        t = int(near[np.argmin(moved[near])])  # ties: no transfer if it is among them
        if transfer is not None:
            terms[-1] = t
        outcome = tuple(terms)
        worst = max(delta_star(g) for g in seen.values())
        changes = sum(a != b for a, b in zip(outcome, start, strict=True))
        candidates.append(((-float(best), worst, changes, outcome), outcome))
    candidates.sort(key=lambda c: _order(c[0]))
    for _, outcome in candidates:
        if admissible(reopened, outcome, judge, delta) is not None:
            return outcome
    return None


def _order(key: tuple[float, float, int, Outcome]) -> tuple[float, float, int, Outcome]:
    """Sort key: the Nash product rounded so that floating-point noise makes ties."""
    product = key[0]
    scale = 10 ** (math.floor(math.log10(abs(product))) - 9) if product else 1.0
    return (round(product / scale) * scale, *key[1:])


def admissible(
    reopened: Reopened, outcome: Outcome, judge: Judge, delta: float
) -> tuple[float, float] | None:
    """(Nash product of the gains over the reservation values, largest δ*) if ``outcome`` is
    self-enforcing for every government and pays each more than its reservation value; else
    None."""
    contract, transfers = reopened.split(outcome)
    seen = judge(contract, transfers)
    if troubled(seen, delta, reopened.breakdown):
        return None
    gains = [seen[p].R - reopened.breakdown[p] for p in reopened.domain.parties]
    return math.prod(gains), max(delta_star(g) for g in seen.values())
