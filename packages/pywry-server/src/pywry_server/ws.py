"""The WebSocket endpoint ``{widget_prefix}/{label}/ws`` (protocol in ``protocol.py``)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from pywry.errors import BackendError, BackendUnavailableError
from starlette.websockets import WebSocket, WebSocketDisconnect

from pywry_server.auth import (
    CLOSE_UNAUTHORIZED,
    close_unauthorized,
    current_session,
    session_still_valid,
)
from pywry_server.connection import Connection
from pywry_server.origins import origin_allowed
from pywry_server.protocol import Event, Hello, Ping, ProtocolError, parse_frame

if TYPE_CHECKING:
    from pywry_server.hub import Hub

__all__ = ["origin_allowed", "widget_socket"]

logger = logging.getLogger("pywry.server.ws")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
HELLO_TIMEOUT = 10.0
CLOSE_FORBIDDEN = 4403
CLOSE_UNKNOWN_WIDGET = 4404
CLOSE_TRY_LATER = 1013


async def widget_socket(websocket: WebSocket, label: str) -> None:
    hub: Hub = websocket.app.state.pywry_hub
    server = hub.settings.server
    origin = websocket.headers.get("origin")
    await websocket.accept()  # then refuse with a close code: a refused handshake is a bare 1006
    if not origin_allowed(origin, websocket.headers.get("host"), server.cors_origins):
        logger.warning("Refused WebSocket from origin %r", origin)
        await _refuse(websocket, CLOSE_FORBIDDEN, "forbidden_origin", f"Origin {origin!r} refused")
        return
    session_id: str | None = None
    try:
        if hub.settings.deploy.auth_enabled:  # before the lookup, so labels do not leak
            session = await current_session(websocket)
            if session is None:
                message = "A valid session is required; log in first"
                await _refuse(websocket, CLOSE_UNAUTHORIZED, "unauthorized", message)
                return
            session_id = session.session_id
        local = hub.runtime.get(label) is not None
        record = None if local else await hub.lookup(label)
        known = local or record is not None
        reason = await hub.record_unavailable_reason(record) if record is not None else None
    except BackendUnavailableError:
        await _refuse(websocket, CLOSE_TRY_LATER, "unavailable", "State backend unavailable; retry")
        return
    if not known:
        await _refuse(websocket, CLOSE_UNKNOWN_WIDGET, "unknown_widget", f"No widget {label!r}")
        return
    client_id = websocket.query_params.get("client", "")
    if not _CLIENT_ID.match(client_id):
        client_id = Connection.new_client_id()
    connection = Connection(websocket, label, client_id, hub.backend.events)
    connection.session_id = session_id
    if reason is not None:
        await connection.send_unavailable(reason)
        await connection.close(CLOSE_UNKNOWN_WIDGET, "widget unavailable")
        return
    try:
        await _serve(hub, connection, server.max_message_bytes)
    except WebSocketDisconnect:
        pass
    except BackendUnavailableError as exc:
        await _error(connection, ProtocolError("unavailable", str(exc)))
        await connection.close(CLOSE_TRY_LATER, "state backend unavailable")
    finally:
        await hub.detach(connection)


async def _refuse(websocket: WebSocket, code: int, error: str, message: str) -> None:
    await websocket.send_json({"type": "error", "code": error, "message": message})
    await websocket.close(code=code, reason=error)


async def _receive(connection: Connection) -> str | None:
    """The next frame's text, ``None`` for a binary frame; raises on disconnect."""
    message = await connection.websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    return text if isinstance(text, str) else None


async def _first_frame(
    connection: Connection, max_bytes: int
) -> tuple[int | None, list[str | None]]:
    """Wait for ``hello``; returns its ``lastSeq``, or the first frame to handle after welcome."""
    try:
        text = await asyncio.wait_for(_receive(connection), HELLO_TIMEOUT)
    except TimeoutError:
        return None, []
    if text is not None:
        try:
            frame = parse_frame(text, max_bytes=max_bytes)
        except ProtocolError:
            return None, [text]
        if isinstance(frame, Hello):
            return frame.last_seq, []
    return None, [text]


async def _serve(hub: Hub, connection: Connection, max_bytes: int) -> None:
    last_seq, pending = await _first_frame(connection, max_bytes)
    attachment = await hub.attach(connection, last_seq)
    await connection.send(
        {
            "type": "welcome",
            "connectionId": connection.connection_id,
            "clientId": connection.client_id,
            "workerId": hub.worker_id,
            "seq": attachment.current,
        }
    )
    await connection.start_delivery(attachment.baseline, attachment.missed, reset=attachment.reset)
    for text in pending:
        await _handle(hub, connection, text, max_bytes)
    while True:
        await _handle(hub, connection, await _receive(connection), max_bytes)


async def _error(connection: Connection, error: ProtocolError) -> None:
    reply = {"type": "error", "code": error.code, "message": str(error)}
    if error.frame_id is not None:
        reply["id"] = error.frame_id
    await connection.send(reply)


async def _handle(hub: Hub, connection: Connection, text: str | None, max_bytes: int) -> None:
    if text is None:
        await _error(connection, ProtocolError("bad_message", "Binary frames are not accepted"))
        return
    try:
        frame = parse_frame(text, max_bytes=max_bytes)
    except ProtocolError as exc:
        await _error(connection, exc)
        return
    if isinstance(frame, Ping):
        await connection.send({"type": "pong"})
    elif isinstance(frame, Hello):
        await _error(connection, ProtocolError("bad_message", "'hello' is only valid first"))
    elif isinstance(frame, Event):
        try:
            if not await session_still_valid(hub, connection):
                await close_unauthorized(connection)
                raise WebSocketDisconnect(CLOSE_UNAUTHORIZED)
            status = await hub.receive_event(connection, frame.event, frame.data, frame.id)
        except BackendUnavailableError as exc:
            await _error(connection, ProtocolError("unavailable", str(exc), frame.id))
            return
        except BackendError as exc:  # the store answered with an error: report, keep the socket
            logger.exception("Routing %r for widget %r failed", frame.event, connection.label)
            await _error(connection, ProtocolError("backend_error", str(exc), frame.id))
            return
        if frame.id is not None:
            await connection.send({"type": "ack", "id": frame.id, "status": status})
        if status == "unavailable":
            await connection.send_unavailable("The worker that owned this widget is gone")
