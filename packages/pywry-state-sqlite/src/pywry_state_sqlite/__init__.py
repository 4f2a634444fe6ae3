"""SQLite/SQLCipher state backend for PyWry deploy mode.

Select it with ``PYWRY_DEPLOY__STATE_BACKEND=sqlite``; the database lives at
``PYWRY_DEPLOY__SQLITE_PATH`` (default ``~/.config/pywry/pywry.db``) and is
encrypted at rest with SQLCipher when the ``sqlcipher3`` binding is installed.
See ``docs/sqlite.md`` for the design, the tables and the key sources.
"""

from __future__ import annotations

from pywry_state_sqlite._keys import ENV_VAR, KEYRING_SERVICE, keyring_user, salt_path
from pywry_state_sqlite._open import binding_available
from pywry_state_sqlite.backend import SQLiteBackend

__all__ = [
    "ENV_VAR",
    "KEYRING_SERVICE",
    "SQLiteBackend",
    "is_encrypted",
    "keyring_user",
    "salt_path",
]


def is_encrypted() -> bool:
    """Whether databases opened in this process are encrypted at rest.

    ``True`` when the ``sqlcipher3`` SQLCipher binding is importable; otherwise the
    backend falls back to plain SQLite (and logs a warning when it starts). A started
    backend reports the same fact for its own file as ``backend.encrypted`` and in
    ``backend.describe()["encrypted"]``.
    """
    return binding_available()
