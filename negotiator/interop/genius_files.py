"""Reading Genius XML files: a domain (issues and their values) and the profiles (utility spaces)
of the parties, with Genius' own definition of each issue's evaluation.

The format is that of Genius (``negotiation_template`` → ``utility_space`` → ``objective`` →
``issue``; a profile is a ``utility_space`` whose ``objective`` holds every issue with its
evaluator and a ``weight`` per issue, then ``discount_factor`` and ``reservation``). Only linear
additive profiles are read: discrete, integer and real issues with the evaluators Genius gives
them (``EvaluatorDiscrete``, ``EvaluatorInteger``, ``EvaluatorReal``). Everything else, and every
malformed file, is a :class:`~negotiator.errors.ConfigError` of one line naming the file.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from negotiator.errors import ConfigError

IssueType = Literal["discrete", "integer", "real"]
ISSUE_TYPES: tuple[IssueType, ...] = ("discrete", "integer", "real")
#: Below this largest evaluation, Genius' ``EvaluatorDiscrete`` evaluates every value to 0.
TINY_MAX = 0.00001
#: The attribute ``export genius`` writes on an ordinal issue (ignored by Genius and NegMAS).
ORDERED = "ordered"


@dataclass(frozen=True)
class GeniusIssue:
    """One issue of a Genius domain: discrete (``values``) or integer / real (bounds)."""

    name: str
    index: int
    type: IssueType
    values: tuple[str, ...] = ()
    lower: float = 0.0
    upper: float = 0.0
    ordered: bool = False


@dataclass(frozen=True)
class Evaluator:
    """An issue's evaluator in a profile: Genius' evaluation of a value, before the weight."""

    evaluate: Callable[[str], float]
    """The evaluation of a value, given as its label (a discrete value, or a number)."""


@dataclass(frozen=True)
class Profile:
    """A party's Genius profile: weights and evaluators by issue index, reservation, discount."""

    path: Path
    weights: dict[int, float]
    evaluators: dict[int, Evaluator]
    reservation: float
    discount: float


def _fail(path: Path, what: str) -> ConfigError:
    return ConfigError(f"{path}: {what}")


def _root(path: Path, tag: str, hint: str) -> ET.Element:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except IsADirectoryError:
        raise _fail(path, "is a directory, not a Genius XML file") from None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise _fail(path, f"not well-formed XML ({exc})") from None
    if root.tag != tag:
        raise _fail(path, f"not a Genius {hint}: its root element is <{root.tag}>, not <{tag}>")
    return root


def _number(path: Path, element: ET.Element, attribute: str, default: float | None = None) -> float:
    text = element.get(attribute)
    if text is None:
        if default is None:
            raise _fail(path, f"<{element.tag}> has no {attribute!r} attribute")
        return default
    try:
        value = float(text)
    except ValueError:
        raise _fail(path, f"<{element.tag}> {attribute}={text!r} is not a number") from None
    if not math.isfinite(value):
        raise _fail(path, f"<{element.tag}> {attribute}={text!r} is not a finite number")
    return value


def _index(path: Path, element: ET.Element) -> int:
    value = _number(path, element, "index")
    if value != int(value) or value < 1:
        raise _fail(path, f"<{element.tag}> index={element.get('index')!r}: not a whole number ≥ 1")
    return int(value)


def _objective(path: Path, parent: ET.Element) -> ET.Element:
    """The ``objective`` holding the issues (Genius' root objective), or ``parent`` itself."""
    found = parent.find("objective")
    if found is None:
        return parent
    if found.find("objective") is not None:
        raise _fail(path, "nested objectives are not supported (only issues under one objective)")
    return found


def _issue_type(path: Path, element: ET.Element) -> IssueType:
    kind = element.get("type", "discrete")
    for t in ISSUE_TYPES:
        if kind == t:
            return t
    raise _fail(path, f"issue {element.get('name')!r}: unknown issue or evaluator type {kind!r}")


def _bounds(path: Path, element: ET.Element) -> tuple[float, float]:
    """An integer or real issue's bounds: attributes of the issue or of its ``range``."""
    holder = element.find("range")
    holder = element if holder is None else holder
    lower, upper = _number(path, holder, "lowerbound"), _number(path, holder, "upperbound")
    if upper <= lower:
        raise _fail(path, f"issue {element.get('name')!r}: upperbound must exceed lowerbound")
    return lower, upper


def read_domain(path: Path) -> list[GeniusIssue]:
    """The issues of a Genius domain file, in the file's order."""
    root = _root(path, "negotiation_template", "domain file (did you swap domain and profile?)")
    space = root.find("utility_space")
    objective = _objective(path, root if space is None else space)
    issues: list[GeniusIssue] = []
    for element in objective:
        if element.tag != "issue":
            raise _fail(path, f"unexpected <{element.tag}> among the issues")
        name = element.get("name")
        if not name:
            raise _fail(path, "an <issue> has no name")
        index, kind = _index(path, element), _issue_type(path, element)
        if any(i.name == name for i in issues):
            raise _fail(path, f"two issues are called {name!r}")
        if any(i.index == index for i in issues):
            raise _fail(path, f"issue {name!r}: index {index} is used twice")
        if kind != "discrete":
            lower, upper = _bounds(path, element)
            if kind == "integer" and (lower != int(lower) or upper != int(upper)):
                raise _fail(path, f"issue {name!r}: an integer issue needs whole-number bounds")
            issues.append(GeniusIssue(name, index, kind, lower=lower, upper=upper))
            continue
        values: list[str] = []
        for item in element.iter("item"):
            value = item.get("value")
            if value is None:
                raise _fail(path, f"issue {name!r}: an <item> has no value")
            if value in values:
                raise _fail(path, f"issue {name!r}: the value {value!r} appears twice")
            values.append(value)
        if len(values) < 2:
            raise _fail(path, f"issue {name!r}: needs at least two values (has {len(values)})")
        ordered = element.get(ORDERED) == "true"
        issues.append(GeniusIssue(name, index, kind, tuple(values), ordered=ordered))
    if not issues:
        raise _fail(path, "the domain has no issues")
    return issues


def read_profile(path: Path, issues: list[GeniusIssue]) -> Profile:
    """A party's profile, checked against the domain's ``issues`` (matched by index and name)."""
    root = _root(path, "utility_space", "profile (utility space)")
    if root.get("type") == "nonlinear":
        raise _fail(path, "non-linear utility spaces are not supported")
    objective = _objective(path, root)
    by_index = {i.index: i for i in issues}
    weights: dict[int, float] = {}
    evaluators: dict[int, Evaluator] = {}
    for element in objective:
        if element.tag == "weight":
            index = _index(path, element)
            if index not in by_index:
                raise _fail(path, f"a weight for index {index}, which is no issue of the domain")
            weights[index] = _number(path, element, "value")
            if weights[index] < 0:
                raise _fail(path, f"issue {by_index[index].name!r}: negative weight")
        elif element.tag == "issue":
            issue = _matching_issue(path, element, by_index)
            evaluators[issue.index] = _evaluator(path, element, issue)
        elif element.tag in ("utility", "utility_function"):
            raise _fail(path, "non-linear (hyper-rectangle) utility spaces are not supported")
        else:
            raise _fail(path, f"unexpected <{element.tag}> in the objective")
    for issue in issues:
        if issue.index not in evaluators:
            raise _fail(path, f"issue {issue.name!r} of the domain is missing")
        if issue.index not in weights:
            raise _fail(path, f"issue {issue.name!r} has no weight")
    if not sum(weights.values()) > 0:
        raise _fail(path, "the weights must not all be 0")
    reservation = root.find("reservation")
    discount = root.find("discount_factor")
    return Profile(
        path,
        weights,
        evaluators,
        0.0 if reservation is None else _number(path, reservation, "value"),
        1.0 if discount is None else _number(path, discount, "value"),
    )


def _matching_issue(
    path: Path, element: ET.Element, by_index: dict[int, GeniusIssue]
) -> GeniusIssue:
    index, name = _index(path, element), element.get("name")
    issue = by_index.get(index)
    if issue is None or issue.name != name:
        there = f"the domain's issue {index} is {issue.name!r}" if issue else "no such index"
        raise _fail(path, f"issue {name!r} (index {index}) does not match the domain: {there}")
    kind = _issue_type(path, element)
    if kind != issue.type:
        raise _fail(path, f"issue {name!r} is {kind} here but {issue.type} in the domain")
    return issue


def _evaluator(path: Path, element: ET.Element, issue: GeniusIssue) -> Evaluator:
    if issue.type == "discrete":
        return _discrete(path, element, issue)
    functions = element.findall("evaluator")
    if len(functions) != 1:
        raise _fail(path, f"issue {issue.name!r}: needs exactly one <evaluator>")
    function = functions[0]
    ftype = function.get("ftype", "linear")
    if issue.type == "integer":
        # EvaluatorInteger: slope · (x − lowerbound) + offset, clamped to [0, 1]
        if ftype != "linear":
            raise _fail(path, f"issue {issue.name!r}: unknown evaluator type {ftype!r}")
        lower = _number(path, element, "lowerbound", issue.lower)
        slope, offset = _number(path, function, "slope"), _number(path, function, "offset")
        return Evaluator(lambda x: _clamp(slope * (float(x) - lower) + offset))
    # EvaluatorReal: linear p1 · x + p0 clamped; constant p0; triangular (p0, p1, top p2)
    if ftype == "linear":
        p0, p1 = _number(path, function, "parameter0"), _number(path, function, "parameter1")
        return Evaluator(lambda x: _clamp(p1 * float(x) + p0))
    if ftype == "constant":
        c = _number(path, function, "parameter0")
        if c < 0:
            raise _fail(path, f"issue {issue.name!r}: a constant evaluation below 0 ({c:g})")
        return Evaluator(lambda x: c)
    if ftype == "triangular":
        lo, hi = _number(path, function, "parameter0"), _number(path, function, "parameter1")
        top = _number(path, function, "parameter2")
        if not lo <= top <= hi or lo == hi:
            need = "parameter0 ≤ parameter2 ≤ parameter1"
            raise _fail(path, f"issue {issue.name!r}: a triangle needs {need}")
        return Evaluator(lambda x: _triangle(float(x), lo, hi, top))
    raise _fail(path, f"issue {issue.name!r}: unknown evaluator type {ftype!r}")


def _discrete(path: Path, element: ET.Element, issue: GeniusIssue) -> Evaluator:
    """EvaluatorDiscrete: a value's evaluation divided by the issue's largest evaluation (0 for
    every value when the largest is below :data:`TINY_MAX`)."""
    if element.find("evaluator") is not None:
        raise _fail(path, f"issue {issue.name!r}: a discrete issue takes item evaluations")
    table: dict[str, float] = {}
    for item in element.iter("item"):
        value = item.get("value")
        if value not in issue.values:
            raise _fail(path, f"issue {issue.name!r}: the value {value!r} is not in the domain")
        if value in table:
            raise _fail(path, f"issue {issue.name!r}: the value {value!r} is evaluated twice")
        table[value] = _number(path, item, "evaluation")
        if table[value] < 0:
            raise _fail(
                path, f"issue {issue.name!r}: the value {value!r} has an evaluation below 0"
            )
    missing = [v for v in issue.values if v not in table]
    if missing:
        raise _fail(path, f"issue {issue.name!r}: no evaluation for {missing}")
    top = max(table.values())
    return Evaluator(lambda v: 0.0 if top < TINY_MAX else table[v] / top)


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def _triangle(x: float, lo: float, hi: float, top: float) -> float:
    """Genius' ``EVALFUNCTYPE.evalTriangular``."""
    if x < lo:
        return 0.0
    if x < top:
        return (x - lo) / (top - lo)
    if x < hi:
        return 1.0 - (x - top) / (hi - top)
    return 0.0
