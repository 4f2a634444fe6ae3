"""Redis state backend for PyWry: ``PYWRY_DEPLOY__STATE_BACKEND=redis``."""

from __future__ import annotations

from pywry_state_redis.backend import RedisBackend

__all__ = ["RedisBackend"]
