"""Negotiation domains: issues, outcomes and additive utilities (docs/model.md §2).

An outcome assigns one option to every issue. Internally it is a tuple of option indices; on the
wire and in the log it is a mapping issue name → value, where a share issue's value maps each party
to its share. Utilities are additive in money: ``U_g(o) = offset_g + Σ_k table_g[k][o_k]``.

This module knows nothing of configs or processes, so agent processes can import it cheaply.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from negotiator.errors import DomainError

ISSUE_KINDS = ("share", "ordinal", "categorical", "boolean")
SHARE_TOLERANCE = 1e-6
#: Outcomes whose wire form a domain keeps (offers repeat: a negotiation visits few outcomes).
DECODE_CACHE = 4096

Outcome = tuple[int, ...]
"""An outcome as option indices, one per issue, in the domain's issue order."""


def compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    """All ways to write ``total`` as an ordered sum of ``parts`` non-negative integers."""
    out: list[tuple[int, ...]] = []
    for cuts in itertools.combinations(range(total + parts - 1), parts - 1):
        prev, comp = -1, []
        for c in cuts:
            comp.append(c - prev - 1)
            prev = c
        comp.append(total + parts - 2 - prev)
        out.append(tuple(comp))
    return out


@dataclass(frozen=True)
class Issue:
    """One term of the contract.

    ``labels`` are the options of an ordinal, categorical or boolean issue. A share issue divides
    one unit among ``parties`` on a grid of ``1/units``; its options are the grid points.
    """

    name: str
    kind: str
    labels: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    units: int = 0
    _share_index: dict[tuple[int, ...], int] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.kind not in ISSUE_KINDS:
            raise ValueError(f"issue {self.name}: unknown kind {self.kind!r}")
        if self.kind == "boolean" and self.labels != ("false", "true"):
            object.__setattr__(self, "labels", ("false", "true"))
        if self.kind == "share":
            if len(self.parties) < 2 or self.units < 1:
                raise ValueError(f"issue {self.name}: a share issue needs parties and a grid")
            index = {c: i for i, c in enumerate(self.grid)}
            object.__setattr__(self, "_share_index", index)

    @cached_property
    def grid(self) -> tuple[tuple[int, ...], ...]:
        """For a share issue: every division, in grid units, lexicographically ordered."""
        return tuple(compositions(self.units, len(self.parties))) if self.kind == "share" else ()

    def option_of(self, units: tuple[int, ...]) -> int:
        """The option of a share issue that gives each party ``units`` grid units."""
        return self._share_index[units]

    @property
    def step(self) -> float:
        return 1.0 / self.units if self.units else 0.0

    @property
    def size(self) -> int:
        return len(self.grid) if self.kind == "share" else len(self.labels)

    def share_of(self, option: int, party: str) -> float:
        """The share ``party`` receives under ``option`` of this share issue."""
        return self.grid[option][self.parties.index(party)] / self.units

    @cached_property
    def _shares_on_wire(self) -> dict[tuple[float, ...], int]:
        """Each grid point's shares exactly as :meth:`to_wire` sends them → its option."""
        return {tuple(k / self.units for k in point): i for i, point in enumerate(self.grid)}

    def to_wire(self, option: int) -> Any:
        """The JSON/msgpack form of an option."""
        if self.kind == "share":
            return {p: k / self.units for p, k in zip(self.parties, self.grid[option], strict=True)}
        if self.kind == "boolean":
            return option == 1
        return self.labels[option]

    def from_wire(self, value: Any) -> int:
        """The option index of a wire value; :class:`DomainError` names what is wrong."""
        if self.kind == "share":
            return self._share_from_wire(value)
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise DomainError(f"issue {self.name}: expected true or false, got {value!r}")
            return int(value)
        if not isinstance(value, str) or value not in self.labels:
            raise DomainError(f"issue {self.name}: {value!r} is not one of {list(self.labels)}")
        return self.labels.index(value)

    def _share_from_wire(self, value: Any) -> int:
        if type(value) is dict and len(value) == len(self.parties):
            # fast path: the exact floats to_wire sends (nothing else can be in this table)
            key = tuple(value.get(p) for p in self.parties)
            if all(type(v) is float for v in key):
                option = self._shares_on_wire.get(key)  # type: ignore[arg-type]
                if option is not None:
                    return option
        if not isinstance(value, Mapping) or set(value) != set(self.parties):
            raise DomainError(
                f"issue {self.name}: expected a share for each of {list(self.parties)}"
            )
        units: list[int] = []
        for p in self.parties:
            share = value[p]
            if isinstance(share, bool) or not isinstance(share, int | float) or share < 0:
                raise DomainError(f"issue {self.name}: share of {p} must be a number ≥ 0")
            k = share * self.units
            if not math.isfinite(k) or abs(k - round(k)) > SHARE_TOLERANCE * self.units:
                raise DomainError(f"issue {self.name}: shares must be multiples of {self.step:g}")
            units.append(round(k))
        if sum(units) != self.units:
            raise DomainError(f"issue {self.name}: shares must sum to 1")
        return self._share_index[tuple(units)]

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "share":
            spec |= {"parties": list(self.parties), "units": self.units}
        else:
            spec["labels"] = list(self.labels)
        return spec

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Issue:
        return cls(
            name=str(spec["name"]),
            kind=str(spec["kind"]),
            labels=tuple(spec.get("labels", ())),
            parties=tuple(spec.get("parties", ())),
            units=int(spec.get("units", 0)),
        )


@dataclass(frozen=True)
class Domain:
    """The issues of a negotiation and the parties that negotiate them."""

    issues: tuple[Issue, ...]
    parties: tuple[str, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(i.size for i in self.issues)

    @property
    def n_outcomes(self) -> int:
        return math.prod(self.sizes)

    def issue(self, name: str) -> Issue:
        for i in self.issues:
            if i.name == name:
                return i
        raise KeyError(name)

    def encode(self, wire: Any) -> Outcome:
        """Turn a wire outcome (issue name → value) into option indices, validating it."""
        if not isinstance(wire, Mapping):
            raise DomainError("an offer must map each issue name to a value")
        if len(wire) == len(self.issues):  # the usual case: exactly the issues, by name
            try:
                values = [wire[i.name] for i in self.issues]
            except KeyError:
                pass
            else:
                return tuple(i.from_wire(v) for i, v in zip(self.issues, values, strict=True))
        names = {i.name for i in self.issues}
        unknown = sorted(str(k) for k in wire if k not in names)
        if unknown:
            raise DomainError(f"unknown issue(s) {unknown}")
        missing = [i.name for i in self.issues if i.name not in wire]
        if missing:
            raise DomainError(f"offer has no value for issue(s) {missing}")
        return tuple(i.from_wire(wire[i.name]) for i in self.issues)

    def decode(self, outcome: Sequence[int]) -> dict[str, Any]:
        """The wire form (issue name → value) of an outcome (a new mapping; a share issue's
        value is shared between calls: do not modify it)."""
        key = tuple(outcome)
        wire = self._decoded.get(key)
        if wire is None:
            wire = {i.name: i.to_wire(o) for i, o in zip(self.issues, key, strict=True)}
            if len(self._decoded) < DECODE_CACHE:
                self._decoded[key] = wire
        return dict(wire)

    @cached_property
    def _decoded(self) -> dict[tuple[int, ...], dict[str, Any]]:
        return {}

    def flat_index(self, outcome: Sequence[int]) -> int:
        """Position of ``outcome`` in the C-order enumeration used by :meth:`iter_outcomes`."""
        return int(np.ravel_multi_index(tuple(outcome), self.sizes))

    def outcome_at(self, flat: int) -> Outcome:
        return tuple(int(x) for x in np.unravel_index(flat, self.sizes))

    def iter_outcomes(self) -> Iterator[Outcome]:
        return itertools.product(*(range(s) for s in self.sizes))

    def to_spec(self) -> dict[str, Any]:
        return {"parties": list(self.parties), "issues": [i.to_spec() for i in self.issues]}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Domain:
        return cls(
            issues=tuple(Issue.from_spec(s) for s in spec["issues"]),
            parties=tuple(spec["parties"]),
        )


@dataclass(frozen=True)
class Utility:
    """One party's additive utility in money, and its reservation value (BATNA)."""

    party: str
    tables: tuple[tuple[float, ...], ...]
    offset: float
    reservation: float

    def __call__(self, outcome: Sequence[int]) -> float:
        return self.offset + math.fsum(t[o] for t, o in zip(self.tables, outcome, strict=True))

    @cached_property
    def min(self) -> float:
        return self.offset + math.fsum(min(t) for t in self.tables)

    @cached_property
    def max(self) -> float:
        return self.offset + math.fsum(max(t) for t in self.tables)

    def normalize(self, value: float) -> float:
        """Utility rescaled to [0, 1] over the outcome space (0 = worst, 1 = best outcome)."""
        span = self.max - self.min
        return (value - self.min) / span if span > 0 else 1.0

    @property
    def normalized_reservation(self) -> float:
        return self.normalize(self.reservation)

    def all_values(self) -> np.ndarray:
        """Utility of every outcome, in the domain's C-order enumeration (float64 array)."""
        total: np.ndarray = np.zeros((), dtype=np.float64)
        for t in self.tables:
            total = np.add.outer(total, np.asarray(t, dtype=np.float64))
        return total.reshape(-1) + self.offset

    def to_spec(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "tables": [list(t) for t in self.tables],
            "offset": self.offset,
            "reservation": self.reservation,
        }

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Utility:
        return cls(
            party=str(spec["party"]),
            tables=tuple(tuple(float(v) for v in t) for t in spec["tables"]),
            offset=float(spec["offset"]),
            reservation=float(spec["reservation"]),
        )
