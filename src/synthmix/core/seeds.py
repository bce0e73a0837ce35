"""Stable per-item seeds (no torch: params validation and the replicate design use them too)."""
from __future__ import annotations

import zlib


def seed_for(seed: int, *names: str) -> int:
    """A stable per-item seed: the same (seed, names) always gives the same number, on any machine."""
    return (seed * 1_000_003 + zlib.crc32("/".join(names).encode())) % (2**31 - 1)
