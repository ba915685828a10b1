"""A sweep's ``results.csv`` as a pandas DataFrame with proper dtypes (the Python API's
``SweepResult.rows``, docs/api.md): the CSV holds text, and a grid key or a metric is read back
as booleans, integers, floats or text, whichever holds every one of its values."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from negotiator.experiments.metrics import BINARY

if TYPE_CHECKING:
    import pandas as pd


def read_rows(path: Path) -> pd.DataFrame:
    """A sweep's ``results.csv`` with proper dtypes (see :attr:`SweepResult.rows`)."""
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    for column in frame.columns:
        frame[column] = _typed(frame[column], binary=column in BINARY)
    return frame


_TRUTH = {"true": True, "false": False, "1.0": True, "0.0": False}


def _typed(column: pd.Series, *, binary: bool) -> pd.Series:
    """A column of CSV text as booleans (``true``/``false``, or 1.0/0.0 in a yes-or-no metric),
    integers, floats or text, whichever holds every value; an empty cell is missing."""
    import pandas as pd

    values = column.dropna()
    complete = len(values) == len(column)
    if not len(values):
        return column.astype("float64")
    truth = values.str.lower()
    if truth.isin(("true", "false")).all() or (binary and truth.isin(_TRUTH).all()):
        flags = column.str.lower().map(_TRUTH)
        return flags.astype("bool" if complete else "boolean")
    if values.str.fullmatch(r"[+-]?\d+").all():  # exact, even past a float's 53 bits
        return pd.Series(column.map(int, na_action="ignore"), dtype="Int64").astype(
            "int64" if complete else "Int64"
        )
    numbers = pd.to_numeric(column, errors="coerce")
    if numbers.notna().sum() == len(values):
        return numbers.astype("float64")
    return column  # text: run ids, digests, labels, strategy names
