"""Client-supplied text made safe and short for a log line (core and server use it)."""

from __future__ import annotations

import reprlib

__all__ = ["LOG_TEXT_LIMIT", "clip"]

#: Characters of client-supplied text a log line keeps (the rest becomes ``...``).
LOG_TEXT_LIMIT = 200

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = LOG_TEXT_LIMIT
_REPR.maxother = LOG_TEXT_LIMIT
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8


def clip(value: object, limit: int = LOG_TEXT_LIMIT) -> str:
    """``repr(value)`` for a log line: control characters escaped, at most ~``limit`` chars.

    Client-supplied text (an origin header, an event name, a component id) goes
    through this before it is logged, so log lines stay one line and short however
    much a client sends.
    """
    if isinstance(value, str):
        text = repr(value[:limit])
        return text if len(value) <= limit else f"{text}...({len(value)} chars)"
    text = _REPR.repr(value)
    return text if len(text) <= limit + 20 else text[:limit] + "..."
