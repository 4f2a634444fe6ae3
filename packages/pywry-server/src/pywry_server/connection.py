"""One browser socket on this worker: its own bounded queue and writer, ordered streams.

Nothing that reaches a socket waits on it: :meth:`Connection.send`, ``deliver`` and
``sync`` put an item on the socket's bounded queue and return at once, and the
socket's own writer task (:meth:`Connection.run_writer`) sends them. A socket that
falls behind - its queue is full, or one send does not finish within
``send_timeout`` seconds - is closed with :attr:`~pywry_server.codes.CloseCode.TOO_SLOW`;
the page reconnects and catches up by replay. So one slow or stalled page never
delays another. Under PyWry's own WebSocket protocol (``ws_protocol.py``) a frame for an
open socket with nothing queued and room in its send buffer is written at once, without
waking the writer: the writer handles what has to wait (a backlog, the replay, a hole
to fill from the log, a full send buffer).

Logged server-to-browser events arrive on *streams*: the widget's (frames carry
``seq``) and, once the page has a viewer, the viewer's own (``vseq``). Each stream is
sent strictly in order, each event once (``_Stream``):

- live events can arrive out of order (two workers emit at once) or with holes (the
  bus lost messages during an outage); a hole is filled from the log first;
- a number at or below the last one sent is a duplicate, unless the log's newest is
  now below it: then the log numbered below the one before (logs number from the
  clock, :mod:`pywry.state.numbering`, so only a clock that went backwards or a backend
  numbering from 1 does that) and the page is told to count again (``reset``). A log
  that was lost or expired and made again numbers above: its entries are simply the
  next ones, the hole before them filled from the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from pywry.errors import BackendError
from starlette.websockets import WebSocket, WebSocketState

from pywry_server import _tokens
from pywry_server.codes import CloseCode
from pywry_server.limits import EventRate
from pywry_server.mailbox import Envelope, Mailbox, MailboxFull
from pywry_server.metrics import NO_METRICS, Metrics
from pywry_server.ws_protocol import SEND_NOW

if TYPE_CHECKING:
    from pywry_server.grants import SocketAccess
    from pywry_server.messages import ViewerRef

__all__ = [
    "Connection",
    "ConnectionState",
    "EventLog",
    "StreamStart",
    "unavailable_frame",
]

logger = logging.getLogger("pywry.server.connection")
Message = dict[str, Any]


class EventLog(Protocol):
    """The part of :class:`pywry.state.base.EventBus` a connection reads."""

    async def since(self, widget_id: str, after_seq: int) -> list[Message]: ...

    async def last_seq(self, widget_id: str) -> int: ...


class ConnectionState(str, Enum):
    CONNECTING = "connecting"  # accepted, replay not yet sent: live events are held
    OPEN = "open"  # live events flow
    CLOSED = "closed"


@dataclass(slots=True)
class _Stream:
    """One ordered log as this socket follows it: ``key`` is ``seq`` or ``vseq``."""

    log_id: str
    key: str
    last_sent: int = 0
    held: list[Envelope] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Frame:
    envelope: Envelope


@dataclass(frozen=True, slots=True)
class _Live:
    stream: str
    envelope: Envelope


@dataclass(frozen=True, slots=True)
class _Sync:
    stream: str
    newest: int


@dataclass(frozen=True, slots=True)
class StreamStart:
    """Where a stream starts for this socket: what the page has, what it missed."""

    #: The number the page already has (its ``lastSeq``, the ``welcome`` number, or 0).
    baseline: int
    missed: list[Message] = field(default_factory=list)
    #: Tell the page its log restarted before sending ``missed``.
    reset: bool = False
    #: With ``reset``: ask the page to load itself again (too much to replay).
    reload: bool = False


@dataclass(frozen=True, slots=True)
class _Start:
    plan: dict[str, StreamStart]


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


_Item = _Frame | _Live | _Sync | _Start | _Close


class Connection:
    """A browser viewing ``label``; ``client_id`` names the page across reconnects."""

    def __init__(
        self,
        websocket: WebSocket,
        label: str,
        client_id: str,
        log: EventLog,
        *,
        connection_id: str | None = None,
        queue_size: int = 1000,
        send_timeout: float = 10.0,
        metrics: Metrics = NO_METRICS,
        on_page: bool = False,
    ) -> None:
        self.websocket = websocket
        self.label = label
        #: One of the widgets of a composed page, whose socket it shares: the events it
        #: sends name their widget (``label``).
        self.on_page = on_page
        self.client_id = client_id
        self.connection_id = connection_id or _tokens.token_hex(8)
        #: The user session the socket opened with (auth enabled), else ``None``.
        self.session_id: str | None = None
        #: The viewer (page load) this socket speaks for, once it said hello.
        self.viewer: ViewerRef | None = None
        #: Who it was let in as (``access.py``); ``None``: not checked (tests' sockets).
        self.access: SocketAccess | None = None
        #: The socket's inbound event budget (set by the endpoint), ``None``: unlimited.
        self.event_rate: EventRate | None = None
        #: Frames this socket's reader has handled (it yields to others every few).
        self.frames_read = 0
        self.state = ConnectionState.CONNECTING
        self._log = log
        self._queue: Mailbox[_Item] = Mailbox(queue_size)
        self._send_timeout = send_timeout
        self._closing: tuple[int, str] | None = None
        self._sending_since: float | None = None
        self._writer: asyncio.Task[Any] | None = None
        #: Whether the writer is busy with an item (later frames wait behind it).
        self._writing = False
        extensions = getattr(websocket, "scope", {}).get("extensions") or {}
        #: Writes a frame at once when the socket has room (``ws_protocol.py``).
        self._send_now: Callable[[str], bool] | None = extensions.get(SEND_NOW)
        self._streams: dict[str, _Stream] = {"seq": _Stream(label, "seq")}
        self._metrics = metrics
        self._frames_sent = metrics.frames_sent

    @staticmethod
    def new_client_id() -> str:
        return _tokens.token_hex(8)

    @property
    def viewer_id(self) -> str | None:
        return None if self.viewer is None else self.viewer.viewer_id

    def follow(self, key: str, log_id: str) -> None:
        """Also deliver the log ``log_id``, its numbers sent as ``key`` (before start)."""
        self._streams[key] = _Stream(log_id, key)

    @property
    def viewer_log(self) -> str | None:
        """The log id of the viewer stream this socket follows, if any."""
        stream = self._streams.get("vseq")
        return stream.log_id if stream is not None else None

    # -- what others call: never waits on the socket ------------------------------
    def send(self, message: Message | Envelope) -> bool:
        """Queue one frame; ``False`` if the socket is gone (or just fell behind)."""
        envelope = message if isinstance(message, Envelope) else Envelope(message)
        if self.on_page and envelope.message.get("type") == "event":
            envelope = self._labelled(envelope)
        if self._now_or_never(envelope):
            return True
        return self._put(_Frame(envelope))

    def deliver(self, message: Message | Envelope, stream: str = "seq") -> None:
        """A live logged event of ``stream`` (held until the replay is done)."""
        envelope = message if isinstance(message, Envelope) else Envelope(message)
        found = self._streams.get(stream)
        if (
            found is not None
            and envelope.number == found.last_sent + 1  # the next one: nothing to fill
            and self._now_or_never(self._outgoing(found, envelope))
        ):
            found.last_sent = envelope.number
            return
        self._put(_Live(stream, envelope))

    def _now_or_never(self, envelope: Envelope) -> bool:
        """Write ``envelope`` at once if nothing waits before it and the socket has
        room; ``False``: queue it."""
        send_now = self._send_now
        if (
            send_now is None
            or self._writing
            or self._queue
            or self.state is not ConnectionState.OPEN
            or not send_now(envelope.text)
        ):
            return False
        self._frames_sent.inc()
        return True

    def sync(self, newest: int, stream: str = "seq") -> None:
        """Catch up with ``stream``'s log whose newest number is ``newest`` (upkeep)."""
        self._put(_Sync(stream, newest))

    def start_delivery(self, plan: dict[str, StreamStart]) -> None:
        """Send each stream's missed events (after a reset if asked), then go live."""
        self._put(_Start(plan))

    def close(self, code: int, reason: str) -> None:
        """Close once the frames already queued are sent (idempotent)."""
        self._put(_Close(code, reason))

    def _put(self, item: _Item) -> bool:
        if self.state is ConnectionState.CLOSED:
            return False
        try:
            self._queue.put(item)
        except MailboxFull:
            logger.warning(
                "Socket %s of %r fell behind (%d frames queued): closing it; it catches up "
                "by replay when it reconnects",
                self.connection_id,
                self.label,
                len(self._queue),
                extra=self._log_ids(),
            )
            self._abandon()
            return False
        return True

    def _abandon(self) -> None:
        """Stop delivering now; the writer closes the socket with ``TOO_SLOW``."""
        self._metrics.slow_closes.inc()
        self._closing = (CloseCode.TOO_SLOW, "too slow")
        self.state = ConnectionState.CLOSED
        self._queue.replace_all(_Close(*self._closing))  # wakes the writer

    def check_stalled(self, now: float) -> bool:
        """Close the socket if one send has taken over ``send_timeout`` (``True`` if so).

        Called periodically for every socket (:meth:`SocketRegistry.watch`) rather than
        arming a timer around each send: a stalled peer costs one check a second.
        """
        since = self._sending_since
        if since is None or now - since <= self._send_timeout or self._writer is None:
            return False
        logger.warning(
            "A send to socket %s of %r stalled for %.1fs: closing it",
            self.connection_id,
            self.label,
            now - since,
            extra=self._log_ids(),
        )
        self._metrics.slow_closes.inc()
        self._closing = (CloseCode.TOO_SLOW, "too slow")
        self.state = ConnectionState.CLOSED
        self._writer.cancel()
        return True

    # -- the writer --------------------------------------------------------------
    async def run_writer(self) -> None:
        """Send queued items until the socket closes (run as this socket's own task)."""
        self._writer = asyncio.current_task()
        try:
            while self.state is not ConnectionState.CLOSED:
                item = await self._queue.get()
                if isinstance(item, _Close):
                    self._closing = self._closing or (item.code, item.reason)
                    break
                self._writing = True
                try:
                    await self._handle(item)
                except BackendError as exc:  # a log read failed: upkeep's sync fills it later
                    logger.warning("Catching up socket %s failed: %s", self.connection_id, exc)
                finally:
                    self._writing = False
        finally:
            self.state = ConnectionState.CLOSED
            if self._closing is not None:
                await self._close_now(*self._closing)

    async def _handle(self, item: _Item) -> None:
        if isinstance(item, _Frame):
            await self._write(item.envelope)
        elif isinstance(item, _Live):
            stream = self._streams.get(item.stream)
            if stream is None:
                return
            if self.state is ConnectionState.CONNECTING:
                if len(stream.held) >= self._queue.maxsize:  # held as long as a full queue
                    self._abandon()
                    return
                stream.held.append(item.envelope)
            else:
                await self._accept(stream, item.envelope)
        elif isinstance(item, _Sync):
            stream = self._streams.get(item.stream)
            if stream is not None and self.state is ConnectionState.OPEN:
                # ``newest`` was read before the frames queued ahead of it went out; only
                # the log as it is now, still below what was sent, means a reset
                if item.newest < stream.last_sent and await self._reset_since(stream):
                    await self._restart(stream)
                elif item.newest > stream.last_sent:
                    await self._fill(stream)
        elif isinstance(item, _Start):
            await self._start(item.plan)

    async def _start(self, plan: dict[str, StreamStart]) -> None:
        if self.state is not ConnectionState.CONNECTING:
            raise RuntimeError(
                f"start_delivery() expected state connecting, got {self.state.value}"
            )
        for name, stream in self._streams.items():
            start = plan.get(name, StreamStart(0))
            stream.last_sent = start.baseline
            if start.reset:
                await self._send_reset(stream, reload=start.reload)
            for entry in start.missed:
                await self._send_next(stream, Envelope(entry))
        for stream in self._streams.values():
            while stream.held and self.is_open_or_starting():
                await self._accept(stream, stream.held.pop(0))
        if self.is_open_or_starting():
            self.state = ConnectionState.OPEN

    async def _accept(self, stream: _Stream, envelope: Envelope) -> None:
        number = envelope.number
        if not number:
            await self._write(envelope)
        elif number == stream.last_sent + 1:
            await self._send_next(stream, envelope)
        elif number > stream.last_sent:
            await self._fill(stream)
            if number > stream.last_sent:  # the log no longer has it (trimmed or expired)
                await self._send_next(stream, envelope)
        elif await self._reset_since(stream):
            await self._restart(stream)
        # else: a duplicate, dropped

    async def _reset_since(self, stream: _Stream) -> bool:
        """Whether the log's newest number is now below what this socket was sent.

        No log at all (lost, expired, not made again yet) is not a reset: the next log
        numbers from the clock, above what was sent, and is then sent as it comes.
        """
        newest = await self._log.last_seq(stream.log_id)
        return 0 < newest < stream.last_sent

    async def _fill(self, stream: _Stream) -> None:
        for entry in await self._log.since(stream.log_id, stream.last_sent):
            await self._send_next(stream, Envelope(entry))

    async def _restart(self, stream: _Stream) -> None:
        logger.info("Log %r was reset; replaying it to %s", stream.log_id, self.client_id)
        self._metrics.resets.inc()
        stream.last_sent = 0
        await self._send_reset(stream)
        await self._fill(stream)

    async def _send_reset(self, stream: _Stream, *, reload: bool = False) -> None:
        frame: dict[str, object] = {"type": "reset", stream.key: stream.last_sent}
        if self.on_page and stream.key == "seq":
            frame["label"] = self.label
        if reload:
            frame["reload"] = True
        await self._write(Envelope(frame))

    async def _send_next(self, stream: _Stream, envelope: Envelope) -> None:
        number = envelope.number
        if number and number <= stream.last_sent:
            return
        if await self._write(self._outgoing(stream, envelope)) and number:
            stream.last_sent = number  # a closed socket never took it: replayed on reconnect

    def _outgoing(self, stream: _Stream, envelope: Envelope) -> Envelope:
        """``envelope`` as ``stream`` sends it (numbered by its key, labelled on a page)."""
        if self.on_page and stream.key == "seq":
            envelope = self._labelled(envelope)
        return envelope.on_stream(stream.key)

    async def _write(self, envelope: Envelope) -> bool:
        if self.state is ConnectionState.CLOSED:
            return False
        if not self._connected():
            self.state = ConnectionState.CLOSED
            return False
        send_now = self._send_now
        if send_now is not None and send_now(envelope.text):
            self._frames_sent.inc()
            return True
        self._sending_since = time.monotonic()  # watched by check_stalled()
        try:
            await self.websocket.send_text(envelope.text)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._closing is not None and task is not None:  # check_stalled() gave up
                task.uncancel()
                return False
            raise
        except Exception as exc:  # the peer went away mid-send
            logger.debug("Send to %s failed: %s", self.connection_id, exc)
            self.state = ConnectionState.CLOSED
            return False
        finally:
            self._sending_since = None
        self._frames_sent.inc()
        return True

    def _labelled(self, envelope: Envelope) -> Envelope:
        """``envelope`` naming this socket's widget (logged events do; older ones may not)."""
        if "label" in envelope.message:
            return envelope
        return Envelope({**envelope.message, "label": self.label}, envelope.key)

    def _log_ids(self) -> dict[str, str | None]:
        """For lines logged from other tasks than the socket's own (``logs.py``)."""
        return {"connection_id": self.connection_id, "viewer_id": self.viewer_id}

    def is_open_or_starting(self) -> bool:
        return self.state is not ConnectionState.CLOSED

    def _connected(self) -> bool:
        ws = self.websocket
        return (
            ws.application_state is WebSocketState.CONNECTED
            and ws.client_state is WebSocketState.CONNECTED
        )

    async def _close_now(self, code: int, reason: str) -> None:
        if self._connected():
            try:
                await asyncio.wait_for(self.websocket.close(code=code, reason=reason), 1.0)
            except Exception as exc:  # a stalled or vanished peer
                logger.debug("Close of %s failed: %s", self.connection_id, exc)

    # -- reserved notices ------------------------------------------------------
    def send_unavailable(self, reason: str) -> None:
        self.send(unavailable_frame(self.label, reason))


def unavailable_frame(label: str, reason: str) -> Message:
    """The notice that widget ``label`` is gone (the page shows it)."""
    return {
        "type": "event",
        "event": "pywry:widget-unavailable",
        "data": {"label": label, "reason": reason},
        "label": label,
    }
