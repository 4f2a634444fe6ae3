"""Stage: the socket, the WebSocket endpoints ``{widget_prefix}/{label}/ws`` (a
widget's own page) and ``/pywry/ws?widgets=a,b`` (a composed page).

Each socket runs a reader here (hello, then frames to inbound routing) and, for each
widget it follows, that :class:`Connection`'s own writer (``connection.py``): a composed
page's widgets each have their own queue and streams, and share the socket. The first
speaks for the page (welcome, pong, errors of frames, the viewer's stream). Protocol:
``protocol.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pywry.access import AccessWidget
from pywry.errors import BackendError, BackendUnavailableError
from pywry.widgets.composed import MAX_PAGE_WIDGETS
from starlette.websockets import WebSocket, WebSocketDisconnect

from pywry_server import _tokens
from pywry_server.access import FORBIDDEN_MESSAGE, forbidden_frame
from pywry_server.auth import close_unauthorized, current_session, session_still_valid
from pywry_server.codes import CloseCode, ErrorCode
from pywry_server.connection import Connection, StreamStart, unavailable_frame
from pywry_server.dispatch import WorkerBusy
from pywry_server.limits import EventRate, clip
from pywry_server.logs import bind_socket, bind_viewer
from pywry_server.origins import origin_allowed
from pywry_server.protocol import Event, Hello, Ping, ProtocolError, parse_frame
from pywry_server.replay import plan_stream
from pywry_server.viewers import anonymous_session, viewer_log

if TYPE_CHECKING:
    from pywry.state.records import SessionRecord

    from pywry_server.grants import SocketAccess
    from pywry_server.messages import ViewerRef
    from pywry_server.worker import Worker

__all__ = ["origin_allowed", "page_socket", "widget_socket"]

logger = logging.getLogger("pywry.server.ws")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
HELLO_TIMEOUT = 10.0
#: How long a closing socket's writer may take to send what is queued.
_FLUSH_TIMEOUT = 2.0
#: A socket's reader lets other tasks run after this many frames (a burst a client sent
#: at once arrives without the reader ever waiting).
_YIELD_EVERY = 4


async def widget_socket(websocket: WebSocket, label: str) -> None:
    """One widget's own page: ``{widget_prefix}/{label}/ws``."""
    await _open(websocket, [label], composed=False)


async def page_socket(websocket: WebSocket) -> None:
    """A composed page: ``/pywry/ws?widgets=a,b`` follows every widget it shows."""
    raw = websocket.query_params.get("widgets", "")
    labels = list(dict.fromkeys(part for part in raw.split(",") if part))
    if not labels or len(labels) > MAX_PAGE_WIDGETS or any(len(x) > 128 for x in labels):
        await websocket.accept()
        message = f"'widgets' must name 1 to {MAX_PAGE_WIDGETS} widgets, comma-separated"
        await _refuse(websocket, CloseCode.UNAVAILABLE, ErrorCode.BAD_MESSAGE, message)
        return
    await _open(websocket, labels, composed=True)


@dataclass(slots=True)
class _Page:
    """What one socket serves: one widget, or the widgets of a composed page (each its
    own :class:`Connection`, with its own queue and writer, on the shared socket)."""

    connections: dict[str, Connection]  # at least one
    composed: bool
    #: Widgets of the page that are gone (their notice is sent after ``welcome``).
    gone: dict[str, str]
    #: The one that speaks for the page: welcome, pong, the viewer's own stream.
    primary: Connection = field(init=False)

    def __post_init__(self) -> None:
        self.primary = next(iter(self.connections.values()))

    def target(self, frame: Event) -> Connection | ProtocolError:
        if not self.composed:
            return self.primary
        connection = self.connections.get(frame.label or "")
        if connection is not None:
            return connection
        message = (
            f"Widget {frame.label!r} is not on this page"
            if frame.label
            else "An event on a page's socket names its widget ('label')"
        )
        return ProtocolError(ErrorCode.BAD_MESSAGE, message, frame.id)


async def _open(websocket: WebSocket, labels: list[str], *, composed: bool) -> None:
    worker: Worker = websocket.app.state.pywry
    server = worker.settings.server
    origin = websocket.headers.get("origin")
    connection_id = _tokens.token_hex(8)
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
    admitted: list[tuple[str, SocketAccess | None, str | None]] = []
    try:
        if worker.settings.deploy.auth_enabled:  # before the lookup, so labels do not leak
            session = await current_session(websocket)
            if session is None:
                message = "A valid session is required; log in first"
                await _refuse(websocket, CloseCode.UNAUTHORIZED, ErrorCode.UNAUTHORIZED, message)
                return
            session_id, user, login = session.session_id, session.user or None, session
        for label in labels:
            found = await _admit(worker, websocket, label, login)
            if found is None:
                message = f"No widget {label!r}"
                await _refuse(websocket, CloseCode.UNAVAILABLE, ErrorCode.UNKNOWN_WIDGET, message)
                return
            admitted.append((label, *found))
    except BackendUnavailableError:
        message = "State backend unavailable; retry"
        await _refuse(websocket, CloseCode.TRY_LATER, ErrorCode.UNAVAILABLE, message)
        return
    if any(access is None for _, access, _ in admitted):
        logger.warning("Refused a WebSocket for a widget its session may not see")
        await _refuse(websocket, CloseCode.FORBIDDEN, ErrorCode.FORBIDDEN_WIDGET, FORBIDDEN_MESSAGE)
        return
    client_id = websocket.query_params.get("client", "")
    if not _CLIENT_ID.match(client_id):
        client_id = Connection.new_client_id()
    rate = EventRate(server.event_rate, server.event_burst)  # one budget for the socket
    connections: dict[str, Connection] = {}
    gone: dict[str, str] = {}
    for label, access, reason in admitted:
        if composed and reason is not None:
            gone[label] = reason  # the others are served; this one is told it is gone
            continue
        connection = Connection(
            websocket,
            label,
            client_id,
            worker.backend.events,
            connection_id=connection_id if not connections else _tokens.token_hex(8),
            queue_size=server.socket_queue_size,
            send_timeout=server.send_timeout,
            metrics=worker.metrics,
            on_page=composed,
        )
        connection.session_id = session_id
        connection.access = access
        connection.event_rate = rate
        connections[label] = connection
    if not connections:
        message = "Every widget of this page is gone"
        await _refuse(websocket, CloseCode.UNAVAILABLE, ErrorCode.UNKNOWN_WIDGET, message)
        return
    browser = session_id or anonymous_session(websocket.headers.get("cookie"))
    reason = admitted[0][2] if not composed else None
    await _run(worker, _Page(connections, composed, gone), reason, browser, user)


async def _admit(
    worker: Worker, websocket: WebSocket, label: str, login: SessionRecord | None
) -> tuple[SocketAccess | None, str | None] | None:
    """Widget ``label``'s access for this socket (``None``: refused) and why it is gone
    (``None``: it is not); ``None`` for no such widget."""
    defined = worker.runtime.get(label)
    reason: str | None = None
    if defined is not None:
        widget = defined.access
    else:
        record = await worker.outbound.lookup(label)
        if record is None:
            return None
        reason = await worker.availability.record_reason(record)
        widget = AccessWidget.of_record(record)
    return await worker.access.check_socket(websocket, widget, login), reason


async def _run(
    worker: Worker, page: _Page, unavailable: str | None, browser: str, user: str | None
) -> None:
    """The socket's writers, as tasks, and its reader, here; when the reader ends the
    writers flush and stop. A writer that gives up on a slow page ends the reading.

    ``browser`` is the session the page's viewer is bound to, ``user`` who is logged in.
    The reader runs in the socket's own task, not a task of its own: an idle socket
    holds one task and one waiting future fewer.
    """
    connections = list(page.connections.values())
    metrics = worker.metrics
    metrics.sockets_opened.inc()
    metrics.sockets_open.inc()
    this = asyncio.current_task()
    assert this is not None
    reading = True  # meanwhile, a writer that ends stops the reading

    def writer_ended(_: asyncio.Task[None]) -> None:
        nonlocal reading
        if reading:
            reading = False
            this.cancel()

    try:
        async with asyncio.TaskGroup() as group:
            writers = []
            for c in connections:
                writer = group.create_task(c.run_writer(), name=f"pywry-writer:{c.connection_id}")
                writer.add_done_callback(writer_ended)
                writers.append(writer)
            try:
                await _read(worker, page, unavailable, browser, user)
            except asyncio.CancelledError:
                if reading:  # not one of our writers: the server is stopping
                    raise
            if not reading and this.cancelling():
                this.uncancel()  # a writer's cancel, spent on the reading
            reading = False
            for connection in connections:
                connection.close(CloseCode.NORMAL, "closing")
            running = [writer for writer in writers if not writer.done()]
            if running:
                await asyncio.wait(running, timeout=_FLUSH_TIMEOUT)
            for writer in writers:
                writer.cancel()
    finally:
        metrics.sockets_open.dec()
        for connection in connections:
            await worker.sockets.remove(connection)


async def _read(
    worker: Worker, page: _Page, unavailable: str | None, browser: str, user: str | None
) -> None:
    connection = page.primary
    if unavailable is not None:
        connection.send_unavailable(unavailable)
        connection.close(CloseCode.UNAVAILABLE, "widget unavailable")
        return
    max_bytes = worker.settings.server.max_message_bytes
    try:
        await _serve(worker, page, max_bytes, browser, user)
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
    worker: Worker, page: _Page, max_bytes: int, browser: str, user: str | None
) -> None:
    connection = page.primary
    hello, pending = await _first_frame(connection, max_bytes)
    if hello.resumed:
        worker.metrics.reconnects.inc()
    viewer_seq = hello.viewer_seq
    viewer: ViewerRef | None
    if hello.viewer is None:
        viewer, viewer_seq = await worker.viewers.open(browser, user), None
    else:
        viewer = await worker.viewers.resume(hello.viewer, browser)
        if viewer is None and worker.settings.server.reload:
            # Development reload: the restarted process forgot the page's viewer. The page
            # gets a new one and, told by ``reloadOnRestart``, loads itself again.
            viewer, viewer_seq = await worker.viewers.open(browser, user), None
        if viewer is None:
            logger.warning("Refused a hello with an unknown viewer or another browser's")
            message = "This page's viewer is unknown, expired or not yours; reload the page"
            _error(connection, ProtocolError(ErrorCode.FORBIDDEN_VIEWER, message))
            connection.close(CloseCode.FORBIDDEN, ErrorCode.FORBIDDEN_VIEWER)
            return
    viewer_id = viewer.viewer_id
    bind_viewer(viewer_id)
    connection.follow("vseq", viewer_log(viewer_id))  # the page's own stream: one socket
    for each in page.connections.values():
        each.viewer = viewer
        await worker.sockets.add(each)
    log = worker.backend.events
    budget = worker.settings.server.replay_max_bytes
    plans: dict[str, dict[str, StreamStart]] = {}
    seqs: dict[str, int] = {}
    for label in page.connections:
        last = hello.seq_of(label, composed=page.composed)
        seqs[label], start = await plan_stream(log, label, last, max_bytes=budget)
        plans[label] = {"seq": start}
    viewer_current, viewer_start = await plan_stream(
        log, viewer_log(viewer_id), viewer_seq, max_bytes=budget
    )
    plans[connection.label]["vseq"] = viewer_start
    for plan in plans.values():
        for planned in plan.values():
            if planned.reset:
                worker.metrics.resets.inc()
            elif planned.missed:
                worker.metrics.replays.inc()
    welcome = {
        "type": "welcome",
        "connectionId": connection.connection_id,
        "clientId": connection.client_id,
        "workerId": worker.worker_id,
        **({"seqs": seqs} if page.composed else {"seq": seqs[connection.label]}),
        "viewer": viewer_id,
        "viewerSeq": viewer_current,
        **({"reloadOnRestart": True} if worker.settings.server.reload else {}),
    }
    if page.composed:  # first on the wire, before any widget's writer sends its replay
        await connection.websocket.send_text(json.dumps(welcome, separators=(",", ":")))
    else:
        connection.send(welcome)
    for label, each in page.connections.items():
        each.start_delivery(plans[label])
    for label, reason in page.gone.items():
        connection.send(unavailable_frame(label, reason))
    for text in pending:
        await _handle(worker, page, text, max_bytes)
    while True:
        await _handle(worker, page, await _receive(connection), max_bytes)


def _error(connection: Connection, error: ProtocolError) -> None:
    reply = {"type": "error", "code": error.code, "message": str(error)}
    if error.frame_id is not None:
        reply["id"] = error.frame_id
    connection.send(reply)


async def _handle(worker: Worker, page: _Page, text: str | None, max_bytes: int) -> None:
    primary = page.primary
    primary.frames_read += 1
    if primary.frames_read % _YIELD_EVERY == 0:
        await asyncio.sleep(0)  # frames a client sent at once are queued: let others run
    if text is None:
        _error(primary, ProtocolError(ErrorCode.BAD_MESSAGE, "Binary frames are not accepted"))
        return
    try:
        frame = parse_frame(text, max_bytes=max_bytes, rate=primary.event_rate)
    except ProtocolError as exc:
        _error(primary, exc)
        return
    if isinstance(frame, Ping):
        primary.send({"type": "pong"})
    elif isinstance(frame, Hello):
        _error(primary, ProtocolError(ErrorCode.BAD_MESSAGE, "'hello' is only valid first"))
    elif isinstance(frame, Event):
        worker.metrics.events_in.inc()
        connection = page.target(frame)
        if isinstance(connection, ProtocolError):
            _error(primary, connection)
            return
        await _handle_event(worker, connection, frame)


async def _handle_event(worker: Worker, connection: Connection, frame: Event) -> None:
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
