"""Who a callback is answering: the viewer, its session, and its own state.

A *viewer* is one page load (it keeps its id across reconnects and workers and ends
with the page); a *session* is one browser. While a callback runs,
:func:`current_context` returns its :class:`EventContext` - in sync callbacks (in the
thread pool), async callbacks and whatever they call - and ``None`` elsewhere.

The scope rule: inside a callback, what a widget sends (``emit``, alerts, chart, grid
and toolbar updates, downloads) goes to that viewer only; :meth:`Widget.broadcast`
and code inside ``with pywry.everyone():`` reach every viewer and change what new
page loads get. Outside a callback everything reaches every viewer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from pywry.errors import ViewerStateError
from pywry.progress import Run

__all__ = [
    "EventContext",
    "Viewer",
    "ViewerState",
    "current_context",
    "everyone",
    "viewer_scope",
]

_current: ContextVar[EventContext | None] = ContextVar("pywry_event_context", default=None)


@dataclass(frozen=True, slots=True)
class Viewer:
    """The sender of a browser event, as the server established it."""

    viewer_id: str
    session_id: str
    user: str | None = None


class ViewerState(MutableMapping[str, Any]):
    """One viewer's JSON state, kept in the state backend (every worker sees it).

    It is read before the callbacks run when one of them takes ``ctx``; otherwise on
    first use (in a sync callback; on the event loop that raises, asking for a
    ``ctx`` parameter). Changes are saved when the event's callbacks have finished. Values must be
    JSON (``str``, numbers, ``bool``, ``None``, lists and dicts of them); the whole
    state, as JSON, may not exceed ``PYWRY_DEPLOY__VIEWER_STATE_MAX_BYTES``.
    """

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        max_bytes: int,
        loader: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self._data: dict[str, Any] | None = data
        self._loader = loader
        self._max_bytes = max_bytes
        self._lock = threading.RLock()
        self.changed = False

    @property
    def loaded(self) -> bool:
        return self._data is not None

    def replace(self, data: dict[str, Any]) -> None:
        """Set the state read from the backend (not a change to save)."""
        with self._lock:
            self._data = dict(data)

    def _current(self) -> dict[str, Any]:
        with self._lock:
            if self._data is None:
                self._data = self._loader() if self._loader is not None else {}
            return self._data

    def __getitem__(self, key: str) -> Any:
        return self._current()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise ViewerStateError(f"ctx.state keys must be strings, got {type(key).__name__}")
        with self._lock:
            candidate = {**self._current(), key: value}
            self._check(candidate)
            self._data = candidate
            self.changed = True

    def __delitem__(self, key: str) -> None:
        with self._lock:
            candidate = dict(self._current())
            del candidate[key]
            self._data = candidate
            self.changed = True

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._current()))

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return f"ViewerState({self._current()!r})"

    def snapshot(self) -> dict[str, Any]:
        """A copy of the state as it is now (what gets saved)."""
        with self._lock:
            return json.loads(json.dumps(self._current()))  # type: ignore[no-any-return]

    def _check(self, data: dict[str, Any]) -> None:
        try:
            size = len(json.dumps(data, separators=(",", ":"), allow_nan=False).encode())
        except (TypeError, ValueError) as exc:
            raise ViewerStateError(
                f"ctx.state holds JSON values only (str, numbers, bool, None, lists and "
                f"dicts of them): {exc}"
            ) from None
        if size > self._max_bytes:
            raise ViewerStateError(
                f"ctx.state would be {size} bytes of JSON, over the limit of "
                f"{self._max_bytes} (PYWRY_DEPLOY__VIEWER_STATE_MAX_BYTES); keep large "
                "data elsewhere and store its key in ctx.state"
            )


class EventContext:
    """What a callback knows about the event it handles. See the module docstring."""

    def __init__(
        self,
        viewer: Viewer,
        *,
        worker_id: str,
        label: str,
        event: str,
        state: ViewerState | Callable[[], ViewerState],
        origin: str | None = None,
        run: Run | None = None,
    ) -> None:
        self.viewer = viewer
        #: This event's run: its progress and whether the viewer cancelled it.
        self.run = run or Run(viewer.viewer_id)
        self.worker_id = worker_id
        self.label = label
        self.event = event
        self._state = state if isinstance(state, ViewerState) else None
        self._make_state = None if isinstance(state, ViewerState) else state
        #: The socket that sent the event (answers for that page alone go back there).
        self.origin = origin

    @property
    def state(self) -> ViewerState:
        """This viewer's own JSON state (see :class:`ViewerState`)."""
        if self._state is None:
            assert self._make_state is not None
            self._state = self._make_state()
        return self._state

    @property
    def changed_state(self) -> ViewerState | None:
        """The state if a callback changed it (what must be saved), else ``None``."""
        state = self._state
        return state if state is not None and state.changed else None

    @property
    def viewer_id(self) -> str:
        return self.viewer.viewer_id

    @property
    def session_id(self) -> str:
        return self.viewer.session_id

    @property
    def user(self) -> str | None:
        """The logged-in user with ``PYWRY_DEPLOY__AUTH_ENABLED``, else ``None``."""
        return self.viewer.user

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Show this viewer how far the work got (0 to 1), with a Cancel button.

        See :mod:`pywry.progress`; safe from sync and async callbacks.
        """
        self.run.progress(fraction, message)

    @property
    def cancelled(self) -> bool:
        """Whether the viewer pressed Cancel; long sync work should poll it and stop."""
        return self.run.cancelled

    @property
    def run_id(self) -> str:
        """The id the viewer's Cancel names (``pywry:cancel {id}``)."""
        return self.run.run_id

    def __repr__(self) -> str:
        return (
            f"<EventContext viewer={self.viewer_id!r} event={self.event!r} "
            f"label={self.label!r} worker={self.worker_id!r}>"
        )


def current_context() -> EventContext | None:
    """The context of the callback running now, or ``None`` outside one."""
    return _current.get()


class viewer_scope:  # lower case: used like the function it replaced
    """Run the block as if answering ``context``'s viewer (``None``: everyone).

    A class rather than a ``@contextmanager`` generator: every event enters one.
    """

    __slots__ = ("_context", "_token")

    def __init__(self, context: EventContext | None) -> None:
        self._context = context
        self._token: Token[EventContext | None] | None = None

    def __enter__(self) -> EventContext | None:
        self._token = _current.set(self._context)
        return self._context

    def __exit__(self, *_exc: object) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None


@contextmanager
def everyone() -> Iterator[None]:
    """Inside a callback: what widgets send in this block reaches every viewer.

    ``with pywry.everyone(): chart.update_figure(fig)`` changes the chart for every
    open page and for new page loads, as calls outside callbacks do.
    """
    with viewer_scope(None):
        yield
