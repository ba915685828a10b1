"""The phase-2 stage game (DESIGN §6): per-government Prisoner's Dilemma payoffs and the
contract terms the mediator enforces, derived from the config and the signed contract.
Pure functions; the compliance engine and the summary use them."""

from __future__ import annotations

from dataclasses import dataclass

from negotiator.config import Config, ImplementationSection, PayoffSpec
from negotiator.contract import Setting
from negotiator.domain import Outcome


@dataclass(frozen=True)
class Dilemma:
    """One government's stage game: T > R > P > S."""

    R: float
    S: float
    T: float
    P: float

    def payoff(self, move: str, others_defecting: int, n: int) -> float:
        """Complier: R − (R − S)·d/(n − 1); defector: T − (T − P)·d/(n − 1)."""
        share = others_defecting / (n - 1)
        if move == "C":
            return self.R - (self.R - self.S) * share
        return self.T - (self.T - self.P) * share

    def as_dict(self) -> dict[str, float]:
        return {"R": self.R, "S": self.S, "T": self.T, "P": self.P}


@dataclass(frozen=True)
class Terms:
    """What the mediator enforces in phase 2. Without a contract nothing is enforced."""

    in_force: bool
    detection: float
    penalty: float
    subsidy: float
    budget: float
    env_level: int | None = None
    renegotiable: bool = False

    def threshold(self, game: Dilemma) -> float:
        """δ* = (T − R − pF − s)/(T − P), clipped to [0, 1]: grim trigger sustains compliance
        iff δ ≥ δ*."""
        p, f, s = (self.detection, self.penalty, self.subsidy) if self.in_force else (0, 0, 0)
        if game.T - game.P <= 0:  # a degenerate game (all payoffs scaled to zero)
            return 0.0
        value = (game.T - game.R - p * f - s) / (game.T - game.P)
        return min(max(value, 0.0), 1.0)


NO_CONTRACT = Terms(in_force=False, detection=0.0, penalty=0.0, subsidy=0.0, budget=0.0)


def _impl(config: Config) -> ImplementationSection:
    if config.implementation is None:
        raise ValueError("the config has no [implementation] phase")
    return config.implementation


def contract_terms(config: Config, setting: Setting | None, contract: Outcome | None) -> Terms:
    """The terms in force: from the signed contract (its ``enforcement`` and ``penalty`` terms,
    unless ``[implementation]`` gives them), or assumed when there is no negotiation phase."""
    impl = _impl(config)
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
    )


def stage_games(
    config: Config, setting: Setting | None, contract: Outcome | None
) -> dict[str, Dilemma]:
    """Each government's stage game: given in the config, or derived from the contract:
    R = the contract's value (the reservation value without a contract), P = reservation − race
    cost, T = R + τ(R − P), S = P − κ(R − P). Should a shock push the contract's value to or below
    P, R is floored at P + 1 % of the race cost so that the stage game stays a dilemma."""
    impl = _impl(config)
    parties = config.party_names
    given = impl.payoffs
    if isinstance(given, PayoffSpec):
        return {p: Dilemma(given.R, given.S, given.T, given.P) for p in parties}
    if isinstance(given, dict):
        return {p: Dilemma(given[p].R, given[p].S, given[p].T, given[p].P) for p in parties}
    if setting is None:
        raise ValueError("a derived stage game needs a scenario or domain")
    games = {}
    for p in parties:
        u = setting.utilities[p]
        r = u(contract) if contract is not None else u.reservation
        punish = u.reservation - impl.race_cost
        r = max(r, punish + 0.01 * impl.race_cost)
        games[p] = Dilemma(
            R=r,
            S=punish - impl.kappa * (r - punish),
            T=r + impl.tau * (r - punish),
            P=punish,
        )
    return games
