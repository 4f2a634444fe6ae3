"""Small helpers shared by the conformance mixins: ids, polling, capability checks."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest

from pywry.state.base import Capability, StateBackend

__all__ = [
    "CLOCK_SKEW",
    "DEADLINE",
    "LONG_TTL",
    "SHORT_TTL",
    "check_new_log_start",
    "clock_us",
    "eventually",
    "is_false",
    "is_none",
    "requires",
    "uid",
]

#: A TTL short enough to watch expire in a test.
SHORT_TTL = 0.3
#: A TTL no test outlives.
LONG_TTL = 300.0
#: How long :func:`eventually` waits before it fails: generous, so slow CI never flakes.
DEADLINE = 20.0
#: Seconds a store's clock may differ from the test's (a log's first number is the
#: store's clock where it has one, such as Redis ``TIME``).
CLOCK_SKEW = 60.0


def clock_us() -> int:
    """The test's clock in microseconds since the epoch, as a log's first number is."""
    return time.time_ns() // 1000


def check_new_log_start(first: int, before: int, after: int) -> None:
    """Fail unless ``first``, a new log's first number, is the clock at its creation
    (microseconds read between ``before`` and ``after``, give or take :data:`CLOCK_SKEW`)."""
    skew = int(CLOCK_SKEW * 1_000_000)
    if not before - skew <= first <= after + skew:
        pytest.fail(
            f"a new log numbered its first entry {first}; expected the clock at its "
            f"creation in microseconds since the epoch (between {before} and {after}, "
            f"give or take {CLOCK_SKEW:.0f}s): see pywry.state.numbering.first_seq"
        )


def uid(kind: str) -> str:
    """A fresh id such as ``widget-3f2a...``, so tests never collide in a shared store."""
    return f"{kind}-{uuid.uuid4().hex[:12]}"


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, *, deadline: float = DEADLINE
) -> None:
    """Poll ``check`` until it returns ``True``; fail naming ``what`` after ``deadline``."""
    give_up = time.monotonic() + deadline
    while not await check():
        if time.monotonic() > give_up:
            pytest.fail(f"still waiting after {deadline:.0f}s for: {what}")
        await asyncio.sleep(0.02)


async def is_none(value: Awaitable[object]) -> bool:
    """``await value is None``, for use in :func:`eventually` lambdas."""
    return await value is None


async def is_false(value: Awaitable[bool]) -> bool:
    """``not await value``, for use in :func:`eventually` lambdas."""
    return not await value


def requires(backend: StateBackend, capability: Capability) -> None:
    """Skip the running test unless ``backend``'s class declares ``capability``."""
    declared = type(backend).capabilities
    if capability not in declared:
        shown = ", ".join(sorted(c.value for c in declared)) or "none"
        pytest.skip(
            f"backend {backend.name!r} does not declare Capability.{capability.name} "
            f"(declared: {shown})"
        )
