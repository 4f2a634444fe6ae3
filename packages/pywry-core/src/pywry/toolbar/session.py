"""The Python half of a widget's toolbars: state requests and secrets.

Each widget owns one :class:`ToolbarSession`. It answers the toolbar events
browsers send (``toolbar:state``, ``toolbar:secret-reveal``, ``toolbar:secret-copy``)
and keeps every :class:`~pywry.toolbar.SecretInput` value in this Python process
only (:class:`~pywry.toolbar.secrets.SecretValues`): the page never holds it; a
reveal or copy asks for it and gets one ``toolbar:secret-value`` event back, tagged
with the asking page's ``requestId``. That answer goes to the asking browser
connection alone (``reply``, the server's targeted send): it is neither broadcast to
other viewers nor stored in the backend's replay log.

What a browser may do is what its page offers: a reveal (copy) is answered only when
the SecretInput shows its reveal (copy) button; a value a page submits is that
viewer's alone, so another viewer's reveal never returns it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from pywry._clip import clip
from pywry.context import current_context
from pywry.toolbar.inputs import SecretInput
from pywry.toolbar.secrets import MAX_SUBMITTED_CHARS, SecretValues

if TYPE_CHECKING:
    from pywry.runtime import Runtime
    from pywry.toolbar.toolbar import Toolbar

__all__ = ["ToolbarSession", "ToolbarState"]

logger = logging.getLogger("pywry.toolbar")

#: ``{componentId: value}`` as reported by a browser (secrets filled in by Python).
ToolbarState = dict[str, Any]
_MAX_PENDING = 256
_SECRET_ACTIONS = {"toolbar:secret-reveal": "reveal", "toolbar:secret-copy": "copy"}


def _viewer_now() -> str | None:
    """The viewer whose callback is running, ``None`` outside one (everyone)."""
    ctx = current_context()
    return None if ctx is None else ctx.viewer_id


def _offers(element: SecretInput, action: str) -> bool:
    """Whether the page shows ``element``'s reveal or copy button."""
    return element.show_reveal if action == "reveal" else element.show_copy


class ToolbarSession:
    """State requests and secret values of one widget's toolbars."""

    def __init__(
        self,
        runtime: Runtime,
        emit: Callable[[str, Any], None],
        toolbars: Callable[[], Iterable[Toolbar]],
        *,
        reply: Callable[[str, str, Any], None],
    ) -> None:
        self._runtime = runtime
        self._emit = emit
        self._reply = reply
        self._toolbars = toolbars
        self._secrets = SecretValues()
        #: request id -> (future, the viewer asked; ``None``: any viewer may answer)
        self._pending: dict[str, tuple[Future[ToolbarState], str | None]] = {}
        self._lock = threading.RLock()

    # -- secrets ---------------------------------------------------------------
    def _secret_inputs(self) -> dict[str, SecretInput]:
        return {
            element.component_id: element
            for bar in self._toolbars()
            for element in bar.walk()
            if isinstance(element, SecretInput)
        }

    def secret(self, component_id: str) -> str | None:
        """The value of SecretInput ``component_id`` (``None`` when unset).

        Inside a callback: the answered viewer's (what it typed or was given), else
        everyone's; outside a callback: everyone's (set from Python, else built with).
        """
        element = self._secret_inputs().get(component_id)
        if element is None:
            raise KeyError(f"No SecretInput with component_id {component_id!r}")
        return self._value_of(element, _viewer_now())

    def _value_of(self, element: SecretInput, viewer_id: str | None) -> str | None:
        """``viewer_id``'s value, else the one set from Python, else the one built with."""
        found, value = self._secrets.get(element.component_id, viewer_id)
        return value if found else element.secret()

    def outgoing(self, change: dict[str, Any]) -> dict[str, Any]:
        """A ``toolbar:set-value`` payload with any secret value kept back in Python."""
        component_id = str(change.get("componentId"))
        if component_id not in self._secret_inputs() or "value" not in change:
            return change
        value = change.pop("value")
        self._secrets.set(component_id, None if value is None else str(value), _viewer_now())
        return {**change, "hasValue": bool(value)}

    def outgoing_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``set_toolbar_values`` data with secrets stored here and sent as ``hasValue`` only."""
        secrets = self._secret_inputs()
        viewer_id = _viewer_now()
        sent: dict[str, Any] = {}
        for component_id, value in values.items():
            if component_id in secrets:
                self._secrets.set(component_id, None if value is None else str(value), viewer_id)
                sent[component_id] = {"hasValue": bool(value)}
            else:
                sent[component_id] = value
        return sent

    # -- browser events ----------------------------------------------------------
    async def receive(self, event: str, data: Any, *, origin: str | None = None) -> None:
        """Handle the toolbar part of a browser event (before user callbacks run).

        ``origin`` is the connection id of the browser that sent it; a secret is
        only ever sent back there.
        """
        if not isinstance(data, dict):
            return
        if event == "toolbar:state":
            self._resolve(data)
        elif event in _SECRET_ACTIONS:
            self._reveal(_SECRET_ACTIONS[event], data, origin)
        else:
            self._store_submitted_secret(event, data)

    def _store_submitted_secret(self, event: str, data: dict[str, Any]) -> None:
        component_id = data.get("componentId")
        if not isinstance(component_id, str) or not isinstance(data.get("value"), str):
            return
        element = self._secret_inputs().get(component_id)
        if element is None or element.event != event:
            return
        viewer_id, value = _viewer_now(), data["value"]
        if viewer_id is None:  # only a page's own slot may take what it typed
            logger.warning("A %s value without a viewer was not stored", clip(component_id))
            return
        if len(value) > MAX_SUBMITTED_CHARS:
            logger.warning(
                "A %s value of %d characters was not stored (at most %d)",
                clip(component_id),
                len(value),
                MAX_SUBMITTED_CHARS,
            )
            return
        self._secrets.set(component_id, value, viewer_id)

    def _reveal(self, action: str, data: dict[str, Any], origin: str | None) -> None:
        component_id, request_id = data.get("componentId"), data.get("requestId")
        if not isinstance(component_id, str) or not isinstance(request_id, str):
            return
        element = self._secret_inputs().get(component_id)
        if element is None:
            logger.warning("%s asked for unknown SecretInput %s", action, clip(component_id))
            return
        if not _offers(element, action):
            logger.warning(
                "%s of SecretInput %s refused: its %s button is off",
                action,
                clip(component_id),
                action,
            )
            return
        if origin is None:
            logger.warning(
                "%s of %s without an asking connection: not answered", action, clip(component_id)
            )
            return
        self._reply(
            origin,
            "toolbar:secret-value",
            {
                "componentId": component_id,
                "requestId": request_id,
                "action": action,
                "value": self._value_of(element, _viewer_now()),
            },
        )

    # -- state requests ------------------------------------------------------------
    def request_state(
        self,
        callback: Callable[[ToolbarState], Any] | None = None,
        *,
        timeout: float | None = 10.0,
    ) -> Future[ToolbarState]:
        """Ask the browsers for the toolbar state; the first answer resolves the future.

        Inside a callback only the viewer being answered is asked, and only its answer
        counts.
        """
        future: Future[ToolbarState] = Future()
        if callback is not None:
            executor = self._runtime.executor
            future.add_done_callback(
                lambda done: executor.submit(_call_with_result, callback, done)
            )
        sink = self._runtime.sink
        if sink is None:
            future.set_exception(
                RuntimeError("request_toolbar_state() needs a running server with a browser")
            )
            return future
        request_id = uuid.uuid4().hex
        ctx = current_context()
        with self._lock:
            while len(self._pending) >= _MAX_PENDING:
                oldest, _asked = self._pending.pop(next(iter(self._pending)))
                oldest.cancel()
            self._pending[request_id] = (future, None if ctx is None else ctx.viewer_id)
        future.add_done_callback(lambda _: self._forget(request_id))
        if timeout is not None:
            sink.loop.call_soon_threadsafe(sink.loop.call_later, timeout, self._expire, request_id)
        self._emit("toolbar:request-state", {"requestId": request_id})
        return future

    def _forget(self, request_id: str) -> None:
        with self._lock:
            self._pending.pop(request_id, None)

    def _expire(self, request_id: str) -> None:
        with self._lock:
            pending = self._pending.pop(request_id, None)
        if pending is not None and not pending[0].done():
            pending[0].set_exception(TimeoutError("No browser answered the toolbar state request"))

    def _resolve(self, data: dict[str, Any]) -> None:
        request_id, values = data.get("requestId"), data.get("values")
        if not isinstance(request_id, str) or not isinstance(values, dict):
            return
        ctx = current_context()
        with self._lock:
            pending = self._pending.get(request_id)
            if pending is None:
                return
            future, asked = pending
            if asked is not None and (ctx is None or ctx.viewer_id != asked):
                logger.warning("A toolbar state answer from another viewer was ignored")
                return
            del self._pending[request_id]
        if future.done():
            return
        state: ToolbarState = dict(values)
        for component_id, element in self._secret_inputs().items():
            state[component_id] = self._value_of(element, asked)  # the asker's, not another's
        future.set_result(state)


def _call_with_result(callback: Callable[[ToolbarState], Any], done: Future[ToolbarState]) -> None:
    if done.cancelled() or done.exception() is not None:
        reason = "cancelled" if done.cancelled() else repr(done.exception())
        logger.warning("Toolbar state request failed: %s", reason)
        return
    try:
        result = callback(done.result())
        if asyncio.iscoroutine(result):
            result.close()
            logger.error("request_toolbar_state(callback=...) must be a plain function")
    except Exception:
        logger.exception("The toolbar state callback raised")
