"""Worker-to-worker messages on the backend's event bus: the counterpart of ``protocol.py``.

Channels (names relative to the backend's namespace):

- ``widgets``: every worker listens. :class:`Deliver` carries a logged event of a
  widget (with its ``seq``) to whichever workers hold sockets of it;
  :class:`DeliverToViewer` carries a logged event of one viewer (with its ``vseq``)
  to the worker holding that viewer's socket; :class:`Closed` says a widget is gone;
  :class:`Cancel` asks whichever worker runs a viewer's callback to cancel it.
- ``worker:<id>``: one worker's own. :class:`Dispatch` runs a run-time widget's
  callbacks on the worker that owns it; :class:`Direct` carries an unlogged event to
  one socket that worker holds.

Each message is a small pydantic model told apart by ``kind``; :func:`parse_bus_message`
is the one place that reads them, and logs (without raising) a message it cannot read.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

__all__ = [
    "WIDGETS_CHANNEL",
    "BusMessage",
    "Cancel",
    "Closed",
    "Deliver",
    "DeliverToViewer",
    "Direct",
    "Dispatch",
    "ViewerRef",
    "parse_bus_message",
    "worker_channel",
]

logger = logging.getLogger("pywry.server.bus")
WIDGETS_CHANNEL = "widgets"


def worker_channel(worker_id: str) -> str:
    """The bus channel only ``worker_id`` listens on."""
    return f"worker:{worker_id}"


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def wire(self) -> dict[str, Any]:
        """The JSON object to publish."""
        return self.model_dump()  # fields are JSON already: no second conversion pass


class ViewerRef(BaseModel):
    """Who sent a browser event: the viewer (page load), its session and user."""

    model_config = ConfigDict(frozen=True)

    viewer_id: str
    session_id: str
    user: str | None = None


class _Announcement(_Message):
    """A message every worker acts on for its own sockets."""

    #: The worker that published it: it handed the message to its own sockets before
    #: publishing, so its listener skips it (``None``: every worker acts on it).
    sender: str | None = None


class Deliver(_Announcement):
    kind: Literal["deliver"] = "deliver"
    label: str
    message: dict[str, Any]
    #: Wall-clock time of the publish (set when metrics are on: the bus lag).
    sent_at: float | None = None


class DeliverToViewer(_Announcement):
    kind: Literal["viewer"] = "viewer"
    viewer: str
    message: dict[str, Any]
    sent_at: float | None = None


class Dispatch(_Message):
    kind: Literal["dispatch"] = "dispatch"
    label: str
    event: str
    data: Any = None
    #: The connection that sent the event (answers meant for that page go back to it).
    origin: str | None = None
    viewer: ViewerRef | None = None


class Direct(_Message):
    kind: Literal["direct"] = "direct"
    label: str
    connection: str
    message: dict[str, Any]


class Closed(_Announcement):
    kind: Literal["closed"] = "closed"
    label: str
    reason: str = "The widget was closed"


class Cancel(_Announcement):
    """The viewer pressed Cancel on a run (``pywry:cancel``); its worker cancels it."""

    kind: Literal["cancel"] = "cancel"
    run: str
    viewer: str


BusMessage = Annotated[
    Deliver | DeliverToViewer | Dispatch | Direct | Closed | Cancel,
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[BusMessage] = TypeAdapter(BusMessage)


def parse_bus_message(raw: object) -> BusMessage | None:
    """The typed message, or ``None`` (logged) when ``raw`` is not one."""
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        kind = raw.get("kind") if isinstance(raw, dict) else type(raw).__name__
        logger.warning(
            "Ignored a malformed bus message (kind %r): %s",
            kind,
            exc.errors(include_url=False, include_input=False)[:3],
        )
        return None
