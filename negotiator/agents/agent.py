"""The agent: one party's answers to the mediator's messages, whoever hosts it.

:class:`Agent` reads each message with :mod:`negotiator.io.messages`, keeps only what it was sent
(its own contexts, the offers it was asked to answer, its phase-2 record in
:class:`~negotiator.agents.conduct.Conduct`), asks its strategies, and returns the packed replies.
It does no I/O: :func:`negotiator.agents.process.run_agent` hosts it on a socket, replay feeds it a
log.
"""

from __future__ import annotations

import os
import socket

from negotiator.agents.base import (
    AgentContext,
    NegotiationStrategy,
    TurnObservation,
    VoteObservation,
)
from negotiator.agents.conduct import Conduct
from negotiator.agents.registry import resolve, resolve_compliance
from negotiator.agents.superior import Province
from negotiator.io.messages import (
    ACTION,
    INVALID_ACTION,
    AcceptAction,
    AgentError,
    ComplianceRequest,
    DeclarationAction,
    DeclarationSpec,
    DeclareRequest,
    End,
    EndAction,
    ErrorNotice,
    Event,
    GovernmentWelcome,
    Heartbeat,
    Hello,
    MoveAction,
    NegotiationContext,
    OfferAction,
    OfferEvent,
    PeriodReport,
    PlanRequest,
    RatifyRequest,
    Ready,
    RenegotiationEvent,
    Request,
    RotationEvent,
    SaopTurnRequest,
    StageGameEvent,
    SuperiorWelcome,
    UnknownKind,
    VoteAction,
    VoteRequest,
    pack,
    parse_from_mediator,
)
from negotiator.io.wire import Codec, Message
from negotiator.model.actions import Accept, EndNegotiation, Offer, RawAction
from negotiator.model.domain import Domain

Replies = tuple[list[bytes], bool]
"""Messages to send in reply, and whether the agent is done."""


def negotiation_strategy(
    party: str, order: tuple[str, ...], seed: int, context: NegotiationContext
) -> NegotiationStrategy:
    """The strategy a negotiation context names, built for this party's context."""
    ctx = AgentContext(
        party=party,
        domain=context.domain,
        utility=context.utility,
        protocol=context.protocol,
        deadline=context.deadline,
        order=order,
        discounts=dict(context.discounts),
        seed=seed,
    )
    cls = resolve(context.strategy.name)
    return cls(ctx, cls.make_params(dict(context.strategy.params)))


def action_body(
    action: object, turn: int, session: int, domain: Domain
) -> OfferAction | AcceptAction | EndAction:
    """The wire body of a strategy's SAOP move."""
    if isinstance(action, Accept):
        return AcceptAction(turn, session)
    if isinstance(action, Offer):
        return OfferAction(turn, session, domain.decode(action.outcome))
    if isinstance(action, EndNegotiation):
        return EndAction(turn, session)
    raise TypeError(f"a strategy returned {action!r}, not an action")


def observation(request: SaopTurnRequest, domain: Domain, me: str) -> TurnObservation:
    """A SAOP turn as the strategy sees it."""
    proposer = request.proposer
    if proposer is None and request.own_offer:
        proposer = me  # under private transparency: only "it is your own offer" is said
    standing = request.standing
    return TurnObservation(
        round=request.round,
        turn=request.turn,
        standing=domain.encode(standing) if standing is not None else None,
        proposer=proposer,
    )


class Agent:
    """The message handling of one agent, independent of how it is hosted (process or thread).

    It keeps only what it was sent: its own context, the offers it was asked to answer, and its
    own phase-2 history (moves, payoffs, the defections it was shown)."""

    def __init__(self, name: str, codec: Codec | None = None) -> None:
        self.name = name
        self.failed = False
        self.codec = codec or Codec(sender=name)
        """Its message numbering (kept across the runs of an agent that serves several)."""
        self.order: tuple[str, ...] = ()
        self.seed = 0
        self.strategy: NegotiationStrategy | None = None
        self.session = 0
        self.last_obs: TurnObservation | None = None
        self.last_round = 0
        self.conduct: Conduct | None = None
        """Its phase 2 (a government's, from its welcome on)."""
        self.province: Province | None = None
        self.ballot: tuple[VoteRequest | RatifyRequest, int] | None = None
        """The last vote or ratification request and its header round (for a retry)."""
        self.declaration = DeclarationSpec()

    def hello(self) -> bytes:
        return pack(self.codec, Hello(os.getpid(), socket.gethostname()))

    def handle(self, msg: Message) -> Replies:
        """Messages to send in reply, and whether the agent is done."""
        try:
            return self._handle(msg)
        except (Exception, SystemExit) as exc:  # report, then leave (exit code 1)
            self.failed = True
            text = f"{self.name}: {type(exc).__name__}: {exc}"
            return [pack(self.codec, AgentError(text))], True

    def _handle(self, msg: Message) -> Replies:
        try:
            incoming = parse_from_mediator(msg.type, msg.body)
        except UnknownKind:  # a kind this version does not know: ignored (protocol §2)
            return [], False
        if isinstance(incoming, Request):
            for held in incoming.events:  # held back by the mediator for this request
                self._on_event(held.event)
            return self._answer(incoming, msg.round), False
        if isinstance(incoming, GovernmentWelcome | SuperiorWelcome):
            self.codec.run = msg.run
            self._welcome(incoming)
            return [pack(self.codec, Ready())], False
        if isinstance(incoming, End):
            return [], True
        if isinstance(incoming, ErrorNotice):
            return self._retry(incoming, msg.round), False
        if isinstance(incoming, Heartbeat):
            return [], False
        self._on_event(incoming)
        return [], False

    def _welcome(self, welcome: GovernmentWelcome | SuperiorWelcome) -> None:
        self.order, self.seed = welcome.order, welcome.seed
        if isinstance(welcome, SuperiorWelcome):
            self.province = Province.from_spec(welcome.superior)
            return
        if self.conduct is None:
            self.conduct = Conduct(self.name, self.seed, welcome.compliance)
        else:  # welcomed again (replay of a rejoin): its phase-2 record stays
            self.conduct.seed, self.conduct.spec = self.seed, welcome.compliance
        self.declaration = welcome.declaration
        if welcome.negotiation is not None:
            self._start_negotiation(welcome.negotiation)
        resolve_compliance(welcome.compliance.name)  # fail early, before round 1

    def _answer(self, request: Request, round_: int) -> list[bytes]:
        """The replies to a request (none if it cannot answer it)."""
        match request:
            case ComplianceRequest():
                return self._move(request.period)
            case DeclareRequest():
                return [pack(self.codec, self._declare(request), round_)]
            case PlanRequest():
                if self.province is None:
                    return []
                return [pack(self.codec, self.province.decide(request.brief), round_)]
        if self.strategy is None:
            return []
        match request:
            case VoteRequest() | RatifyRequest():
                self.ballot = (request, round_)
                return [pack(self.codec, self._vote(request), round_)]
            case SaopTurnRequest():
                self.last_obs = observation(request, self.strategy.ctx.domain, self.name)
                self.last_round = round_
                return self._act(self.strategy.respond(self.last_obs))
        return []

    def _retry(self, error: ErrorNotice, round_: int) -> list[bytes]:
        """Told off (``invalid_action``): vote again on the same ballot, or let the strategy
        answer the error of its last SAOP move. Other errors are ignored."""
        if self.strategy is None or error.code != INVALID_ACTION:
            return []
        if self.ballot is not None and self.ballot[1] == round_:
            return [pack(self.codec, self._vote(self.ballot[0], retry=True), round_)]
        if self.last_obs is not None and error.turn == self.last_obs.turn:
            return self._act(self.strategy.on_error(self.last_obs, error.message))
        return []

    def _act(self, move: object) -> list[bytes]:
        """The action message of a strategy's SAOP move (none for None)."""
        assert self.last_obs is not None and self.strategy is not None
        turn, session, round_ = self.last_obs.turn, self.session, self.last_round
        if move is None:
            return []
        if isinstance(move, RawAction):  # sent as given; session and turn filled in if absent
            return [
                self.codec.pack(
                    ACTION, {"turn": turn, "session": session, **move.body}, round_=round_
                )
            ]
        return [
            pack(self.codec, action_body(move, turn, session, self.strategy.ctx.domain), round_)
        ]

    def _declare(self, request: DeclareRequest) -> DeclarationAction:
        """Declare own data: as it is, or inflated by ``exaggeration`` (a misreporter)."""
        factor = 1.0
        if self.declaration.mode == "exaggerate":
            factor += self.declaration.exaggeration
        return DeclarationAction({k: v * factor for k, v in request.truth.items()})

    def _vote(self, request: VoteRequest | RatifyRequest, retry: bool = False) -> VoteAction:
        assert self.strategy is not None
        domain = self.strategy.ctx.domain
        text = domain.encode(request.text)
        common = (self.session, request.round, request.text_id)
        if isinstance(request, RatifyRequest):
            vote = VoteAction("ratify", self.strategy.ratify(text), *common)
        else:
            obs = VoteObservation(request.round, text, domain.encode(request.proposal))
            vote = VoteAction("vote", self.strategy.vote(obs), *common)
        return self.strategy.vote_message(vote, retry)

    def _start_negotiation(self, context: NegotiationContext) -> None:
        self.session = context.session
        self.strategy = negotiation_strategy(self.name, self.order, self.seed, context)
        self.last_obs = None

    def _on_event(self, event: Event) -> None:
        match event:
            case RenegotiationEvent():
                self._start_negotiation(event.context)
            case OfferEvent() if self.strategy is not None:
                outcome = self.strategy.ctx.domain.encode(event.outcome)
                self.strategy.observe_offer(event.party, outcome)
            case StageGameEvent() if self.conduct is not None:
                self.conduct.on_stage_game(event)
            case RotationEvent() if self.conduct is not None:
                self.conduct.on_rotation(event)
            case PeriodReport() if self.conduct is not None:
                self.conduct.observe(event)

    def _move(self, period: int) -> list[bytes]:
        move = self.conduct.decide(period) if self.conduct is not None else None
        if move is None:
            return []
        return [pack(self.codec, MoveAction(period, move), period)]
