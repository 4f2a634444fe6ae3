"""The SQLite backend passes the whole conformance kit, encrypted and plain."""

from __future__ import annotations

from pathlib import Path

import pytest
from pywry.testing import BackendConformance


class TestEncrypted(BackendConformance):
    """SQLCipher database, key from ``PYWRY_SQLITE_KEY``."""

    @pytest.fixture
    def backend_env(self, tmp_path: Path) -> dict[str, str]:
        return {
            "PYWRY_DEPLOY__STATE_BACKEND": "sqlite",
            "PYWRY_DEPLOY__SQLITE_PATH": str(tmp_path / "x" / "pywry.db"),
            "PYWRY_SQLITE_KEY": "conformance-passphrase",
        }


class TestPlain(BackendConformance):
    """Plain SQLite: the ``sqlcipher3`` binding hidden here and in child processes."""

    @pytest.fixture
    def backend_env(self, tmp_path: Path, hide_sqlcipher: dict[str, str]) -> dict[str, str]:
        return {
            "PYWRY_DEPLOY__STATE_BACKEND": "sqlite",
            "PYWRY_DEPLOY__SQLITE_PATH": str(tmp_path / "x" / "pywry.db"),
            **hide_sqlcipher,
        }
