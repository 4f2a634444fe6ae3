"""Where a widget keeps its SecretInput values: one set for the app, one per viewer.

A value a page submits is that viewer's alone; a value set from Python outside a
callback is everyone's (and replaces what viewers typed); inside a callback it is
the answered viewer's. Everything stays in this process: never in the page, the
replay log or the state backend. The per-viewer part is bounded: at most
:data:`MAX_VIEWERS` viewers (the least recently used goes first), each forgotten
:data:`VIEWER_TTL` seconds after its last use; a page may submit at most
:data:`MAX_SUBMITTED_CHARS` characters.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["MAX_SUBMITTED_CHARS", "MAX_VIEWERS", "VIEWER_TTL", "SecretValues"]

#: Viewers whose typed secrets one widget keeps (least recently used dropped beyond).
MAX_VIEWERS = 4096
#: Seconds a viewer's typed secrets are kept after its last use (the default SESSION_TTL).
VIEWER_TTL = 86_400.0
#: Longest secret a page may submit (a PEM private key fits); longer ones are not kept.
MAX_SUBMITTED_CHARS = 16_384


class SecretValues:
    """The secret values of one widget's SecretInputs, by viewer (thread-safe)."""

    def __init__(
        self,
        *,
        max_viewers: int = MAX_VIEWERS,
        ttl: float = VIEWER_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared: dict[str, str | None] = {}
        #: viewer id -> (last use, {component id: value}), least recently used first
        self._viewers: OrderedDict[str, tuple[float, dict[str, str | None]]] = OrderedDict()
        self._max_viewers = max_viewers
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()

    def set(self, component_id: str, value: str | None, viewer_id: str | None) -> None:
        """Store ``value``: for ``viewer_id`` only, or (``None``) for everyone."""
        with self._lock:
            if viewer_id is None:
                self._shared[component_id] = value
                for _used, values in self._viewers.values():
                    values.pop(component_id, None)
                return
            self._expire()
            _used, values = self._viewers.pop(viewer_id, (0.0, {}))
            values[component_id] = value
            self._viewers[viewer_id] = (self._clock(), values)
            while len(self._viewers) > self._max_viewers:
                self._viewers.popitem(last=False)

    def get(self, component_id: str, viewer_id: str | None) -> tuple[bool, str | None]:
        """``(found, value)``: the viewer's own value, else the one set for everyone."""
        with self._lock:
            if viewer_id is not None:
                self._expire()
                entry = self._viewers.get(viewer_id)
                if entry is not None:
                    values = entry[1]
                    self._viewers.move_to_end(viewer_id)
                    self._viewers[viewer_id] = (self._clock(), values)
                    if component_id in values:
                        return True, values[component_id]
            if component_id in self._shared:
                return True, self._shared[component_id]
            return False, None

    @property
    def viewer_count(self) -> int:
        """Viewers with a value of their own (after dropping expired ones)."""
        with self._lock:
            self._expire()
            return len(self._viewers)

    def _expire(self) -> None:
        oldest_kept = self._clock() - self._ttl
        while self._viewers:
            viewer_id, (used, _values) = next(iter(self._viewers.items()))
            if used >= oldest_kept:
                return
            del self._viewers[viewer_id]
