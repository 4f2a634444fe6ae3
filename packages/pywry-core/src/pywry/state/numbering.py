"""How replay logs number their entries: from the clock, so a lost log never repeats.

Every replay log (one per widget, one per viewer) numbers its entries ``seq``. A new
log's first number is the time it was created, in microseconds since the Unix epoch
(:func:`first_seq`); each append after it adds one. A page drops every entry numbered
at or below the last one it applied, so a log that is lost (the store restarted empty,
the log expired) and created again must not number from where an earlier log of the
same id began: numbered from the clock, the new log starts above every number the old
one used, as long as the old log took fewer than one entry per microsecond on average
over its life. Pages then receive the new log's entries as the next ones, no ``reset``
needed.

The numbers stay below :data:`MAX_SEQ` (2**53 - 1, the largest integer a JavaScript
number or a Lua double holds exactly) until about the year 2255.

A backend that can read its store's own clock inside the atomic append (Redis:
``TIME`` in the script) uses that instead, so every worker on every host agrees.
"""

from __future__ import annotations

import time

__all__ = ["MAX_SEQ", "first_seq"]

#: The largest sequence number a page can hold exactly (``Number.MAX_SAFE_INTEGER``).
MAX_SEQ = 2**53 - 1


def first_seq() -> int:
    """The first sequence number of a log created now: microseconds since the epoch."""
    return time.time_ns() // 1000
