"""Start-up that fails once, cleanly: one line, one exit, no respawn loop, no traceback.

A start-up error found while deploy mode starts (a bad setting, a backend whose
distribution is missing, the memory backend under several workers, a backend that
cannot be reached) is reported so:

- in a worker process that a supervisor started (uvicorn's ``--workers`` or reload,
  which ``deploy()`` and ``pywry serve`` use too): the reason is printed as one line
  and the worker exits with status :data:`STARTUP_FAILURE` (3), the status on which
  uvicorn's supervisor stops the whole server instead of starting the worker again.
  When the supervisor named a file in ``PYWRY_STARTUP_REPORT`` (``deploy()`` and
  ``pywry serve`` do) the line goes there instead, and they print it once and exit
  non-zero; otherwise the first worker to fail prints it;
- in the main process: the error is raised as usual (code may catch it); left
  uncaught, an exception hook prints the one line instead of a traceback.

The backend is opened, pinged and written to once by :func:`probe_backend` when the app
is built, so an unreachable (or read-only) one is found at import, in every process,
rather than in the app's lifespan (where uvicorn would print a traceback before it stops).

A transient outage never stops a running server: a worker that starts after another
worker of the same supervisor has joined the backend (:func:`server_was_up`) and finds
the backend unreachable starts anyway; its lifespan retries with back-off and it answers
``/readyz`` 503 until it joins. Only the first workers (and configuration errors) stop.

``PYWRY_DEBUG=1`` (``pywry --debug``) or ``PYWRY_SERVER__LOG_LEVEL=debug`` shows the
traceback as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import sys
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pywry.config import env_var_for
from pywry.errors import BackendError, ConfigurationError, PyWryError
from pywry.state.base import Capability

if TYPE_CHECKING:
    from pywry.config import PyWrySettings
    from pywry.state.base import StateBackend

__all__ = [
    "DEBUG_ENV",
    "REPORT_ENV",
    "STARTUP_ERRORS",
    "STARTUP_FAILURE",
    "check_workers",
    "debug_requested",
    "exit_if_worker",
    "forget_server_up",
    "install_excepthook",
    "mark_server_up",
    "probe",
    "probe_backend",
    "probe_or_defer",
    "report_startup_failure",
    "server_was_up",
    "startup_line",
]

#: Exit status of a worker that cannot start (uvicorn's ``STARTUP_FAILURE``).
STARTUP_FAILURE = 3
DEBUG_ENV = "PYWRY_DEBUG"
REPORT_ENV = "PYWRY_STARTUP_REPORT"
logger = logging.getLogger("pywry.startup")
_TRUE = {"1", "true", "yes", "on"}


def debug_requested() -> bool:
    """Whether tracebacks of start-up errors are wanted (``PYWRY_DEBUG`` or a debug level)."""
    if os.environ.get(DEBUG_ENV, "").strip().lower() in _TRUE:
        return True
    level = os.environ.get(env_var_for("server", "log_level"), "").strip().lower()
    return level in {"debug", "trace"}


def startup_line(exc: BaseException) -> str:
    """The one line that tells why deploy mode cannot start."""
    return f"PyWry cannot start: {exc}"


def check_workers(settings: PyWrySettings, backend_cls: type[StateBackend]) -> None:
    """Refuse several workers on a backend whose state is not shared between processes."""
    workers = settings.server.workers
    if workers <= 1 or Capability.SHARED in backend_cls.capabilities:
        return
    name = settings.deploy.state_backend
    raise ConfigurationError(
        f"{env_var_for('server', 'workers')}={workers} with "
        f"{env_var_for('deploy', 'state_backend')}={name!r}: the {name} backend is not shared "
        "between processes, so each worker would see only its own widgets and sessions. "
        f"Set {env_var_for('deploy', 'state_backend')}=redis (or sqlite on one host), "
        f"or {env_var_for('server', 'workers')}=1."
    )


async def probe(settings: PyWrySettings, backend_cls: type[StateBackend]) -> dict[str, Any]:
    """Start one ``backend_cls``, ping it, write to it, close it; its ``describe()`` facts.

    Raises what the backend raises (``BackendUnavailableError`` when unreachable).
    """
    backend = backend_cls.from_settings(settings)
    try:
        await backend.start()
        await backend.ping()
        await backend.check_writable()
        return backend.describe()
    finally:
        await backend.aclose()


def probe_backend(settings: PyWrySettings, backend_cls: type[StateBackend]) -> None:
    """:func:`probe` from synchronous code, on a private event loop.

    In a thread when this one already runs a loop (uvicorn imports the app inside its
    event loop).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(probe(settings, backend_cls))
        return
    with ThreadPoolExecutor(1, thread_name_prefix="pywry-probe") as pool:
        pool.submit(lambda: asyncio.run(probe(settings, backend_cls))).result()


def probe_or_defer(settings: PyWrySettings, backend_cls: type[StateBackend]) -> None:
    """:func:`probe_backend`, except that a replacement worker (:func:`server_was_up`)
    that finds the backend unreachable (or failing) logs one line and carries on: it
    joins later. A configuration error stops it like any worker."""
    try:
        probe_backend(settings, backend_cls)
    except BackendError as exc:
        if not server_was_up():
            raise
        logger.warning(
            "PyWry worker %d starts without the backend, joins later: %s", os.getpid(), exc
        )


#: The errors that mean "this server cannot start", reported in one line.
STARTUP_ERRORS = (ConfigurationError, BackendError)


def exit_if_worker(exc: PyWryError) -> None:
    """In a supervised worker process, report ``exc`` once and exit with status 3.

    Returns (so the caller re-raises) in the main process. Under ``deploy()`` and
    ``pywry serve`` the reason goes to their report file and they print it; under a
    bare ``uvicorn --workers N`` the first worker to fail prints it, the others exit
    silently, so the reason appears once, not once per worker.
    """
    if multiprocessing.parent_process() is None:
        return
    if debug_requested():
        traceback.print_exception(exc)
    report_startup_failure(startup_line(exc))
    raise SystemExit(STARTUP_FAILURE) from None


def report_startup_failure(line: str) -> None:
    """Say why this worker cannot start: in the supervisor's report file (``REPORT_ENV``,
    under ``deploy()`` and ``pywry serve``), else on stderr unless a sibling said it."""
    report = os.environ.get(REPORT_ENV, "").strip()
    if report:
        try:
            with open(report, "a", encoding="utf-8") as fh:
                fh.write(line.replace("\n", " ") + "\n")
        except OSError:
            _say(line)
    elif _first_to_report():
        _say(line)


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _marker(kind: str, supervisor: int) -> Path:
    """A file in the temp dir that belongs to ``supervisor``; its start time tells a
    reused pid apart."""
    started = ""
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{supervisor}/stat").read_text(encoding="ascii")
        started = "-" + stat.rpartition(")")[2].split()[19]
    return Path(tempfile.gettempdir()) / f"pywry-{kind}-{supervisor}{started}"


def _supervisor_marker(kind: str) -> Path | None:
    """:func:`_marker` of this worker's supervisor, or ``None`` (no supervisor)."""
    if multiprocessing.parent_process() is None:
        return None
    return _marker(kind, os.getppid())


def _first_to_report() -> bool:
    """Whether no sibling worker (same supervisor) has reported a start-up failure yet."""
    marker = _supervisor_marker("startup-failed")
    if marker is None:
        return True
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    except OSError:
        return True
    return True


def mark_server_up() -> None:
    """Record that a worker of this supervisor joined the backend (see :func:`server_was_up`)."""
    marker = _supervisor_marker("server-up")
    if marker is None:
        return
    with contextlib.suppress(FileExistsError, OSError):
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def forget_server_up() -> None:
    """In a supervisor whose workers have stopped: remove their :func:`mark_server_up` file."""
    with contextlib.suppress(OSError):
        _marker("server-up", os.getpid()).unlink(missing_ok=True)


def server_was_up() -> bool:
    """Whether this process replaces a worker of a server that has been up.

    True in a worker whose supervisor (uvicorn's ``--workers`` or reload) already had a
    worker join the backend (:func:`mark_server_up`, an empty file in the temp dir named
    after the supervisor's pid and start time): a replacement, a recycled worker, a
    reload. Such a worker outlives a backend outage instead of stopping the server.
    False in the very first workers and in a process without a supervisor.
    """
    marker = _supervisor_marker("server-up")
    return marker is not None and marker.exists()


def _hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if isinstance(exc, STARTUP_ERRORS) and not debug_requested():
        sys.stderr.write(startup_line(exc) + "\n")
        return
    _previous[0](exc_type, exc, tb)


_previous = [sys.excepthook]


def install_excepthook() -> None:
    """Print an uncaught start-up error (configuration, backend) as one line (idempotent)."""
    if sys.excepthook is not _hook:
        _previous[0] = sys.excepthook
        sys.excepthook = _hook
