"""The phase-2 stage game of a run (docs/model.md §6), from the config and the signed contract.

Every government's payoffs are cash flows (:func:`negotiator.model.contract.cash_flows`): R_g is
what the contract pays it when everyone keeps it. What a government gains by defecting comes from
the acts of defecting (``implementation.stage_game = "acts"``, the default), documented in
docs/model.md §6:

* R = base + share − cost + fixed (everyone complies);
* T = base + share + ρ·Ȳ_others − race_cost + fixed (it alone defects: skips its cost share,
  grants secret tax breaks costing ``race_cost`` and poaches a fraction ρ/(N − 1) of each
  complying partner's output, ρ = ``poaching``; its partners still credit its share);
* P = base − race_cost + fixed (everyone defects: a tax war, no surplus honoured, no cost paid);
* S = base − cost − ρ·base + fixed (it alone complies: pays its cost share in vain, its partners
  honour nothing and poach ρ of its output);

and in between the payoffs move linearly with the number of other defectors. ``"scaled"`` keeps
the earlier rule T = R + τ(R − P), S = P − κ(R − P) (with the cash R, and P = base − race_cost
+ fixed) for comparison; payoffs given in the config are used as given. Pure functions; the
engine and the summary use them.
"""

from __future__ import annotations

import math

from negotiator.config import Config, ImplementationSection, PayoffSpec
from negotiator.model.contract import CashFlows, Setting, cash_flows
from negotiator.model.domain import Outcome
from negotiator.model.stagegame import NO_CONTRACT, Dilemma, StageGame, Terms

__all__ = ["NO_CONTRACT", "Dilemma", "Terms", "contract_terms", "stage_games", "views"]


def _impl(config: Config) -> ImplementationSection:
    if config.implementation is None:
        raise ValueError("the config has no [implementation] phase")
    return config.implementation


def contract_terms(config: Config, setting: Setting | None, contract: Outcome | None) -> Terms:
    """The terms in force: from the signed contract (its ``enforcement`` and ``penalty`` terms,
    unless ``[implementation]`` gives them), or assumed when there is no negotiation phase."""
    impl = _impl(config)
    published = config.mediator.transparency in ("public", "audited")
    reputation = impl.reputation if published else 0.0
    if not config.negotiates:
        if not impl.assume_contract:
            return NO_CONTRACT
        detection = impl.detection if impl.detection is not None else 0.0
        if config.mediator.transparency == "audited":
            detection = min(1.0, detection + config.mediator.audit_detection_boost)
        return Terms(
            in_force=True,
            detection=detection,
            penalty=impl.penalty if impl.penalty is not None else 0.0,
            subsidy=impl.subsidy,
            budget=impl.budget,
            reputation=reputation,
            graduated=impl.graduated,
        )
    if contract is None or setting is None:
        return NO_CONTRACT
    decoded = setting.domain.decode(contract)
    names = [i.name for i in setting.domain.issues]
    detection, penalty, env_level = 0.0, 0.0, None
    if config.scenario is not None:
        c = config.contract
        detection = c.detection[contract[names.index("enforcement")]]
        penalty = c.penalty[contract[names.index("penalty")]]
        env_level = contract[names.index("env_standard")]
    renegotiable = decoded.get("renegotiation") is True
    if impl.renegotiation != "contract":  # an experiment forces the clause on or off
        renegotiable = impl.renegotiation == "always"
    detection = impl.detection if impl.detection is not None else detection
    if config.mediator.transparency == "audited":
        detection = min(1.0, detection + config.mediator.audit_detection_boost)
    return Terms(
        in_force=True,
        detection=detection,
        penalty=impl.penalty if impl.penalty is not None else penalty,
        subsidy=impl.subsidy,
        budget=impl.budget,
        env_level=env_level,
        renegotiable=renegotiable,
        reputation=reputation,
        graduated=impl.graduated,
    )


def stage_games(
    config: Config,
    setting: Setting | None,
    contract: Outcome | None,
    surplus_factor: float = 1.0,
    transfers: dict[str, float] | None = None,
) -> dict[str, Dilemma]:
    """Each government's stage game: given in the config (a demand shock scales all of R, S, T,
    P), or derived from the contract's cash flows (module docstring). ``transfers`` are side
    payments a renegotiated contract added (per government and period, summing to zero): they
    are paid whatever anyone does, so they shift all four payoffs alike."""
    impl = _impl(config)
    parties = config.party_names
    given = impl.payoffs
    if given is not None:
        table = {p: given for p in parties} if isinstance(given, PayoffSpec) else given
        f = surplus_factor
        return {
            p: Dilemma(table[p].R * f, table[p].S * f, table[p].T * f, table[p].P * f)
            for p in parties
        }
    if setting is None:
        raise ValueError("a derived stage game needs a scenario or domain")
    flows = cash_flows(config, setting, contract, surplus_factor, transfers)
    if impl.stage_game == "scaled":
        return {p: _scaled(flows[p], impl) for p in parties}
    return {p: _acts(p, flows, impl) for p in parties}


def views(
    games: dict[str, Dilemma],
    terms: Terms,
    lam: dict[str, float],
    *,
    offences: dict[str, int],
    budget_left: float,
    periods_left: int,
    noise: float,
    published: bool,
    discount: float,
) -> dict[str, StageGame]:
    """What each government is told of its game: its own payoffs, the terms as they apply to it
    (its next fine), the mean game of its peers, λ, the noise (docs/model.md §6; docs/protocol.md
    §5).
    The mediator sends these and the theory beside the run is computed from them."""
    parties = list(games)
    terms = terms.enforced()
    out = {}
    for party in parties:
        g = games[party]
        others = [games[q] for q in parties if q != party]
        out[party] = StageGame(
            R=g.R,
            S=g.S,
            T=g.T,
            P=g.P,
            n=len(parties),
            detection=terms.detection,
            penalty=terms.fine(offences.get(party, 0)),
            subsidy=terms.subsidy,
            lam=lam.get(party, 0.0),
            peer_R=math.fsum(o.R for o in others) / len(others),
            peer_S=math.fsum(o.S for o in others) / len(others),
            peer_T=math.fsum(o.T for o in others) / len(others),
            peer_P=math.fsum(o.P for o in others) / len(others),
            # the others' next fines: known where detections (their records) are published
            base_penalty=(
                math.fsum(terms.fine(offences.get(q, 0)) for q in parties if q != party)
                / (len(parties) - 1)
                if published
                else terms.penalty
            ),
            budget=budget_left if terms.subsidy > 0 else math.inf,
            periods_left=periods_left,
            noise=noise,
            reputation=terms.reputation,
            published=published,
            graduated=terms.graduated,
            discount=discount,
        )
    return out


def _acts(party: str, flows: dict[str, CashFlows], impl: ImplementationSection) -> Dilemma:
    mine = flows[party]
    others = [f.base for p, f in flows.items() if p != party]
    poached = impl.poaching * math.fsum(others) / len(others)
    fixed = mine.fixed
    return Dilemma(
        R=mine.value,
        S=mine.base - mine.cost - impl.poaching * mine.base + fixed,
        T=mine.base + mine.share + poached - impl.race_cost + fixed,
        P=mine.base - impl.race_cost + fixed,
    )


def _scaled(mine: CashFlows, impl: ImplementationSection) -> Dilemma:
    """The earlier rule, on the cash value: P = base − race_cost + fixed, T = R + τ(R − P),
    S = P − κ(R − P); R is floored at P + 1 % of the race cost so that the game stays a
    dilemma."""
    punish = mine.base - impl.race_cost + mine.fixed
    r = max(mine.value, punish + 0.01 * impl.race_cost)
    return Dilemma(
        R=r,
        S=punish - impl.kappa * (r - punish),
        T=r + impl.tau * (r - punish),
        P=punish,
    )
