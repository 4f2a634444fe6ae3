"""The Redis backend passes the shared conformance kit, selected by its entry-point name."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from pywry.testing import BackendConformance
from pywry_state_redis.testing import redis_server_url

pytestmark = pytest.mark.redis


class TestRedisBackend(BackendConformance):
    @pytest.fixture
    def backend_env(self) -> Iterator[dict[str, str]]:
        url = redis_server_url()
        prefix = f"pywry-test-{uuid.uuid4().hex[:10]}"
        yield {
            "PYWRY_DEPLOY__STATE_BACKEND": "redis",
            "PYWRY_DEPLOY__REDIS_URL": url,
            "PYWRY_DEPLOY__REDIS_PREFIX": prefix,
        }
        with redis.Redis.from_url(url) as client:
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
