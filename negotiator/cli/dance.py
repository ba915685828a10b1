"""The first negotiation of a run, read from its event log and valued by every party: what the
negotiation dance (:mod:`negotiator.cli.plots`) and the utility-space view (:mod:`.space`) draw.

Utilities are the parties' true utilities (:func:`~negotiator.model.contract.build_setting`)
normalised to [0, 1] over the outcome space; the reservation values, the Nash and asymmetric Nash
points come from :func:`negotiator.model.analysis.analyze`, the same definitions the run's metrics
use. Only session 0 is read: a phase-2 renegotiation is not part of the dance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from negotiator.config import Config
from negotiator.errors import AnalysisTooLarge
from negotiator.model.analysis import Analysis, Point, analyze
from negotiator.model.contract import Setting, build_setting

Values = dict[str, float]
"""Every party's normalised utility of one outcome."""


@dataclass(frozen=True)
class Offer:
    """An SAOP offer: where it falls on the round axis, who made it, what it is worth."""

    x: float
    round: int
    proposer: str
    values: Values


@dataclass(frozen=True)
class Proposal:
    """A single-text round: the mutation put to the vote, each party's vote, the outcome."""

    round: int
    values: Values
    votes: dict[str, bool | None]
    accepted: bool


@dataclass(frozen=True)
class Theory:
    """The reference values of the analysis, normalised (None where undefined)."""

    reservation: Values
    nash: Values | None
    asymmetric_nash: Values | None


@dataclass
class Dance:
    """The first negotiation of a run: single text (``texts``, ``proposals``, ``ratification``)
    or SAOP (``offers``); ``agreement`` is (x, values) of the agreed outcome, if any."""

    protocol: str
    parties: list[str]
    setting: Setting
    analysis: Analysis | None
    theory: Theory
    start: str = ""
    status: str = ""
    rounds: int = 0
    texts: list[tuple[int, Values]] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    ratification: dict[str, bool | None] | None = None
    offers: list[Offer] = field(default_factory=list)
    agreement: tuple[float, Values] | None = None

    @property
    def start_text(self) -> str:
        """What the single text started from, in words."""
        return _STARTS.get(self.start, f"the {self.start} text")

    @property
    def last_round(self) -> int:
        """The last round with an offer or a vote (at least 1)."""
        rounds = [o.round for o in self.offers] + [r for r, _ in self.texts]
        return max([1, *rounds])

    def values(self, outcome: Any) -> Values:
        """Every party's normalised utility of a wire-form outcome."""
        encoded = self.setting.domain.encode(outcome)
        fns = self.setting.utilities
        return {p: fns[p].normalize(fns[p](encoded)) for p in self.parties}


_STARTS = {"plan": "the plan", "neutral": "a neutral text", "mediator": "the mediator's proposal"}


def _theory(parties: list[str], setting: Setting, analysis: Analysis | None) -> Theory:
    fns = setting.utilities

    def norm(point: Point | None) -> Values | None:
        return None if point is None else {p: fns[p].normalize(point.utilities[p]) for p in parties}

    if analysis is None:
        return Theory({p: fns[p].normalized_reservation for p in parties}, None, None)
    reservation = {p: fns[p].normalize(analysis.disagreement[p]) for p in parties}
    return Theory(reservation, norm(analysis.nash), norm(analysis.asymmetric_nash))


def read_dance(config: Config, events: list[dict[str, Any]]) -> Dance | None:
    """The first negotiation of the log, or None when the run has none (no phase 1, or a config
    without a domain)."""
    if (config.scenario is None and config.domain is None) or not config.negotiates:
        return None
    setting = build_setting(config)
    parties = list(config.party_names)
    try:
        analysis: Analysis | None = analyze(setting.domain, setting.utilities, setting.power)
    except AnalysisTooLarge:
        analysis = None
    dance = Dance(
        protocol=config.negotiation.protocol,
        parties=parties,
        setting=setting,
        analysis=analysis,
        theory=_theory(parties, setting, analysis),
    )
    _read(dance, events)
    if not dance.offers and not dance.texts:
        return None
    return dance


def _read(dance: Dance, events: list[dict[str, Any]]) -> None:
    """Fill ``dance`` from the events up to the first ``negotiation_end``."""
    n = len(dance.parties)
    offers_at: dict[int, float] = {}
    for event in events:
        kind = event["event"]
        if kind == "negotiation_end":
            dance.status, dance.rounds = str(event["status"]), int(event["rounds"])
            break
        if kind == "text_start":
            dance.start = str(event.get("source", "text"))
            dance.texts = [(0, dance.values(event["text"]))]
        elif kind == "votes" and dance.texts:
            proposal = dance.values(event["proposal"])
            rnd = int(event["round"])
            votes = {p: event["votes"].get(p) for p in dance.parties}
            dance.proposals.append(Proposal(rnd, proposal, votes, bool(event["accepted"])))
            dance.texts.append((rnd, proposal if event["accepted"] else dance.texts[-1][1]))
        elif kind == "ratify_votes":
            dance.ratification = {p: event["votes"].get(p) for p in dance.parties}
        elif kind == "offer":
            turn = int(event["turn"])
            x = 1.0 + turn / n
            offers_at[turn] = x
            values = dance.values(event["outcome"])
            dance.offers.append(Offer(x, int(event["round"]), str(event["party"]), values))
        elif kind == "agreement":
            agreed = event.get("offer_turn")
            x = offers_at.get(int(agreed), 0.0) if agreed is not None else float(event["round"])
            dance.agreement = (x, dance.values(event["outcome"]))
