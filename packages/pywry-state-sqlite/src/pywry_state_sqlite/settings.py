"""The SQLite backend's settings: ``PYWRY_DEPLOY__SQLITE_PATH`` (``[deploy]`` in files)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["SQLiteSettings"]


class SQLiteSettings(BaseModel):
    """Where the database file is."""

    model_config = ConfigDict(extra="forbid", validate_default=True, use_attribute_docstrings=True)

    sqlite_path: str = "~/.config/pywry/pywry.db"
    """Database file of the sqlite backend."""
