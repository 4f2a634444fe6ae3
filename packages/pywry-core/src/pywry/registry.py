"""Discovery of state backends and servers through entry points.

Nothing is imported until it is asked for. Built-in and third-party backends take
the same path: the ``pywry.state_backends`` entry-point group (``memory`` is
registered there by pywry-core itself). Servers come from ``pywry.servers``.
"""

from __future__ import annotations

import difflib
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from pywry._hints import install_hint
from pywry.errors import BackendNotFoundError, ConfigurationError, ServerNotInstalledError

if TYPE_CHECKING:
    from pywry.state.base import StateBackend

__all__ = [
    "BACKEND_GROUP",
    "KNOWN_DISTRIBUTIONS",
    "SERVER_GROUP",
    "available_state_backends",
    "load_server",
    "load_state_backend",
    "register_state_backend",
]

BACKEND_GROUP = "pywry.state_backends"
SERVER_GROUP = "pywry.servers"
_SETTING = "PYWRY_DEPLOY__STATE_BACKEND"

#: First-party backends and the distribution that provides each.
KNOWN_DISTRIBUTIONS: dict[str, str] = {
    "memory": "pywry-core",
    "redis": "pywry-state-redis",
    "sqlite": "pywry-state-sqlite",
}

_registered: dict[str, type[StateBackend]] = {}


def _entry_points(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def available_state_backends() -> list[str]:
    """Names of every installed or registered state backend, sorted."""
    return sorted(set(_entry_points(BACKEND_GROUP)) | set(_registered))


def register_state_backend(name: str, cls: type[StateBackend], *, replace: bool = False) -> None:
    """Register ``cls`` under ``name`` without an entry point (tests, embedding)."""
    key = name.strip().lower()
    if not replace and (key in _registered or key in _entry_points(BACKEND_GROUP)):
        raise ValueError(f"A state backend named {key!r} exists already; pass replace=True")
    _registered[key] = cls


def load_state_backend(name: str) -> type[StateBackend]:
    """The backend class registered under ``name``.

    Raises :class:`BackendNotFoundError` naming the setting, the installed names and
    the closest match, or the distribution to install for a known backend.
    """
    from pywry.state.base import StateBackend

    key = name.strip().lower()
    if key in _registered:
        return _registered[key]
    found = _entry_points(BACKEND_GROUP)
    if key not in found:
        raise BackendNotFoundError(_not_found_message(key, sorted(set(found) | set(_registered))))
    try:
        cls: Any = found[key].load()
    except ImportError as exc:
        dist = KNOWN_DISTRIBUTIONS.get(key, found[key].value.split(".")[0])
        raise BackendNotFoundError(
            f"{_SETTING}={key!r}: the backend is installed but failed to import "
            f"({exc}). Reinstall it: {install_hint(dist, reinstall=True)}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, StateBackend)):
        raise BackendNotFoundError(
            f"{_SETTING}={key!r}: entry point {found[key].value!r} is not a "
            "pywry.state.base.StateBackend subclass"
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


def load_server(name: str = "default") -> Any:
    """The server plugin registered under ``name`` in ``pywry.servers``."""
    found = _entry_points(SERVER_GROUP)
    if name not in found:
        if not found:
            raise ServerNotInstalledError(
                "Deploy mode needs a server and none is installed: " + install_hint("pywry-server")
            )
        raise ConfigurationError(
            f"No PyWry server named {name!r}; installed: {', '.join(sorted(found))}"
        )
    try:
        return found[name].load()
    except ImportError as exc:
        raise ServerNotInstalledError(
            f"The PyWry server {name!r} failed to import ({exc}). "
            f"Reinstall it: {install_hint('pywry-server', reinstall=True)}"
        ) from exc
