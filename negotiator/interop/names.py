"""Names our configs accept, made from the names other tools allow.

A config's issue, party and run names must match :data:`negotiator.config.NAME_PATTERN` (a
lowercase letter, then at most 31 lowercase letters, digits or underscores). Genius names may
hold spaces, capitals, accents and punctuation. :func:`unique_names` turns a list of names into
valid, distinct ones by one deterministic rule (docs/genius.md, "Names"):

1. a name that is valid already, and not reserved, is kept as it is;
2. any other name is written in ASCII (accents dropped), in lowercase, with every run of other
   characters than ``a``–``z`` and ``0``–``9`` replaced by one ``_`` and the ``_`` at either end
   dropped; if that is empty or does not start with a letter, ``KIND_`` is put in front
   (``issue_``, ``party_``, ``run_``); it is cut to 32 characters;
3. a name so made that is taken (by a kept name, by an earlier name or because it is reserved)
   gets ``_2``, ``_3``, … appended, its base cut so that the whole stays within 32 characters.

Kept names are claimed first, so a valid name never changes because of another one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence

from negotiator.config import NAME_PATTERN

MAX_LENGTH = 32
_VALID = re.compile(NAME_PATTERN)
_OTHER = re.compile(r"[^a-z0-9]+")


def is_name(text: str) -> bool:
    """Whether ``text`` is a valid config name as it is."""
    return _VALID.fullmatch(text) is not None


def identifier(text: str, kind: str) -> str:
    """Rule 2: the valid name made from ``text`` (not yet made unique)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    name = _OTHER.sub("_", ascii_text.lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"{kind}_{name}" if name else kind
    return name[:MAX_LENGTH].rstrip("_")


def unique_names(texts: Sequence[str], kind: str, reserved: Collection[str] = ()) -> list[str]:
    """Valid, distinct names for ``texts``, in their order (rules 1–3 above); ``reserved`` are
    names none of them may get."""
    out: list[str | None] = [None] * len(texts)
    taken = set(reserved)
    for i, text in enumerate(texts):  # rule 1 first: valid names claim themselves
        if is_name(text) and text not in taken:
            out[i] = text
            taken.add(text)
    for i, text in enumerate(texts):
        if out[i] is not None:
            continue
        base = identifier(text, kind)
        name, k = base, 2
        while name in taken:
            suffix = f"_{k}"
            name = base[: MAX_LENGTH - len(suffix)].rstrip("_") + suffix
            k += 1
        out[i] = name
        taken.add(name)
    return [name for name in out if name is not None]
