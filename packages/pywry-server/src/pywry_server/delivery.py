"""Handing logged events and closures to the sockets this worker holds.

The listener does it for what other workers publish; outbound does it for this
worker's own emits before publishing them, so a page on the emitting worker never
waits for the bus (and a backend that is not shared needs no bus at all).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pywry_server.availability import CLOSED
from pywry_server.codes import CloseCode
from pywry_server.mailbox import Envelope
from pywry_server.messages import Closed, Deliver, DeliverToViewer

if TYPE_CHECKING:
    from pywry_server.sockets import SocketRegistry

__all__ = ["Announcement", "deliver_here", "deliver_to_label", "deliver_to_viewer"]

#: What every worker hands to its own sockets.
Announcement = Deliver | DeliverToViewer | Closed


def deliver_here(sockets: SocketRegistry, message: Announcement) -> None:
    """Queue ``message`` on each socket of this worker it concerns (never waits)."""
    if isinstance(message, Deliver):
        deliver_to_label(sockets, message.label, message.message)
    elif isinstance(message, DeliverToViewer):
        deliver_to_viewer(sockets, message.viewer, message.message)
    else:
        for connection in sockets.of_label(message.label):
            connection.send_unavailable(message.reason or CLOSED)
            connection.close(CloseCode.UNAVAILABLE, "widget unavailable")


def deliver_to_label(sockets: SocketRegistry, label: str, message: dict[str, Any]) -> None:
    """Queue a logged event of widget ``label`` on each of its sockets here."""
    connections = sockets.of_label(label)
    if connections:
        envelope = Envelope(message)
        for connection in connections:
            connection.deliver(envelope)


def deliver_to_viewer(sockets: SocketRegistry, viewer: str, message: dict[str, Any]) -> None:
    """Queue a logged event of ``viewer``'s own log on each of its sockets here."""
    connections = sockets.of_viewer(viewer)
    if connections:
        envelope = Envelope(message).on_stream("vseq")  # renamed once for all
        for connection in connections:
            connection.deliver(envelope, "vseq")
