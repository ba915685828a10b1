"""Round-robin tournaments of compliance strategies (Axelrod-style), played through the real
mediator and agent code.

Every ordered pair of the config's ``[tournament] strategies`` plays one match of ``turns``
periods (so each pair meets twice, once in each seat, and each strategy meets a copy of itself).
The ranking is by mean score per turn against the others; self-play is played but left out of the
mean, as in Axelrod's tournaments. The result is a :class:`TournamentResult`; its
:meth:`~TournamentResult.to_json` is what ``tournament --json`` prints.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from negotiator.config import Config, PayoffSpec, config_from_dict
from negotiator.errors import ConfigError
from negotiator.experiments import style
from negotiator.io.bus import Transport
from negotiator.runtime.runner import RunOptions, run, timestamp


@dataclass(frozen=True)
class Match:
    """One match: the strategies in seat order, their moves (``C``/``D`` per turn), their total
    scores, and the match's event log (not part of the JSON)."""

    players: tuple[str, str]
    actions: tuple[str, str]
    scores: tuple[float, float]
    log: str

    def to_json(self) -> dict[str, Any]:
        return {
            "players": list(self.players),
            "actions": list(self.actions),
            "scores": list(self.scores),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], log: str = "") -> Match:
        (a, b), (x, y), (u, v) = data["players"], data["actions"], data["scores"]
        return cls(players=(a, b), actions=(x, y), scores=(u, v), log=log)


@dataclass(frozen=True)
class Standing:
    """A strategy's place in the ranking: its mean score per turn against the others."""

    strategy: str
    mean_score_per_turn: float

    def to_json(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "mean_score_per_turn": self.mean_score_per_turn}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Standing:
        return cls(strategy=data["strategy"], mean_score_per_turn=data["mean_score_per_turn"])


@dataclass(frozen=True)
class TournamentResult:
    """The round robin: turns per match, the stage game, the ranking (best first), every match
    in the order played, and the folder of the matches' logs."""

    turns: int
    game: PayoffSpec
    ranking: tuple[Standing, ...]
    matches: tuple[Match, ...]
    folder: Path

    def to_json(self) -> dict[str, Any]:
        """What ``tournament --json`` prints (the folder and the logs are left out)."""
        game = self.game
        return {
            "turns": self.turns,
            "game": {"R": game.R, "S": game.S, "T": game.T, "P": game.P},
            "ranking": [r.to_json() for r in self.ranking],
            "matches": [m.to_json() for m in self.matches],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], folder: Path = Path()) -> TournamentResult:
        return cls(
            turns=data["turns"],
            game=PayoffSpec.model_validate(data["game"]),
            ranking=tuple(Standing.from_json(r) for r in data["ranking"]),
            matches=tuple(Match.from_json(m) for m in data["matches"]),
            folder=folder,
        )


def match_config(base: Config, a: str, b: str, turns: int) -> Config:
    """The config of one match: ``a`` in the first seat, ``b`` in the second."""
    data = base.model_dump(mode="json", exclude_none=True)
    seats = list(base.parties)
    data["negotiation"]["enabled"] = False
    data["implementation"]["periods"] = turns
    data["implementation"]["shocks"] = []
    data["parties"][seats[0]]["compliance"] = a
    data["parties"][seats[1]]["compliance"] = b
    for seat in seats:
        data["parties"][seat]["compliance_params"] = {}
    data.pop("tournament", None)
    return config_from_dict(data, source="tournament match")


def check_tournament_config(config: Config) -> tuple[list[str], PayoffSpec]:
    """The strategies and the (single) stage game, or a :class:`ConfigError`."""
    if config.tournament is None:
        raise ConfigError("tournament: the config has no [tournament] section")
    if len(config.parties) != 2:
        raise ConfigError("tournament: the config must have exactly two parties (the seats)")
    impl = config.implementation
    if impl is None or not isinstance(impl.payoffs, PayoffSpec):
        raise ConfigError(
            "tournament: needs [implementation] with payoffs = { R = .., S = .., T = .., P = .. }"
        )
    return list(config.tournament.strategies), impl.payoffs


def play_tournament(
    config: Config,
    *,
    turns: int | None = None,
    transport: Transport = "direct",
    out: Path = Path("runs"),
    progress: Callable[[int, int], None] | None = None,
) -> TournamentResult:
    """Play the round robin."""
    strategies, game = check_tournament_config(config)
    assert config.tournament is not None
    turns = turns or config.tournament.turns
    folder = out / f"tournament-{config.run.name}-{timestamp()}"
    pairs = list(itertools.product(strategies, repeat=2))
    matches: list[Match] = []
    seats = list(config.parties)
    for i, (a, b) in enumerate(pairs):
        result = run(
            match_config(config, a, b, turns),
            RunOptions(transport=transport, out=folder, run_id=f"{i:03d}-{a}-vs-{b}"),
        )
        impl = result.summary.implementation
        assert impl is not None, "a match is played in phase 2"
        matches.append(
            Match(
                players=(a, b),
                actions=(impl.moves[seats[0]], impl.moves[seats[1]]),
                scores=(impl.cumulative_payoffs[seats[0]], impl.cumulative_payoffs[seats[1]]),
                log=result.summary.log,
            )
        )
        if progress is not None:
            progress(i + 1, len(pairs))
    return TournamentResult(
        turns=turns,
        game=game,
        ranking=tuple(ranking(strategies, matches, turns)),
        matches=tuple(matches),
        folder=folder,
    )


def ranking(strategies: list[str], matches: list[Match], turns: int) -> list[Standing]:
    """Mean score per turn against the others (self-play excluded), best first."""
    totals: dict[str, list[float]] = {s: [] for s in strategies}
    for m in matches:
        a, b = m.players
        if a == b:
            continue
        totals[a].append(m.scores[0] / turns)
        totals[b].append(m.scores[1] / turns)
    rows = [Standing(s, math.fsum(v) / len(v) if v else 0.0) for s, v in totals.items()]
    return sorted(rows, key=lambda r: (-r.mean_score_per_turn, r.strategy))


def pair_matrix(result: TournamentResult) -> tuple[list[str], list[list[float]]]:
    """Mean score per turn of the row strategy against the column strategy (row in seat 1)."""
    names = [r.strategy for r in result.ranking]
    index = {s: i for i, s in enumerate(names)}
    grid = [[0.0] * len(names) for _ in names]
    for m in result.matches:
        a, b = m.players
        grid[index[a]][index[b]] = m.scores[0] / result.turns
    return names, grid


def plot_pair_scores(result: TournamentResult, path: Path) -> Path:
    """Save a heat map of the pair scores (row strategy's mean score per turn) to ``path``, in
    the format its suffix names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, grid = pair_matrix(result)
    fig, ax = plt.subplots(figsize=(1.0 + 0.8 * len(names), 0.8 + 0.7 * len(names)))
    image = ax.imshow(grid, cmap=style.SEQUENTIAL)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="white", fontsize=8)
    ax.set_xlabel("opponent")
    ax.set_ylabel("player (score per turn)")
    game = result.game
    ax.set_title(
        f"Mean score per turn, {result.turns} turns "
        f"(R={game.R:g}, S={game.S:g}, T={game.T:g}, P={game.P:g})"
    )
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    style.save(fig, path)
    plt.close(fig)
    return path
