"""Running the app with uvicorn, every server and SSL setting applied."""

from __future__ import annotations

import asyncio
import copy
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import uvicorn
from pywry.config import env_var_for
from pywry.errors import BackendUnavailableError, ConfigurationError
from pywry.registry import load_state_backend
from uvicorn.config import LOGGING_CONFIG

if TYPE_CHECKING:
    from pywry.config import PyWrySettings

__all__ = ["app_import_string", "check_backend", "run", "uvicorn_options"]


def uvicorn_options(settings: PyWrySettings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` from the server settings."""
    server = settings.server
    password = server.ssl_keyfile_password
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["pywry"] = {
        "handlers": ["default"],
        "level": server.log_level.upper() if server.log_level != "trace" else "DEBUG",
        "propagate": False,
    }
    return {
        "host": server.host,
        "port": server.port,
        "workers": server.workers,
        "log_level": server.log_level,
        "log_config": log_config,
        "access_log": server.access_log,
        "reload": server.reload,
        "timeout_keep_alive": server.timeout_keep_alive,
        "timeout_graceful_shutdown": server.timeout_graceful_shutdown,
        "limit_concurrency": server.limit_concurrency,
        "limit_max_requests": server.limit_max_requests,
        "backlog": server.backlog,
        # A WebSocket message over the limit closes the socket (1009) before it is
        # buffered whole; with compression on, the limit applies to the inflated size.
        "ws_max_size": server.max_message_bytes,
        "ws_per_message_deflate": server.ws_per_message_deflate,
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


async def _probe(settings: PyWrySettings) -> None:
    backend = load_state_backend(settings.deploy.state_backend).from_settings(settings)
    try:
        await backend.start()
        await backend.ping()
    finally:
        await backend.aclose()


def check_backend(settings: PyWrySettings) -> None:
    """Stop start-up with a clear message (exit status 1) if the backend is unreachable.

    Runs in the parent process before uvicorn starts any worker, so an unreachable
    Redis ends the program once instead of failing every worker.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # called from async code: the workers' own start-up reports the problem
        return
    try:
        asyncio.run(_probe(settings))
    except BackendUnavailableError as exc:
        raise SystemExit(f"PyWry cannot start: {exc}") from None


def run(app: Any, *, settings: PyWrySettings) -> None:
    """Check the state backend, then serve ``app`` in the foreground until interrupted."""
    check_backend(settings)
    options = uvicorn_options(settings)
    if isinstance(app, str):
        uvicorn.run(app, **options)
        return
    if settings.server.workers > 1 or settings.server.reload:
        target, app_dir = app_import_string(app)
        if app_dir is not None:
            options["app_dir"] = app_dir
            if options["reload"]:
                options["reload_dirs"] = [app_dir]
        uvicorn.run(target, **options)
        return
    uvicorn.run(app, **options)
