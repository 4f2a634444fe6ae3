"""The SQL text of the backend, read from the ``.sql`` files shipped beside this module."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

__all__ = ["migrations", "query"]

_NAME = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)
_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@cache
def _queries() -> dict[str, str]:
    text = files(__package__).joinpath("sql", "queries.sql").read_text(encoding="utf-8")
    parts = _NAME.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    found: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in found:
            raise RuntimeError(f"queries.sql defines {name!r} twice")
        found[name] = body.strip()
    return found


def query(name: str) -> str:
    """The statement called ``name`` in ``sql/queries.sql``."""
    try:
        return _queries()[name]
    except KeyError:
        raise KeyError(f"queries.sql has no statement named {name!r}") from None


@cache
def migrations() -> tuple[tuple[int, str], ...]:
    """``(version, script)`` for every ``sql/migrations/NNNN_*.sql``, oldest first."""
    folder = files(__package__).joinpath("sql", "migrations")
    found: list[tuple[int, str]] = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1, 2, 3, ... without gaps: {versions}")
    return tuple(found)
