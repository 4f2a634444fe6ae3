"""Stage: the socket, the WebSocket endpoint ``{widget_prefix}/{label}/ws``.

Each socket runs two tasks: the reader here (hello, then frames to inbound routing)
and the connection's own writer (``connection.py``). Protocol: ``protocol.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from typing import TYPE_CHECKING

from pywry.access import AccessWidget
from pywry.errors import BackendError, BackendUnavailableError
from starlette.websockets import WebSocket, WebSocketDisconnect

from pywry_server.access import FORBIDDEN_MESSAGE, forbidden_frame
from pywry_server.auth import close_unauthorized, current_session, session_still_valid
from pywry_server.codes import CloseCode, ErrorCode
from pywry_server.connection import Connection
from pywry_server.dispatch import WorkerBusy
from pywry_server.limits import EventRate, clip
from pywry_server.logs import bind_socket, bind_viewer
from pywry_server.origins import origin_allowed
from pywry_server.protocol import Event, Hello, Ping, ProtocolError, parse_frame
from pywry_server.replay import plan_stream
from pywry_server.viewers import anonymous_session, viewer_log

if TYPE_CHECKING:
    from pywry.state.records import SessionRecord, WidgetRecord

    from pywry_server.worker import Worker

__all__ = ["origin_allowed", "widget_socket"]

logger = logging.getLogger("pywry.server.ws")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
HELLO_TIMEOUT = 10.0
#: How long a closing socket's writer may take to send what is queued.
_FLUSH_TIMEOUT = 2.0
#: A socket's reader lets other tasks run after this many frames (a burst a client sent
#: at once arrives without the reader ever waiting).
_YIELD_EVERY = 4


async def widget_socket(websocket: WebSocket, label: str) -> None:
    worker: Worker = websocket.app.state.pywry
    server = worker.settings.server
    origin = websocket.headers.get("origin")
    connection_id = secrets.token_hex(8)
    bind_socket(connection_id)  # lines about this socket (uvicorn's "accepted" too) carry it
    await websocket.accept()  # then refuse with a close code: a refused handshake is a bare 1006
    if not origin_allowed(origin, websocket.headers.get("host"), server.cors_origins):
        logger.warning("Refused WebSocket from origin %s", clip(origin))
        message = f"Origin {origin!r} refused"
        await _refuse(websocket, CloseCode.FORBIDDEN, ErrorCode.FORBIDDEN_ORIGIN, message)
        return
    if not worker.joined:  # not on the bus yet: the bridge retries, maybe elsewhere
        message = "This worker has not joined the state backend yet; retry"
        await _refuse(websocket, CloseCode.TRY_LATER, ErrorCode.UNAVAILABLE, message)
        return
    session_id: str | None = None
    user: str | None = None
    login: SessionRecord | None = None  # the login session, with auth on
    try:
        if worker.settings.deploy.auth_enabled:  # before the lookup, so labels do not leak
            session = await current_session(websocket)
            if session is None:
                message = "A valid session is required; log in first"
                await _refuse(websocket, CloseCode.UNAUTHORIZED, ErrorCode.UNAUTHORIZED, message)
                return
            session_id, user, login = session.session_id, session.user or None, session
        defined = worker.runtime.get(label)
        local = defined is not None
        record = None if defined is not None else await worker.outbound.lookup(label)
        reason = await worker.availability.record_reason(record) if record is not None else None
        widget = defined.access if defined is not None else _access_of(record)
        access = (
            None if widget is None else await worker.access.check_socket(websocket, widget, login)
        )
    except BackendUnavailableError:
        message = "State backend unavailable; retry"
        await _refuse(websocket, CloseCode.TRY_LATER, ErrorCode.UNAVAILABLE, message)
        return
    if not local and record is None:
        message = f"No widget {label!r}"
        await _refuse(websocket, CloseCode.UNAVAILABLE, ErrorCode.UNKNOWN_WIDGET, message)
        return
    if access is None:
        logger.warning("Refused a WebSocket for a widget its session may not see")
        await _refuse(websocket, CloseCode.FORBIDDEN, ErrorCode.FORBIDDEN_WIDGET, FORBIDDEN_MESSAGE)
        return
    client_id = websocket.query_params.get("client", "")
    if not _CLIENT_ID.match(client_id):
        client_id = Connection.new_client_id()
    connection = Connection(
        websocket,
        label,
        client_id,
        worker.backend.events,
        connection_id=connection_id,
        queue_size=server.socket_queue_size,
        send_timeout=server.send_timeout,
        metrics=worker.metrics,
    )
    connection.session_id = session_id
    connection.access = access
    connection.event_rate = EventRate(server.event_rate, server.event_burst)
    browser = session_id or anonymous_session(websocket.headers.get("cookie"))
    await _run(worker, connection, reason, browser, user)


def _access_of(record: WidgetRecord | None) -> AccessWidget | None:
    return None if record is None else AccessWidget.of_record(record)


async def _run(
    worker: Worker, connection: Connection, unavailable: str | None, browser: str, user: str | None
) -> None:
    """The socket's reader and writer; when the reader ends the writer flushes and stops.

    ``browser`` is the session the page's viewer is bound to, ``user`` who is logged in.
    """
    name = connection.connection_id
    metrics = worker.metrics
    metrics.sockets_opened.inc()
    metrics.sockets_open.inc()
    try:
        async with asyncio.TaskGroup() as group:
            writer = group.create_task(connection.run_writer(), name=f"pywry-writer:{name}")
            reader = group.create_task(
                _read(worker, connection, unavailable, browser, user), name=f"pywry-reader:{name}"
            )
            await asyncio.wait((writer, reader), return_when=asyncio.FIRST_COMPLETED)
            if not reader.done():  # the writer gave up on a slow page and closed it
                reader.cancel()
            else:
                connection.close(CloseCode.NORMAL, "closing")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(writer), _FLUSH_TIMEOUT)
                writer.cancel()
    finally:
        metrics.sockets_open.dec()
        await worker.sockets.remove(connection)


async def _read(
    worker: Worker, connection: Connection, unavailable: str | None, browser: str, user: str | None
) -> None:
    if unavailable is not None:
        connection.send_unavailable(unavailable)
        connection.close(CloseCode.UNAVAILABLE, "widget unavailable")
        return
    max_bytes = worker.settings.server.max_message_bytes
    try:
        await _serve(worker, connection, max_bytes, browser, user)
    except WebSocketDisconnect:
        pass
    except BackendUnavailableError as exc:
        _error(connection, ProtocolError(ErrorCode.UNAVAILABLE, str(exc)))
        connection.close(CloseCode.TRY_LATER, "state backend unavailable")


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


async def _first_frame(connection: Connection, max_bytes: int) -> tuple[Hello, list[str | None]]:
    """Wait for ``hello``; a page that sends something else first is a fresh page, and
    that frame is handled after ``welcome``."""
    fresh = Hello(last_seq=None)
    try:
        text = await asyncio.wait_for(_receive(connection), HELLO_TIMEOUT)
    except TimeoutError:
        return fresh, []
    if text is not None:
        try:
            frame = parse_frame(text, max_bytes=max_bytes)
        except ProtocolError:
            return fresh, [text]
        if isinstance(frame, Hello):
            return frame, []
    return fresh, [text]


async def _serve(
    worker: Worker, connection: Connection, max_bytes: int, browser: str, user: str | None
) -> None:
    hello, pending = await _first_frame(connection, max_bytes)
    if hello.last_seq is not None or hello.viewer is not None:
        worker.metrics.reconnects.inc()
    viewer_seq = hello.viewer_seq
    if hello.viewer is None:
        connection.viewer, viewer_seq = await worker.viewers.open(browser, user), None
    else:
        connection.viewer = await worker.viewers.resume(hello.viewer, browser)
        if connection.viewer is None and worker.settings.server.reload:
            # Development reload: the restarted process forgot the page's viewer. The page
            # gets a new one and, told by ``reloadOnRestart``, loads itself again.
            connection.viewer, viewer_seq = await worker.viewers.open(browser, user), None
        if connection.viewer is None:
            logger.warning("Refused a hello with an unknown viewer or another browser's")
            message = "This page's viewer is unknown, expired or not yours; reload the page"
            _error(connection, ProtocolError(ErrorCode.FORBIDDEN_VIEWER, message))
            connection.close(CloseCode.FORBIDDEN, ErrorCode.FORBIDDEN_VIEWER)
            return
    viewer_id = connection.viewer.viewer_id
    bind_viewer(viewer_id)
    connection.follow("vseq", viewer_log(viewer_id))
    await worker.sockets.add(connection)
    log = worker.backend.events
    budget = worker.settings.server.replay_max_bytes
    current, start = await plan_stream(log, connection.label, hello.last_seq, max_bytes=budget)
    viewer_current, viewer_start = await plan_stream(
        log, viewer_log(viewer_id), viewer_seq, max_bytes=budget
    )
    for planned in (start, viewer_start):
        if planned.reset:
            worker.metrics.resets.inc()
        elif planned.missed:
            worker.metrics.replays.inc()
    connection.send(
        {
            "type": "welcome",
            "connectionId": connection.connection_id,
            "clientId": connection.client_id,
            "workerId": worker.worker_id,
            "seq": current,
            "viewer": viewer_id,
            "viewerSeq": viewer_current,
            **({"reloadOnRestart": True} if worker.settings.server.reload else {}),
        }
    )
    connection.start_delivery({"seq": start, "vseq": viewer_start})
    for text in pending:
        await _handle(worker, connection, text, max_bytes)
    while True:
        await _handle(worker, connection, await _receive(connection), max_bytes)


def _error(connection: Connection, error: ProtocolError) -> None:
    reply = {"type": "error", "code": error.code, "message": str(error)}
    if error.frame_id is not None:
        reply["id"] = error.frame_id
    connection.send(reply)


async def _handle(worker: Worker, connection: Connection, text: str | None, max_bytes: int) -> None:
    connection.frames_read += 1
    if connection.frames_read % _YIELD_EVERY == 0:
        await asyncio.sleep(0)  # frames a client sent at once are queued: let others run
    if text is None:
        _error(connection, ProtocolError(ErrorCode.BAD_MESSAGE, "Binary frames are not accepted"))
        return
    try:
        frame = parse_frame(text, max_bytes=max_bytes, rate=connection.event_rate)
    except ProtocolError as exc:
        _error(connection, exc)
        return
    if isinstance(frame, Ping):
        connection.send({"type": "pong"})
    elif isinstance(frame, Hello):
        _error(connection, ProtocolError(ErrorCode.BAD_MESSAGE, "'hello' is only valid first"))
    elif isinstance(frame, Event):
        worker.metrics.events_in.inc()
        try:
            if not await session_still_valid(worker, connection):
                close_unauthorized(connection)
                raise WebSocketDisconnect(CloseCode.UNAUTHORIZED)
            if not await worker.access.allows_event(connection):  # nothing runs, no claim
                connection.send(forbidden_frame(frame.id))
                return
            status = await worker.inbound.receive(connection, frame.event, frame.data, frame.id)
        except (BackendUnavailableError, WorkerBusy) as exc:  # not taken: the page resends it
            _error(connection, ProtocolError(ErrorCode.UNAVAILABLE, str(exc), frame.id))
            return
        except BackendError as exc:  # the store answered with an error: report, keep the socket
            logger.exception("Routing %r for widget %r failed", frame.event, connection.label)
            _error(connection, ProtocolError(ErrorCode.BACKEND_ERROR, str(exc), frame.id))
            return
        if frame.id is not None:
            connection.send({"type": "ack", "id": frame.id, "status": status})
        if status == "unavailable":
            connection.send_unavailable("The worker that owned this widget is gone")
