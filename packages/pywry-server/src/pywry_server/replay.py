"""Where a (re)connecting socket starts in one log: what it missed, or a reset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pywry_server.connection import StreamStart

if TYPE_CHECKING:
    from pywry_server.connection import EventLog

__all__ = ["plan_stream"]


async def plan_stream(log: EventLog, log_id: str, last_seq: int | None) -> tuple[int, StreamStart]:
    """``(newest, start)`` for a page that has ``last_seq`` of ``log_id`` (``None``: fresh).

    A ``last_seq`` beyond the log's newest means the log was reset (the backend lost
    its data, or the log expired): the page gets a ``reset`` and the whole log again.
    """
    current = await log.last_seq(log_id)
    if last_seq is None or last_seq == current:  # nothing to replay
        return current, StreamStart(current)
    if last_seq > current:
        return current, StreamStart(0, await log.since(log_id, 0), reset=True)
    return current, StreamStart(last_seq, await log.since(log_id, last_seq))
