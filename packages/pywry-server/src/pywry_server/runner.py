"""Running the app with uvicorn, every server and SSL setting applied.

With several workers (or reload) uvicorn's supervisor starts each worker with
multiprocessing's ``spawn``. Two things are arranged around it:

- the app module runs once per worker: spawn would first re-run the script as
  ``__mp_main__`` and uvicorn would then import it by its import string
  (:func:`_hidden_main`);
- a worker that cannot start stops the server once: it exits with status 3 (uvicorn's
  supervisor then stops) and appends its reason to a report file; :func:`run` raises
  :class:`WorkersFailed` with that reason afterwards, so the reason is printed once and
  the command exits non-zero (:mod:`pywry._startup`).

Several workers (without reload) on Linux each accept on a socket of their own
(:mod:`.reuseport`), so the kernel spreads new connections evenly over them, a
replacement worker included; elsewhere, and with reload, uvicorn's one shared socket.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import uvicorn
from pywry._startup import REPORT_ENV, check_workers, forget_server_up, probe_backend
from pywry.config import env_var_for
from pywry.errors import ConfigurationError
from pywry.registry import load_state_backend

from pywry_server._metrics_dir import shared_metrics_dir
from pywry_server.logs import log_config
from pywry_server.reuseport import run_workers, supported

#: The WebSocket protocol uvicorn runs (``ws_protocol.py``), by import string so that
#: every worker process loads it itself.
WS_PROTOCOL = "pywry_server.ws_protocol:PyWryWebSocketProtocol"

if TYPE_CHECKING:
    from pywry.config import PyWrySettings

__all__ = ["WorkersFailed", "app_import_string", "check_backend", "run", "uvicorn_options"]


class WorkersFailed(ConfigurationError):
    """A worker could not start, so uvicorn stopped the server; the message is its reason."""


def uvicorn_options(settings: PyWrySettings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` from the server settings."""
    server = settings.server
    password = server.ssl_keyfile_password
    return {
        "host": server.host,
        "port": server.port,
        "workers": server.workers,
        "log_level": server.log_level,
        "log_config": log_config(server),
        "access_log": server.access_log,
        "reload": server.reload,
        "timeout_keep_alive": server.timeout_keep_alive,
        "timeout_graceful_shutdown": server.timeout_graceful_shutdown,
        "limit_concurrency": server.limit_concurrency,
        "limit_max_requests": server.limit_max_requests,
        "limit_max_requests_jitter": server.max_requests_jitter(server.limit_max_requests),
        "timeout_worker_healthcheck": server.timeout_worker_healthcheck,
        "backlog": server.backlog,
        # A WebSocket message over the limit closes the socket (1009) before it is
        # buffered whole; with compression on, the limit applies to the inflated size.
        "ws_max_size": server.max_message_bytes,
        "ws_per_message_deflate": server.ws_per_message_deflate,
        # uvicorn's protocol, except that a peer that stopped reading cannot hold up
        # shutdown (ws_protocol.py)
        "ws": WS_PROTOCOL,
        "ssl_certfile": server.ssl_certfile,
        "ssl_keyfile": server.ssl_keyfile,
        "ssl_keyfile_password": password.get_secret_value() if password else None,
        "ssl_ca_certs": server.ssl_ca_certs,
        "proxy_headers": True,
    }


def _module_holding(app: Any) -> tuple[ModuleType, str] | None:
    main = sys.modules.get("__main__")
    candidates = [main] if main is not None else []
    candidates += [m for n, m in list(sys.modules.items()) if n != "__main__" and m is not None]
    for module in candidates:
        if module.__name__.startswith(("pywry", "uvicorn", "fastapi", "starlette")):
            continue
        for attr, value in list(vars(module).items()):
            if value is app and not attr.startswith("__"):
                return module, attr
    return None


def app_import_string(app: Any) -> tuple[str, str | None]:
    """``("module:attr", app_dir)`` that a fresh worker process imports to get ``app``."""
    found = _module_holding(app)
    if found is None:
        raise ConfigurationError(
            "Several workers or reload need the app at module level of your script "
            "(for example `app = get_server_app()` in my_app.py) so each worker can import "
            f"it; set {env_var_for('server', 'workers')}=1 or run `uvicorn my_app:app`."
        )
    module, attr = found
    spec = getattr(module, "__spec__", None)
    if spec is not None and spec.name and spec.name != "__main__":
        return f"{spec.name}:{attr}", None
    file = getattr(module, "__file__", None)
    if not file:
        raise ConfigurationError("Cannot find the file of the module that defines the app")
    path = Path(file).resolve()
    return f"{path.stem}:{attr}", str(path.parent)


def check_backend(settings: PyWrySettings) -> None:
    """Raise :class:`BackendUnavailableError` if the state backend cannot be reached.

    Runs in the parent process before uvicorn starts any worker, so an unreachable
    Redis ends the program once instead of failing every worker. Several workers on a
    backend that is not shared raise :class:`ConfigurationError` first.
    """
    backend_cls = load_state_backend(settings.deploy.state_backend)
    check_workers(settings, backend_cls)
    probe_backend(settings, backend_cls)


@contextlib.contextmanager
def _hidden_main() -> Iterator[None]:
    """Hide ``__main__`` from multiprocessing's spawn while uvicorn runs its workers.

    spawn prepares each child by running the parent's ``__main__`` file (or module)
    again as ``__mp_main__``; the child then imports the app by its import string, so
    the script's body ran twice per worker (routes registered twice, data loaded
    twice). A stand-in ``__main__`` with neither ``__file__`` nor ``__spec__`` leaves
    spawn nothing to re-run: each worker runs the app module once, by import.
    """
    original = sys.modules.get("__main__")
    stand_in = ModuleType("__main__", "PyWry supervisor (the app runs in its workers)")
    stand_in.__spec__ = None
    sys.modules["__main__"] = stand_in
    try:
        yield
    finally:
        if original is not None:
            sys.modules["__main__"] = original


@contextlib.contextmanager
def _worker_reports() -> Iterator[Path]:
    """A file that workers which cannot start append their reason to (``REPORT_ENV``)."""
    fd, name = tempfile.mkstemp(prefix="pywry-startup-", suffix=".txt")
    os.close(fd)
    previous = os.environ.get(REPORT_ENV)
    os.environ[REPORT_ENV] = name
    try:
        yield Path(name)
    finally:
        if previous is None:
            os.environ.pop(REPORT_ENV, None)
        else:
            os.environ[REPORT_ENV] = previous
        Path(name).unlink(missing_ok=True)


def _supervised(target: str, options: dict[str, Any], *, metrics: bool) -> None:
    """``uvicorn.run`` with workers or reload; :class:`WorkersFailed` if a worker failed.

    With ``metrics`` the workers share one metrics directory (:mod:`._metrics_dir`).
    Workers without reload get a listening socket each where the kernel can spread
    connections over them (:func:`.reuseport.run_workers`).
    """
    with _worker_reports() as report, _hidden_main(), shared_metrics_dir(metrics):
        try:
            if supported() and not options.get("reload"):
                run_workers(target, **options)
            else:
                uvicorn.run(target, **options)
        finally:
            forget_server_up()
        reasons = report.read_text(encoding="utf-8").strip()
    if reasons:
        raise WorkersFailed(reasons.splitlines()[0].removeprefix("PyWry cannot start: "))


def run(app: Any, *, settings: PyWrySettings) -> None:
    """Check the state backend, then serve ``app`` in the foreground until interrupted.

    Raises :class:`BackendUnavailableError` (backend unreachable), :class:`ConfigurationError`
    (a setting that cannot work) or :class:`WorkersFailed` (a worker could not start;
    the message is its reason) instead of starting a server that cannot serve.
    """
    check_backend(settings)
    options = uvicorn_options(settings)
    supervised = settings.server.workers > 1 or settings.server.reload
    metrics = settings.server.metrics_enabled
    if isinstance(app, str):
        if supervised:
            _supervised(app, options, metrics=metrics)
        else:
            uvicorn.run(app, **options)
        return
    if supervised:
        target, app_dir = app_import_string(app)
        if app_dir is not None:
            options["app_dir"] = app_dir
            if options["reload"]:
                options["reload_dirs"] = [app_dir]
        _supervised(target, options, metrics=metrics)
        return
    uvicorn.run(app, **options)
