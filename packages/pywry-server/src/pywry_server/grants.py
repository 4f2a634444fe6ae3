"""What a socket was let in with (a leaf: ``connection.py`` holds one, ``access.py`` acts)."""

from __future__ import annotations

from dataclasses import dataclass

from pywry.access import AccessViewer, AccessWidget

__all__ = ["SocketAccess"]


@dataclass(slots=True)
class SocketAccess:
    """Who the socket's viewer is and who may see its widget: re-asked per event and by
    upkeep (which refreshes both)."""

    viewer: AccessViewer
    widget: AccessWidget
    #: The login session the roles came from (re-read by upkeep), if any.
    login: str | None
