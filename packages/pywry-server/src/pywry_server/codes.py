"""Every WebSocket close code and error-frame code the server uses, in one place.

Close codes (the second column is what ``bridge.js`` does):

====  ===================  ==================================================
1000  ``NORMAL``           the socket is done (the page went away)
1001  ``GOING_AWAY``       server shutting down; the page reconnects elsewhere
1013  ``TRY_LATER``        the state backend is unreachable; the page retries
4401  ``UNAUTHORIZED``     no valid session; the page stops and says so
4403  ``FORBIDDEN``        origin, viewer or widget refused (the session may not
                           see it); the page stops
4404  ``UNAVAILABLE``      the widget is gone (closed, unknown, owner dead); stops
4408  ``TOO_SLOW``         the page fell behind (its queue filled or a send
                           stalled); it reconnects and catches up by replay
====  ===================  ==================================================

Error frames (``{"type": "error", "code": ...}``) carry the codes of :class:`ErrorCode`.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["CloseCode", "ErrorCode"]


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001
    TRY_LATER = 1013
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    UNAVAILABLE = 4404
    TOO_SLOW = 4408


class ErrorCode(StrEnum):
    TOO_LARGE = "too_large"
    TOO_DEEP = "too_deep"
    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    BAD_EVENT = "bad_event"
    RESERVED_EVENT = "reserved_event"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    BACKEND_ERROR = "backend_error"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN_ORIGIN = "forbidden_origin"
    UNKNOWN_WIDGET = "unknown_widget"
    FORBIDDEN_VIEWER = "forbidden_viewer"
    FORBIDDEN_WIDGET = "forbidden_widget"
