"""Discovery of state backends and servers through entry points.

Nothing is imported until it is asked for. Built-in and third-party backends take
the same path: the ``pywry.state_backends`` entry-point group (``memory`` is
registered there by pywry-core itself). Servers come from ``pywry.servers``.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pywry import _plugins
from pywry._hints import install_hint
from pywry._plugins import BACKEND_GROUP, SERVER_GROUP
from pywry.errors import BackendNotFoundError, ConfigurationError, ServerNotInstalledError
from pywry.state.base import StateBackend

if TYPE_CHECKING:  # types only: core never imports FastAPI
    from fastapi import FastAPI

    from pywry.config import PyWrySettings
    from pywry.runtime import Runtime

__all__ = [
    "BACKEND_GROUP",
    "KNOWN_DISTRIBUTIONS",
    "SERVER_GROUP",
    "ServerPlugin",
    "available_state_backends",
    "load_server",
    "load_state_backend",
    "register_state_backend",
]

_SETTING = "PYWRY_DEPLOY__STATE_BACKEND"

#: First-party backends and the distribution that provides each.
KNOWN_DISTRIBUTIONS: dict[str, str] = {
    "memory": "pywry-core",
    "redis": "pywry-state-redis",
    "sqlite": "pywry-state-sqlite",
}


@runtime_checkable
class ServerPlugin(Protocol):
    """What a ``pywry.servers`` entry point provides (``pywry_server.plugin.DefaultServer``).

    :func:`pywry.inline.get_server_app` calls :meth:`create_app` and
    :func:`pywry.inline.deploy` calls :meth:`run`.
    """

    def create_app(
        self, *, settings: PyWrySettings, backend_cls: type[StateBackend], runtime: Runtime
    ) -> FastAPI:
        """The ASGI app of this process, serving ``runtime``'s widgets on the backend."""

    def run(self, app: FastAPI | str, *, settings: PyWrySettings) -> None:
        """Serve ``app`` (or the import string of one) until interrupted."""


def available_state_backends() -> list[str]:
    """Names of every installed or registered state backend, sorted."""
    return sorted(set(_plugins.installed(BACKEND_GROUP)) | set(_plugins.registered(BACKEND_GROUP)))


def register_state_backend(name: str, cls: type[StateBackend], *, replace: bool = False) -> None:
    """Register ``cls`` under ``name`` without an entry point (tests, embedding)."""
    key = name.strip().lower()
    taken = key in _plugins.registered(BACKEND_GROUP) or key in _plugins.installed(BACKEND_GROUP)
    if not replace and taken:
        raise ValueError(f"A state backend named {key!r} exists already; pass replace=True")
    _plugins.register(BACKEND_GROUP, key, cls)


def load_state_backend(name: str) -> type[StateBackend]:
    """The backend class registered under ``name``.

    Raises :class:`BackendNotFoundError` naming the setting, the installed names and
    the closest match, or the distribution to install for a known backend.
    """
    key = name.strip().lower()
    registered = _plugins.registered(BACKEND_GROUP)
    if key in registered:
        return _checked(key, registered[key], "registered class")
    found = _plugins.installed(BACKEND_GROUP)
    if key not in found:
        raise BackendNotFoundError(_not_found_message(key, sorted(set(found) | set(registered))))
    try:
        cls: Any = found[key].load()
    except ImportError as exc:
        dist = KNOWN_DISTRIBUTIONS.get(key, found[key].value.split(".")[0])
        raise BackendNotFoundError(
            f"{_SETTING}={key!r}: the backend is installed but failed to import "
            f"({exc}). Reinstall it: {install_hint(dist, reinstall=True)}"
        ) from exc
    return _checked(key, cls, f"entry point {found[key].value!r}")


def _checked(key: str, cls: object, what: str) -> type[StateBackend]:
    if not (isinstance(cls, type) and issubclass(cls, StateBackend)):
        raise BackendNotFoundError(
            f"{_SETTING}={key!r}: {what} is not a pywry.state.base.StateBackend subclass"
        )
    return cls


def _not_found_message(key: str, installed: list[str]) -> str:
    if key in KNOWN_DISTRIBUTIONS:
        dist = KNOWN_DISTRIBUTIONS[key]
        return (
            f"{_SETTING}={key!r} needs the {dist!r} distribution, which is not installed: "
            f"{install_hint(dist)}. Installed backends: {', '.join(installed) or 'none'}."
        )
    close = difflib.get_close_matches(key, installed + list(KNOWN_DISTRIBUTIONS), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"{_SETTING}={key!r} is not a known state backend.{hint} "
        f"Installed backends: {', '.join(installed) or 'none'}."
    )


def load_server(name: str = "default") -> ServerPlugin:
    """The server plugin registered under ``name`` in ``pywry.servers``."""
    found = _plugins.installed(SERVER_GROUP)
    if name not in found:
        if not found:
            raise ServerNotInstalledError(
                "Deploy mode needs a server and none is installed: " + install_hint("pywry-server")
            )
        raise ConfigurationError(
            f"No PyWry server named {name!r}; installed: {', '.join(sorted(found))}"
        )
    try:
        server: object = found[name].load()
    except ImportError as exc:
        raise ServerNotInstalledError(
            f"The PyWry server {name!r} failed to import ({exc}). "
            f"Reinstall it: {install_hint('pywry-server', reinstall=True)}"
        ) from exc
    if not isinstance(server, ServerPlugin):
        raise ConfigurationError(
            f"The PyWry server {name!r} ({found[name].value}) lacks create_app() or run()"
        )
    return server
