"""The WebSocket wire protocol: parsing and validating what browsers send.

Every frame is one JSON object with a ``type``. Browser to server:

- ``{"type": "hello", "lastSeq": int | null, "viewer": str | null, "viewerSeq": int |
  null}``: first frame; ``lastSeq`` asks for the widget's events missed since that
  sequence number (``null`` on a fresh page); ``viewer`` is the viewer id the first
  ``welcome`` gave this page (``null`` on a fresh page) and ``viewerSeq`` the newest
  of that viewer's own events the page has.
- ``{"type": "event", "id": str, "event": "ns:name", "data": any}``: an event for
  the widget's callbacks; ``id`` (unique per page) makes resends idempotent.
- A composed page's socket (``/pywry/ws?widgets=a,b``) says ``lastSeqs`` (label to
  number or null) in its hello instead of ``lastSeq``, and each event names its widget
  (``"label": "a"``); what it receives names the widget too.
- ``{"type": "ping"}``.

Server to browser: ``welcome``, ``event`` (with ``seq``), ``ack``, ``error``,
``pong``, ``reset`` (the event log numbers below what the page has; count again).
See ``docs/protocol.md``.

Before a frame is decoded its size (``max_bytes``) and nesting
(:data:`~pywry_server.limits.MAX_JSON_DEPTH`) are checked; an event frame then spends a
token of the socket's :class:`~pywry_server.limits.EventRate`, if it has one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pywry.events import EVENT_PATTERN, reserved_namespace
from pywry.state.numbering import MAX_SEQ
from pywry.widgets.composed import MAX_PAGE_WIDGETS

from pywry_server.codes import ErrorCode
from pywry_server.limits import MAX_JSON_DEPTH, EventRate, clip, nesting_exceeds

__all__ = [
    "BROWSER_RESERVED_ALLOWED",
    "Event",
    "Hello",
    "Ping",
    "ProtocolError",
    "parse_frame",
]

#: Reserved-namespace events a browser may send (everything else in ``pywry:`` is refused).
BROWSER_RESERVED_ALLOWED = frozenset(
    {
        "pywry:ready",
        "pywry:cancel",
        "toolbar:state",
        "toolbar:secret-reveal",
        "toolbar:secret-copy",
    }
)
_BROWSER_NAMESPACES_OPEN = ("plotly:", "grid:")
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


class ProtocolError(ValueError):
    """A frame that breaks the protocol; ``code`` goes into the error reply."""

    def __init__(self, code: str, message: str, frame_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.frame_id = frame_id


@dataclass(frozen=True, slots=True)
class Hello:
    last_seq: int | None
    viewer: str | None = None
    viewer_seq: int | None = None
    #: A composed page's ``lastSeqs``: the newest event it has of each widget.
    last_seqs: dict[str, int | None] | None = None

    def seq_of(self, label: str, *, composed: bool) -> int | None:
        """The newest event of widget ``label`` the page has (``None``: a fresh page)."""
        if composed:
            return None if self.last_seqs is None else self.last_seqs.get(label)
        return self.last_seq

    @property
    def resumed(self) -> bool:
        """Whether the page had a socket before (a reconnect, not a first load)."""
        return bool(
            self.last_seq is not None
            or self.viewer is not None
            or (self.last_seqs and any(v is not None for v in self.last_seqs.values()))
        )


@dataclass(frozen=True, slots=True)
class Event:
    id: str | None
    event: str
    data: Any
    #: On a composed page's socket, the widget the event is for.
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Ping:
    pass


Frame = Hello | Event | Ping


def _event_allowed(name: str) -> bool:
    """Reserved namespaces are matched in any case; only their exact lower-case names pass."""
    namespace = reserved_namespace(name)
    if namespace in ("pywry", "toolbar"):
        return name in BROWSER_RESERVED_ALLOWED
    return namespace is None or name.startswith(_BROWSER_NAMESPACES_OPEN)


def parse_frame(
    text: str,
    *,
    max_bytes: int,
    max_depth: int = MAX_JSON_DEPTH,
    rate: EventRate | None = None,
) -> Frame:
    """Validate one text frame; raise :class:`ProtocolError` with a reply code.

    ``rate``: the socket's event budget; an event frame over it is refused with
    ``rate_limited`` (and its ``id``) before anything acts on it, so a resend later runs.
    """
    if len(text) > max_bytes or len(text.encode()) > max_bytes:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"Message exceeds {max_bytes} bytes")
    if nesting_exceeds(text, max_depth):
        raise ProtocolError(
            ErrorCode.TOO_DEEP, f"Message nests arrays and objects more than {max_depth} deep"
        )
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: never, the depth is checked
        raise ProtocolError(ErrorCode.BAD_JSON, f"Message is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "Expected a JSON object with a 'type' field")
    kind = raw.get("type")
    given_id = raw.get("id")
    frame_id = given_id if isinstance(given_id, str) and _ID.match(given_id) else None
    if kind == "ping":
        return Ping()
    if kind == "hello":
        viewer = raw.get("viewer")
        if viewer is not None and not isinstance(viewer, str):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "'viewer' must be a string or null")
        return Hello(
            last_seq=_seq(raw, "lastSeq"),
            viewer=viewer,
            viewer_seq=_seq(raw, "viewerSeq"),
            last_seqs=_seqs(raw.get("lastSeqs")),
        )
    if kind == "event":
        event = _parse_event(raw, frame_id)
        if rate is not None and (wait := rate.take()):
            raise ProtocolError(
                ErrorCode.RATE_LIMITED,
                f"More than {rate.burst} events at once or {rate.rate:g} per second; "
                f"send it again in {wait:.2f} s",
                frame_id,
            )
        return event
    raise ProtocolError(
        ErrorCode.BAD_MESSAGE,
        f"Unknown message type {clip(kind)}; expected hello, event or ping",
        frame_id,
    )


def _seq(raw: dict[str, Any], key: str) -> int | None:
    """A sequence number the page has: logs number from the clock in microseconds
    (about 1.8e15), never above ``MAX_SEQ``, the largest integer a page holds exactly."""
    value = raw.get(key)
    if value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SEQ
    ):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE,
            f"{key!r} must be an integer from 0 to {MAX_SEQ} (2**53 - 1) or null",
        )
    return value


def _seqs(value: Any) -> dict[str, int | None] | None:
    """A composed page's ``lastSeqs``: widget labels to sequence numbers or null."""
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > MAX_PAGE_WIDGETS:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE,
            f"'lastSeqs' must map at most {MAX_PAGE_WIDGETS} widget labels to integers or null",
        )
    return {str(label): _seq(value, label) for label in value}


def _parse_event(raw: dict[str, Any], frame_id: str | None) -> Event:
    if "id" in raw and frame_id is None:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, "'id' must be 1-64 characters of [A-Za-z0-9_.:-]"
        )
    name = raw.get("event")
    if not isinstance(name, str) or len(name) > 128 or not EVENT_PATTERN.match(name):
        raise ProtocolError(
            ErrorCode.BAD_EVENT,
            f"Invalid event name {clip(name, 130)}: expected 'namespace:name'",
            frame_id,
        )
    if not _event_allowed(name):
        raise ProtocolError(
            ErrorCode.RESERVED_EVENT, f"Browsers may not send the reserved event {name!r}", frame_id
        )
    label = raw.get("label")
    if label is not None and (not isinstance(label, str) or not 0 < len(label) <= 128):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, "'label' must name a widget (1-128 characters)", frame_id
        )
    return Event(id=frame_id, event=name, data=raw.get("data"), label=label)
