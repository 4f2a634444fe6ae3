"""Back-off delays with jitter, shared by every retry loop (server and backends)."""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = ["backoff"]


def backoff(first: float = 0.1, cap: float = 2.0, factor: float = 2.0) -> Iterator[float]:
    """Endless delays: each drawn from ``[d/2, d]``, ``d`` growing by ``factor`` up to ``cap``.

    The jitter keeps workers that failed together from retrying together.
    """
    if first <= 0 or cap < first or factor < 1:
        raise ValueError(f"backoff needs 0 < first <= cap and factor >= 1, got {first}, {cap}")
    delay = first
    while True:
        yield random.uniform(delay / 2, delay)
        delay = min(delay * factor, cap)
