"""Where the SQLCipher key comes from, and how it reaches SQLCipher safely.

Sources, first match wins:

1. ``PYWRY_SQLITE_KEY``: a passphrase, stretched with scrypt using the salt file.
2. The OS keyring (``keyring``), service ``pywry``, user ``sqlite:<absolute db path>``.
   For a new database a random 256-bit key is generated and stored there.
3. A host key: scrypt over a constant, salted with the salt file. The salt file then
   *is* the secret: keep it (mode 0600) with the database and back both up together.

The salt file is ``<database>.salt`` (for example ``~/.config/pywry/pywry.db.salt``):
32 random bytes, created with mode 0600 only when the database itself is new, never
re-created for an existing database (that would make it unreadable).

SQLCipher receives a raw key, ``PRAGMA key = "x'<64 hex digits>'"``, whose text is
built only from hex digits produced here, never from user text.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from pywry.errors import ConfigurationError

__all__ = ["ENV_VAR", "KEYRING_SERVICE", "DatabaseKey", "keyring_user", "resolve_key", "salt_path"]

logger = logging.getLogger("pywry_state_sqlite")

ENV_VAR = "PYWRY_SQLITE_KEY"
KEYRING_SERVICE = "pywry"
_SALT_BYTES = 32
_HOST_SECRET = b"pywry-sqlite host key v1"
_RAW_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DatabaseKey:
    """A 256-bit SQLCipher key and a description of where it came from."""

    hex: str = field(repr=False)
    #: ``env``, ``keyring`` or ``salt-file``.
    kind: str
    #: Human wording for messages, e.g. ``PYWRY_SQLITE_KEY`` (never the key itself).
    source: str

    def __post_init__(self) -> None:
        if not _RAW_KEY.fullmatch(self.hex):
            raise ValueError("a database key must be 64 lowercase hex digits")

    def pragma(self) -> str:
        """The ``PRAGMA key`` statement; its text holds only the validated hex digits."""
        return f"PRAGMA key = \"x'{self.hex}'\""


def salt_path(db_path: Path) -> Path:
    """The salt file beside ``db_path``."""
    return db_path.with_name(db_path.name + ".salt")


def keyring_user(db_path: Path) -> str:
    """The keyring user name under which ``db_path``'s key is stored."""
    return f"sqlite:{db_path}"


def _stretch(secret: bytes, salt: bytes) -> str:
    derived = hashlib.scrypt(secret, salt=salt, n=2**15, r=8, p=1, maxmem=64 * 2**20, dklen=32)
    return derived.hex()


def _salt(db_path: Path, *, create: bool, needed_by: str) -> bytes:
    path = salt_path(db_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if not create:
            raise ConfigurationError(
                f"The salt file {path} is missing, so {needed_by} cannot open the existing "
                f"database {db_path}. Restore the salt file from the backup made with the "
                "database; a new salt would not open it."
            ) from None
        data = secrets.token_bytes(_SALT_BYTES)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if hasattr(os, "fchmod"):  # POSIX: exactly 0600 whatever the umask
                os.fchmod(fd, 0o600)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return data
    if len(data) < 16:
        raise ConfigurationError(f"The salt file {path} is damaged ({len(data)} bytes).")
    return data


def _from_keyring(db_path: Path, *, create: bool) -> str | None:
    """The keyring's secret for ``db_path``, or ``None`` if absent or unusable."""
    try:
        import keyring
    except ImportError:
        return None
    user = keyring_user(db_path)
    try:
        value = keyring.get_password(KEYRING_SERVICE, user)
        if value or not create:
            return value or None
        generated = secrets.token_hex(32)
        keyring.set_password(KEYRING_SERVICE, user, generated)
        if keyring.get_password(KEYRING_SERVICE, user) != generated:
            logger.info("The OS keyring did not keep the database key; not using it")
            return None
        return generated
    except Exception as exc:  # any backend failure means "no usable keyring"
        logger.info("The OS keyring is not usable (%s: %s)", type(exc).__name__, exc)
        return None


def resolve_key(db_path: Path, *, new_database: bool) -> DatabaseKey:
    """The key for ``db_path``; creates a keyring entry or salt file only if it is new."""
    passphrase = os.environ.get(ENV_VAR, "")
    if passphrase:
        salt = _salt(db_path, create=new_database, needed_by=ENV_VAR)
        return DatabaseKey(_stretch(passphrase.encode(), salt), "env", ENV_VAR)
    secret = _from_keyring(db_path, create=new_database)
    if secret is not None:
        source = (
            f"the OS keyring entry (service {KEYRING_SERVICE!r}, user {keyring_user(db_path)!r})"
        )
        if _RAW_KEY.fullmatch(secret):
            return DatabaseKey(secret, "keyring", source)
        salt = _salt(db_path, create=new_database, needed_by=source)
        return DatabaseKey(_stretch(secret.encode(), salt), "keyring", source)
    if not new_database and not salt_path(db_path).exists():
        raise ConfigurationError(
            f"No key for the encrypted database {db_path}: {ENV_VAR} is not set, the OS "
            f"keyring has no entry (service {KEYRING_SERVICE!r}, user "
            f"{keyring_user(db_path)!r}) and the salt file {salt_path(db_path)} does not "
            f"exist. Set {ENV_VAR} to the passphrase the database was created with."
        )
    source = f"the host key derived from the salt file {salt_path(db_path)}"
    salt = _salt(db_path, create=new_database, needed_by=source)
    return DatabaseKey(_stretch(_HOST_SECRET, salt), "salt-file", source)
