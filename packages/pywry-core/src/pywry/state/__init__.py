"""Deploy-mode state: detection helpers and the backend interface.

``is_deploy_mode()`` is true when any of these hold:

- ``PYWRY_DEPLOY_MODE`` (or ``PYWRY_DEPLOY__ENABLED``) is ``1``/``true``/``yes``/``on``;
- ``PYWRY_DEPLOY__STATE_BACKEND=redis``;
- ``PYWRY_HEADLESS=1`` and a state backend is configured (``PYWRY_DEPLOY__STATE_BACKEND``).

``get_server_app()`` sets ``PYWRY_HEADLESS=1`` and ``PYWRY_DEPLOY_MODE=1``.
"""

from __future__ import annotations

import os
import secrets
import socket
from enum import Enum
from typing import Any

from pywry.config import load_settings
from pywry.state.base import (
    Capability,
    ConnectionRouter,
    EventBus,
    SessionStore,
    StateBackend,
    Subscription,
    WidgetStore,
    WorkerRegistry,
    first_seq,
)
from pywry.state.queued import QueueSubscription
from pywry.state.records import ConnectionRecord, SessionRecord, WidgetRecord

__all__ = [
    "Capability",
    "ConnectionRecord",
    "ConnectionRouter",
    "EventBus",
    "QueueSubscription",
    "SessionRecord",
    "SessionStore",
    "StateBackend",
    "StateBackendKind",
    "Subscription",
    "WidgetRecord",
    "WidgetStore",
    "WorkerRegistry",
    "first_seq",
    "get_state_backend",
    "get_worker_id",
    "is_deploy_mode",
]

_TRUE = {"1", "true", "yes", "on"}


class StateBackendKind(str, Enum):
    """The configured backend; ``.value`` is its entry-point name.

    Third-party names are accepted too: ``StateBackendKind("mybackend").value``
    is ``"mybackend"``.
    """

    MEMORY = "memory"
    REDIS = "redis"
    SQLITE = "sqlite"

    @classmethod
    def _missing_(cls, value: object) -> StateBackendKind | None:
        if not isinstance(value, str) or not value.strip():
            return None
        name = value.strip().lower()
        if name in cls._value2member_map_:
            return cls._value2member_map_[name]  # type: ignore[return-value]
        member = str.__new__(cls, name)
        member._name_ = name.upper()
        member._value_ = name
        return cls._value2member_map_.setdefault(name, member)  # type: ignore[return-value]


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def is_deploy_mode() -> bool:
    """Whether PyWry runs as a deploy-mode server (see the module docstring)."""
    backend = os.environ.get("PYWRY_DEPLOY__STATE_BACKEND", "").strip().lower()
    if _flag("PYWRY_DEPLOY_MODE") or _flag("PYWRY_DEPLOY__ENABLED") or backend == "redis":
        return True
    return _flag("PYWRY_HEADLESS") and bool(backend)


def get_state_backend() -> StateBackendKind:
    """The configured state backend (``PYWRY_DEPLOY__STATE_BACKEND`` or config files)."""
    return StateBackendKind(load_settings().deploy.state_backend)


_worker: dict[str, Any] = {}


def get_worker_id() -> str:
    """This process's worker id, stable for the life of the process.

    ``PYWRY_DEPLOY__WORKER_ID`` when set (with ``-<pid>`` appended when several
    workers share the setting); otherwise ``<hostname>-<pid>-<random>``.
    """
    pid = os.getpid()
    if _worker.get("pid") != pid:
        settings = load_settings()
        configured = settings.deploy.worker_id
        if configured:
            worker_id = configured if settings.server.workers == 1 else f"{configured}-{pid}"
        else:
            worker_id = f"{socket.gethostname()}-{pid}-{secrets.token_hex(3)}"
        _worker.update(pid=pid, id=worker_id)
    return str(_worker["id"])
