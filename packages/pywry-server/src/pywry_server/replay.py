"""Where a (re)connecting socket starts in one log: what it missed, or a reset."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from pywry_server.connection import StreamStart

if TYPE_CHECKING:
    from pywry.state.base import Message

    from pywry_server.connection import EventLog

__all__ = ["plan_stream"]

logger = logging.getLogger("pywry.server")


async def plan_stream(
    log: EventLog, log_id: str, last_seq: int | None, *, max_bytes: int | None = None
) -> tuple[int, StreamStart]:
    """``(newest, start)`` for a page that has ``last_seq`` of ``log_id`` (``None``: fresh).

    Logs number from the clock (:mod:`pywry.state.numbering`), so a log that was lost or
    expired and made again numbers above what the page has, and is replayed like any
    missed events; while there is no log at all the page keeps its number. A
    ``last_seq`` beyond the newest of a log that exists means the log numbered below
    the old one (the store's clock went backwards, or a backend numbers from 1): the
    page gets a ``reset`` and the whole log again.
    Missed events over ``max_bytes`` (as JSON) are not replayed: the page gets a
    ``reset`` that asks it to reload, which costs one page load instead of megabytes
    for a 30-byte ``hello``.
    """
    current = await log.last_seq(log_id)
    if last_seq is None or last_seq == current:  # nothing to replay
        return current, StreamStart(current)
    if current == 0:  # no log (yet, or any more): the next one numbers above last_seq
        return current, StreamStart(last_seq)
    reset = last_seq > current
    missed = await log.since(log_id, 0 if reset else last_seq)
    if max_bytes is not None and _exceeds(missed, max_bytes):
        logger.info(
            "Not replaying %d missed events of %r (over %d bytes); the page reloads instead",
            len(missed),
            log_id,
            max_bytes,
        )
        return current, StreamStart(current, reset=True, reload=True)
    return current, StreamStart(0 if reset else last_seq, missed, reset=reset)


def _exceeds(entries: list[Message], max_bytes: int) -> bool:
    total = 0
    for entry in entries:
        total += len(json.dumps(entry, separators=(",", ":")))
        if total > max_bytes:
            return True
    return False
