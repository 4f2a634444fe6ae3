"""Prometheus metrics of one server: the instruments (the route: :mod:`.metrics_http`).

Off by default (``PYWRY_SERVER__METRICS_ENABLED``): then every part holds
:data:`NO_METRICS`, whose instruments do nothing, and ``/metrics`` is not routed (404).
On, each instrument the hot path touches is a bound child made once here (``.labels()``
is never called per event); an event costs one counter increment.

Several workers: the runner gives them one directory (``PROMETHEUS_MULTIPROC_DIR``,
:mod:`pywry_server._metrics_dir`) before they start; each process writes its values
there and a scrape of any worker reads all of them, so it reports the whole server.
Without that variable (one process) the values live in this app's own registry.

Labels are bounded: a route *template* (``/widget/{label}``, never the path), a method,
a status, a backend operation (``events.append``), a stream (``widget`` or ``viewer``).
Nothing is labelled by widget, viewer, user or connection.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from typing import TYPE_CHECKING, Any, Protocol

from pywry_server._metrics_dir import MULTIPROC_ENV, sweep_dead_workers

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from pywry.config import PyWrySettings

__all__ = ["NO_METRICS", "Count", "Level", "Metrics", "Timing"]

logger = logging.getLogger("pywry.server.metrics")

#: Seconds: callbacks and HTTP requests (a slow callback is seconds, not milliseconds).
_SLOW_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Seconds: a backend call or a bus hop (a local Redis answers in well under 1 ms).
_FAST_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0)


class Count(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class Level(Count, Protocol):
    def dec(self, amount: float = 1) -> None: ...


class Timing(Protocol):
    def observe(self, amount: float) -> None: ...


class _Nothing:
    """An instrument that records nothing (metrics off)."""

    __slots__ = ()

    def inc(self, amount: float = 1) -> None:
        pass

    def dec(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass


_NOTHING = _Nothing()


class Metrics:
    """Every instrument of one worker; :data:`NO_METRICS` when metrics are off."""

    def __init__(self, registry: CollectorRegistry | None = None, *, enabled: bool) -> None:
        self.enabled = enabled
        self._registry = registry
        self._backend_calls: dict[str, Timing] = {}
        if not enabled:
            self.sockets_open: Level = _NOTHING
            self.sockets_opened: Count = _NOTHING
            self.reconnects: Count = _NOTHING
            self.slow_closes: Count = _NOTHING
            self.events_in: Count = _NOTHING
            self.events_out_widget: Count = _NOTHING
            self.events_out_viewer: Count = _NOTHING
            self.frames_sent: Count = _NOTHING
            self.callback_seconds: Timing = _NOTHING
            self.callback_errors: Count = _NOTHING
            self.replays: Count = _NOTHING
            self.resets: Count = _NOTHING
            self.bus_lag: Timing = _NOTHING
            return
        from prometheus_client import Counter, Gauge, Histogram

        def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Any:
            return Counter(name, doc, labels, registry=registry)

        self._http = counter(
            "pywry_http_requests", "HTTP requests by route template", ("method", "route", "status")
        )
        self._http_seconds = Histogram(
            "pywry_http_request_duration_seconds",
            "Seconds to answer an HTTP request, by route template",
            ("route",),
            buckets=_SLOW_BUCKETS,
            registry=registry,
        )
        self.sockets_open = Gauge(
            "pywry_websockets_open",
            "WebSockets open now",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.sockets_opened = counter("pywry_websocket_connections", "WebSockets accepted")
        self.reconnects = counter(
            "pywry_websocket_reconnects", "Sockets whose hello resumed a page (lastSeq or viewer)"
        )
        self.slow_closes = counter(
            "pywry_websocket_slow_closes", "Sockets closed for falling behind (4408)"
        )
        self.events_in = counter("pywry_events_in", "Events received from browsers")
        events_out = counter("pywry_events_out", "Events emitted by widgets", ("stream",))
        self.events_out_widget = events_out.labels("widget")
        self.events_out_viewer = events_out.labels("viewer")
        self.frames_sent = counter("pywry_websocket_frames_sent", "Frames sent to browsers")
        self.callback_seconds = Histogram(
            "pywry_callback_duration_seconds",
            "Seconds one callback ran",
            buckets=_SLOW_BUCKETS,
            registry=registry,
        )
        self.callback_errors = counter("pywry_callback_errors", "Callbacks that raised")
        self.replays = counter("pywry_replays", "Streams replayed to a reconnecting socket")
        self.resets = counter("pywry_resets", "Streams a socket was told to count again (reset)")
        self.bus_lag = Histogram(
            "pywry_bus_lag_seconds",
            "Seconds from an emit's publish to its arrival at a worker's listener",
            buckets=_FAST_BUCKETS,
            registry=registry,
        )
        self._backend_seconds = Histogram(
            "pywry_backend_call_duration_seconds",
            "Seconds a state backend call took, by operation",
            ("operation",),
            buckets=_FAST_BUCKETS,
            registry=registry,
        )

    @classmethod
    def from_settings(cls, settings: PyWrySettings) -> Metrics:
        """Instruments for one app: none when off, shared files with several workers."""
        if not settings.server.metrics_enabled:
            return NO_METRICS
        if os.environ.get(MULTIPROC_ENV):
            return cls(None, enabled=True)  # values go to the shared directory's files
        if multiprocessing.parent_process() is not None:  # a worker of a bare uvicorn
            logger.warning(
                "Metrics of this worker only: with several workers set %s to an empty "
                "directory all of them share (pywry serve and deploy() make one)",
                MULTIPROC_ENV,
            )
        from prometheus_client import CollectorRegistry

        return cls(CollectorRegistry(auto_describe=True), enabled=True)

    def observe_callback(self, seconds: float, ok: bool) -> None:
        """:attr:`pywry.runtime.Runtime.callback_observer` of a server that counts."""
        self.callback_seconds.observe(seconds)
        if not ok:
            self.callback_errors.inc()

    def backend_call(self, operation: str) -> Timing:
        """The timing of one backend operation (``events.append``), made once."""
        found = self._backend_calls.get(operation)
        if found is None:
            found = self._backend_seconds.labels(operation)
            self._backend_calls[operation] = found
        return found

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        self._http.labels(method, route, str(status)).inc()
        self._http_seconds.labels(route).observe(seconds)

    def render(self) -> bytes:
        """The exposition text: this app's registry, or every worker's files."""
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess

        if self._registry is not None:
            return generate_latest(self._registry)
        path = os.environ[MULTIPROC_ENV]
        sweep_dead_workers(path)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


NO_METRICS = Metrics(enabled=False)
