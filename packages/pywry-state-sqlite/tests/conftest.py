"""Fixtures for the SQLite backend's tests: database paths and a plain-SQLite mode."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

#: A module that stands in for ``sqlcipher3`` in child processes of the plain variant.
_HIDE = 'raise ImportError("sqlcipher3 is hidden by the pywry-state-sqlite test suite")\n'


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database path whose directory does not exist yet."""
    return tmp_path / "state" / "pywry.db"


@pytest.fixture
def hide_sqlcipher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Make ``import sqlcipher3`` fail here and in child processes, as if not installed.

    Returns the environment entries a child process needs (a ``PYTHONPATH`` whose
    ``sqlcipher3.py`` raises ``ImportError``).
    """
    shadow = tmp_path / "no-sqlcipher"
    shadow.mkdir()
    (shadow / "sqlcipher3.py").write_text(_HIDE)
    monkeypatch.setitem(sys.modules, "sqlcipher3", None)
    return {"PYTHONPATH": str(shadow)}
