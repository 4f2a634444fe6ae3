"""Opening the database: driver choice, key, verification, pragmas and migrations.

Everything here runs on the backend's database thread. Opening is serialised across
processes by an advisory lock on the database's directory, so several workers
starting at once never race to create the salt file, the keyring entry or the schema.
"""

from __future__ import annotations

import errno
import importlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from pywry.config import env_var_for
from pywry.errors import BackendError, BackendUnavailableError, ConfigurationError

from pywry_state_sqlite._keys import DatabaseKey, resolve_key
from pywry_state_sqlite._sql import migrations, query

__all__ = [
    "BUSY_TIMEOUT",
    "Opened",
    "binding_available",
    "database_path",
    "load_driver",
    "open_database",
]

logger = logging.getLogger("pywry_state_sqlite")

SETTING = env_var_for("deploy", "sqlite_path")
#: Errors of a path that may pass by themselves (a full disk or quota), not a bad setting.
_TRANSIENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: Seconds a statement waits for another process's write lock before failing.
BUSY_TIMEOUT = 30.0
_warned_plain = False
_PLAIN_HEADER = b"SQLite format 3\x00"


def binding_available() -> bool:
    """Whether the ``sqlcipher3`` SQLCipher binding can be imported."""
    try:
        importlib.import_module("sqlcipher3")
    except ImportError:
        return False
    return True


def load_driver() -> tuple[ModuleType, bool]:
    """``(dbapi module, encrypted)``: SQLCipher if installed, else stdlib ``sqlite3``.

    The fallback logs one warning per process.
    """
    global _warned_plain
    try:
        return importlib.import_module("sqlcipher3"), True
    except ImportError as exc:
        if not _warned_plain:
            _warned_plain = True
            logger.warning(
                "The SQLCipher binding is not importable (%s): the PyWry SQLite state "
                "database is NOT encrypted at rest. Install it with: "
                "pip install sqlcipher3-binary",
                exc,
            )
        return sqlite3, False


def database_path(setting: str) -> Path:
    """The absolute database path for the ``PYWRY_DEPLOY__SQLITE_PATH`` value."""
    return Path(os.path.expanduser(setting)).absolute()


def _prepare_directory(directory: Path) -> None:
    if directory.is_dir():
        return
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)  # mkdir's mode is narrowed by the umask, never widened


@contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory directory lock; first start is not guarded
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Opened:
    """An open, verified, migrated connection and how it is protected."""

    connection: Any
    driver: ModuleType
    encrypted: bool
    key: DatabaseKey | None
    schema_version: int


def _verify(conn: Any, driver: ModuleType, path: Path, key: DatabaseKey | None) -> None:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except driver.DatabaseError as exc:
        if key is not None:
            raise ConfigurationError(
                f"{key.source} does not open {path} ({exc}): the key is wrong, or the file "
                "is not a database encrypted by PyWry (for example one written by plain "
                "SQLite). The file was left unchanged. Provide the key it was created "
                "with, or point PYWRY_DEPLOY__SQLITE_PATH at another file."
            ) from exc
        raise ConfigurationError(
            f"Plain SQLite cannot read {path} ({exc}); it is probably encrypted with "
            "SQLCipher. Install the binding (pip install sqlcipher3-binary) and provide "
            "its key. The file was left unchanged."
        ) from exc


def _refuse_plain(path: Path) -> None:
    with path.open("rb") as handle:
        header = handle.read(len(_PLAIN_HEADER))
    if header == _PLAIN_HEADER:
        raise ConfigurationError(
            f"{path} is a plain, unencrypted SQLite database (probably written while "
            "the sqlcipher3 binding was missing), not a database encrypted by PyWry; it "
            "is not encrypted in place. The file was left unchanged. Move it aside to "
            "start an encrypted one, or export it with SQLCipher's sqlcipher_export()."
        )


def _migrate(conn: Any, path: Path) -> int:
    conn.execute(query("schema_version_create"))
    current = int(conn.execute(query("schema_version_current")).fetchone()[0])
    known = migrations()
    if current > len(known):
        raise ConfigurationError(
            f"{path} has schema version {current}, newer than this pywry-state-sqlite "
            f"understands ({len(known)}). Upgrade pywry-state-sqlite."
        )
    for version, script in known[current:]:
        try:
            conn.executescript("BEGIN IMMEDIATE;\n" + script)
            conn.execute(query("schema_version_record"), {"version": version, "now": time.time()})
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        logger.info("Migrated %s to schema version %d", path, version)
    return len(known)


def _unusable(path: Path, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"{SETTING}={str(path)!r} cannot hold the state database: {why}. Point it at a "
        "file in a directory this user can create and write."
    )


def _os_reason(exc: OSError) -> str:
    where = exc.filename or ""
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return f"{where} is not a directory"
    return f"{exc.strerror or exc} ({where})" if where else str(exc.strerror or exc)


def open_database(path: Path) -> Opened:
    """Open ``path`` (creating it and its directory as needed), verified and migrated.

    A path that cannot hold a database (a directory, a file where a directory should be,
    no permission, a read-only file system) is a :class:`ConfigurationError` naming
    ``PYWRY_DEPLOY__SQLITE_PATH``; a full disk or a lock held too long is
    :class:`BackendUnavailableError` (naming it too).
    """
    if path.is_dir():
        raise _unusable(path, "it is a directory (give a file in it, such as pywry.db)")
    driver, encrypted = load_driver()
    try:
        return _open(path, driver, encrypted)
    except OSError as exc:
        if exc.errno in _TRANSIENT_ERRNOS:
            raise BackendUnavailableError(f"{SETTING}={str(path)!r}: {exc}") from exc
        raise _unusable(path, _os_reason(exc)) from exc
    except driver.OperationalError as exc:
        if any(word in str(exc) for word in ("full", "locked", "busy")):
            raise BackendUnavailableError(f"{SETTING}={str(path)!r}: {exc}") from exc
        raise _unusable(path, str(exc)) from exc


def _open(path: Path, driver: ModuleType, encrypted: bool) -> Opened:
    _prepare_directory(path.parent)
    with _exclusive(path.parent):
        new_database = not path.exists() or path.stat().st_size == 0
        if encrypted and not new_database:
            _refuse_plain(path)
        key = resolve_key(path, new_database=new_database) if encrypted else None
        if new_database:  # SQLite gives the -wal and -shm files the database's mode
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = driver.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            if key is not None:
                conn.execute("PRAGMA cipher_log_level = NONE")
                conn.execute(key.pragma())
            _verify(conn, driver, path, key)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            if mode != "wal":
                raise BackendError(f"{path} could not be switched to WAL mode (got {mode!r})")
            conn.execute("PRAGMA synchronous = NORMAL")
            version = _migrate(conn, path)
        except BaseException:
            conn.close()
            raise
    return Opened(conn, driver, encrypted, key, version)
