"""The checks of ``pywry doctor``: each says what it found and, for a problem, the fix."""

from __future__ import annotations

import asyncio
import errno
import importlib
import os
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pywry._hints import install_hint
from pywry._startup import check_workers, probe
from pywry.config import PyWrySettings, env_var_for
from pywry.errors import BackendNotFoundError, ConfigurationError, PyWryError
from pywry.registry import KNOWN_DISTRIBUTIONS, available_state_backends, load_state_backend

__all__ = ["CHECKS", "Finding"]

PROBE_TIMEOUT = 10.0
_BACKEND = env_var_for("deploy", "state_backend")


@dataclass(frozen=True)
class Finding:
    """``status`` is ``ok``, ``warn`` (works, but read this) or ``error`` (will not work)."""

    status: str
    topic: str
    message: str
    fix: str = ""


def backend_installed(settings: PyWrySettings) -> list[Finding]:
    name = settings.deploy.state_backend
    try:
        cls = load_state_backend(name)
    except BackendNotFoundError as exc:
        dist = KNOWN_DISTRIBUTIONS.get(name)
        fix = (
            install_hint(dist)
            if dist
            else f"set {_BACKEND} to one of: {', '.join(available_state_backends())}"
        )
        return [Finding("error", "state backend", str(exc), fix)]
    caps = ", ".join(sorted(c.value for c in cls.capabilities)) or "process-local"
    return [Finding("ok", "state backend", f"{name!r} installed ({caps})")]


def workers_share_state(settings: PyWrySettings) -> list[Finding]:
    try:
        check_workers(settings, load_state_backend(settings.deploy.state_backend))
    except BackendNotFoundError:
        return []  # reported by backend_installed
    except ConfigurationError:
        workers, name = settings.server.workers, settings.deploy.state_backend
        message = (
            f"{env_var_for('server', 'workers')}={workers} on {_BACKEND}={name!r}, which is not "
            "shared between processes: each worker would see only its own widgets and sessions"
        )
        fix = f"{_BACKEND}=redis (or sqlite on one host), or {env_var_for('server', 'workers')}=1"
        return [Finding("error", "workers", message, fix)]
    return [Finding("ok", "workers", f"{settings.server.workers} worker(s)")]


def backend_reachable(settings: PyWrySettings) -> list[Finding]:
    name = settings.deploy.state_backend
    if name not in available_state_backends():
        return []
    if name == "sqlite":
        # The sqlite backend's own field (pywry_state_sqlite.settings), read with its others.
        path = Path(str((settings.deploy.model_extra or {})["sqlite_path"])).expanduser()
        if not path.exists():
            return [_creatable(path)]
    try:
        cls = load_state_backend(name)
        facts = asyncio.run(asyncio.wait_for(probe(settings, cls), PROBE_TIMEOUT))
    except TimeoutError:
        message = f"{name!r} did not answer within {PROBE_TIMEOUT:.0f} s"
        return [Finding("error", "backend reachable", message, _reach_fix(name))]
    except (PyWryError, OSError) as exc:
        return [Finding("error", "backend reachable", str(exc), _reach_fix(name))]
    shown = ", ".join(f"{k}={v}" for k, v in facts.items() if k != "backend")
    return [
        Finding("ok", "backend reachable", f"{name!r} answers" + (f" ({shown})" if shown else ""))
    ]


def _creatable(path: Path) -> Finding:
    parent = next((p for p in (path.parent, *path.parents) if p.exists()), Path("/"))
    if os.access(parent, os.W_OK):
        return Finding("ok", "backend reachable", f"{path} will be created on first start")
    return Finding(
        "error",
        "backend reachable",
        f"{path} does not exist and {parent} is not writable by this user",
        f"create {path.parent} for the service's user, "
        f"or set {env_var_for('deploy', 'sqlite_path')}",
    )


def _reach_fix(name: str) -> str:
    if name == "redis":
        return f"start Redis, or correct {env_var_for('deploy', 'redis_url')}"
    if name == "sqlite":
        return "check the file's permissions and its key (PYWRY_SQLITE_KEY, keyring, salt file)"
    return f"check the {name!r} backend's settings (PYWRY_DEPLOY__*)"


def sqlite_encryption(settings: PyWrySettings) -> list[Finding]:
    if settings.deploy.state_backend != "sqlite":
        return []
    try:
        importlib.import_module("sqlcipher3")
    except ImportError as exc:
        cipher = Finding(
            "error",
            "sqlcipher",
            f"the sqlcipher3 binding cannot be imported ({exc}): data would be stored unencrypted",
            install_hint("sqlcipher3-binary"),
        )
    else:
        cipher = Finding("ok", "sqlcipher", "sqlcipher3 present: the database is encrypted")
    return [cipher, _key_source()]


def _key_source() -> Finding:
    if os.environ.get("PYWRY_SQLITE_KEY"):
        return Finding("ok", "database key", "from PYWRY_SQLITE_KEY")
    try:
        keyring: Any = importlib.import_module("keyring")
        backend = keyring.get_keyring()
    except Exception as exc:  # keyring raises its own errors for broken backends
        backend, error = None, str(exc)
    else:
        error = ""
    kind = f"{type(backend).__module__}.{type(backend).__name__}" if backend else "none"
    # keyring's own measure: priority 0 is its "fail" backend (or a chain of nothing).
    if backend is None or float(getattr(backend, "priority", 0)) <= 0:
        return Finding(
            "warn",
            "database key",
            f"no usable keyring backend ({error or kind}): the key is derived from the salt "
            "file <database>.salt, which is then the secret",
            "set PYWRY_SQLITE_KEY (an EnvironmentFile of mode 0600), or install a keyring "
            "backend (pip install keyrings.alt)",
        )
    return Finding("ok", "database key", f"keyring backend {kind}")


def tls_files(settings: PyWrySettings) -> list[Finding]:
    server = settings.server
    if not server.ssl_certfile:
        return [Finding("ok", "tls", "not configured (plain HTTP; terminate TLS at the proxy?)")]
    password = server.ssl_keyfile_password
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(
            server.ssl_certfile,
            server.ssl_keyfile,
            password.get_secret_value() if password else None,
        )
    except ssl.SSLError as exc:
        reason = "the certificate and the key do not match" if "MISMATCH" in str(exc) else str(exc)
        return [
            Finding(
                "error",
                "tls",
                f"{server.ssl_certfile} / {server.ssl_keyfile}: {reason}",
                f"point {env_var_for('server', 'ssl_keyfile')} at the key of this certificate "
                f"(and {env_var_for('server', 'ssl_keyfile_password')} if it is encrypted)",
            )
        ]
    except OSError as exc:
        return [Finding("error", "tls", f"cannot read the TLS files: {exc}", "fix the permissions")]
    if server.ssl_ca_certs:
        try:
            context.load_verify_locations(server.ssl_ca_certs)
        except (ssl.SSLError, OSError) as exc:
            return [
                Finding("error", "tls", f"{server.ssl_ca_certs}: {exc}", "give a PEM CA bundle")
            ]
    return [Finding("ok", "tls", f"certificate and key load and match ({server.ssl_certfile})")]


def port_free(settings: PyWrySettings) -> list[Finding]:
    host, port = settings.server.host, settings.server.port
    if port == 0:
        return [Finding("ok", "port", "0: the system picks a free port")]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                message = f"{host}:{port} is in use by another process"
                fix = "stop that process, or choose another port "
                fix += f"(--port, {env_var_for('server', 'port')})"
            else:
                message = f"cannot bind {host}:{port}: {exc.strerror}"
                fix = f"use an address of this host ({env_var_for('server', 'host')})"
            return [Finding("error", "port", message, fix)]
    return [Finding("ok", "port", f"{host}:{port} is free")]


CHECKS: list[Callable[[PyWrySettings], list[Finding]]] = [
    backend_installed,
    workers_share_state,
    backend_reachable,
    sqlite_encryption,
    tls_files,
    port_free,
]
