"""Fixtures for the Redis backend's own tests: a real Redis, a unique prefix each test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from pywry_state_redis import RedisBackend
from pywry_state_redis.testing import redis_server_url


@pytest.fixture(scope="session")
def redis_url() -> str:
    return redis_server_url()


@pytest.fixture
def prefix() -> str:
    return f"pywry-test-{uuid.uuid4().hex[:10]}"


@pytest_asyncio.fixture
async def raw(redis_url: str, prefix: str) -> AsyncIterator[aioredis.Redis]:
    """A plain client on the same Redis; deletes every key under ``prefix`` at teardown."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest_asyncio.fixture
async def backend(redis_url: str, prefix: str, raw: aioredis.Redis) -> AsyncIterator[RedisBackend]:
    async with RedisBackend(redis_url, prefix=prefix, pool_size=4) as started:
        yield started
