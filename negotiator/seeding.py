"""The one place that turns a run seed into per-component seeds.

Every source of randomness in a run (an agent's tie-breaks, the mediator's mutations, shocks,
market noise) gets its own stream, derived from the run seed and a stable path of names by SHA-256.
Python's ``hash()`` is never used: it is salted per process.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(root: int, *path: str) -> int:
    """Return a 63-bit seed for the component named by ``path`` under the run seed ``root``."""
    key = "/".join([str(int(root)), *path]).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") >> 1


def rng_for(root: int, *path: str) -> random.Random:
    """A ``random.Random`` seeded for the component named by ``path``."""
    return random.Random(derive_seed(root, *path))
