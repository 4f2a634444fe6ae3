"""Event-name rules shared by widgets, toolbars and the server (a leaf module).

An event is ``namespace:name``. PyWry's own namespaces (:data:`RESERVED_NAMESPACES`)
are matched without regard to case: ``PyWry:alert`` or ``TOOLBAR:secret-reveal`` are
reserved names spelled differently, never a user's own namespace. PyWry's events
are always lower-case, so a reserved namespace in any other case is refused where a
name is given (registering, emitting, a component's event); every lower-case name
keeps working.
"""

from __future__ import annotations

import re

from pywry.errors import InvalidEventError

__all__ = [
    "EVENT_PATTERN",
    "RESERVED_NAMESPACES",
    "check_user_event",
    "reserved_namespace",
    "validate_event_name",
]

#: ``namespace:name``; the name may itself contain ``:`` (``grid:cell-click``).
EVENT_PATTERN = re.compile(r"^[A-Za-z0-9_\-]+:[A-Za-z0-9_\-:.]+$")
#: Namespaces PyWry itself emits on; user components may not use them.
RESERVED_NAMESPACES = frozenset({"pywry", "plotly", "grid", "toolbar"})


def reserved_namespace(event: str) -> str | None:
    """The reserved namespace ``event`` is in, whatever its case (``"pywry"``), else ``None``."""
    namespace = event.split(":", 1)[0].lower()
    return namespace if namespace in RESERVED_NAMESPACES else None


def validate_event_name(event: str) -> str:
    """Return ``event`` if it looks like ``namespace:name``, else raise."""
    if not isinstance(event, str) or len(event) > 128 or not EVENT_PATTERN.match(event):
        raise InvalidEventError(
            f"Invalid event name {event!r}: expected 'namespace:name' "
            "(letters, digits, '_' and '-'), for example 'chart:region'"
        )
    namespace, name = event.split(":", 1)
    reserved = reserved_namespace(event)
    if reserved is not None and namespace != reserved:
        raise InvalidEventError(
            f"Invalid event name {event!r}: {namespace!r} is PyWry's reserved namespace "
            f"{reserved!r} in another case; write {reserved + ':' + name!r}"
        )
    return event


def check_user_event(event: str) -> str:
    """``event`` if it is a valid ``namespace:name`` outside the reserved namespaces."""
    validate_event_name(event)
    namespace, name = event.split(":", 1)
    if reserved_namespace(event) is not None:
        raise InvalidEventError(
            f"event {event!r} uses the reserved namespace {namespace!r}; "
            f"choose your own, for example 'app:{name}'"
        )
    return event
