"""One flat keyspace of JSON texts with expiry times, like a tiny key-value server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

__all__ = ["Keyspace"]


class Keyspace:
    """``key -> (expires_at, json_text)``; expired keys read as missing."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, str]] = {}

    def put(self, key: str, value: Any, ttl: float) -> None:
        self._data[key] = (time.monotonic() + ttl, json.dumps(value))

    def read(self, key: str) -> Any | None:
        found = self._data.get(key)
        if found is None or found[0] <= time.monotonic():
            self._data.pop(key, None)
            return None
        return json.loads(found[1])

    def expire(self, key: str, ttl: float) -> bool:
        """Set a key's remaining life; ``False`` if it does not exist."""
        found = self.read(key)
        if found is None:
            return False
        self.put(key, found, ttl)
        return True

    def delete(self, key: str) -> bool:
        existed = self.read(key) is not None
        self._data.pop(key, None)
        return existed

    def scan(self, prefix: str) -> Iterator[tuple[str, Any]]:
        """Live ``(key without prefix, value)`` pairs under ``prefix``."""
        for key in [k for k in self._data if k.startswith(prefix)]:
            value = self.read(key)
            if value is not None:
                yield key.removeprefix(prefix), value
