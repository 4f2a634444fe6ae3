"""Entry-point groups and in-process registrations, without knowing what they hold.

The leaf under :mod:`pywry.registry` (which turns a backend name into a checked
``StateBackend`` class) and :mod:`pywry.config` (which reads the settings every installed
backend declares): both need "what is installed under this name", neither may import the
other.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

__all__ = ["BACKEND_GROUP", "SERVER_GROUP", "installed", "register", "registered"]

BACKEND_GROUP = "pywry.state_backends"
SERVER_GROUP = "pywry.servers"

_registered: dict[str, dict[str, object]] = {}


def installed(group: str) -> dict[str, EntryPoint]:
    """The entry points of ``group`` by name (nothing is loaded)."""
    return {ep.name: ep for ep in entry_points(group=group)}


def registered(group: str) -> dict[str, object]:
    """What :func:`register` put in ``group`` in this process."""
    return dict(_registered.get(group, {}))


def register(group: str, name: str, obj: object) -> None:
    """Register ``obj`` under ``name`` in ``group`` for this process only."""
    _registered.setdefault(group, {})[name] = obj
