"""Redis down at start-up, going away, coming back; passwords; subscription clean-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from pywry.config import load_settings
from pywry.errors import BackendUnavailableError
from pywry.state.records import WidgetRecord
from pywry.testing import eventually
from pywry_state_redis import RedisBackend
from pywry_state_redis.testing import ThrowawayRedis, free_port

pytestmark = pytest.mark.redis

HOUR = 3600.0


async def test_start_names_the_setting_when_redis_is_unreachable() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    backend = RedisBackend(url, prefix="down")
    with pytest.raises(BackendUnavailableError, match="PYWRY_DEPLOY__REDIS_URL") as info:
        await backend.start()
    assert url in str(info.value)
    with pytest.raises(BackendUnavailableError, match="unavailable"):
        await backend.ping()
    await backend.aclose()


async def test_from_settings_reads_the_deploy_section(redis_url: str, prefix: str) -> None:
    settings = load_settings(
        deploy={"redis_url": redis_url, "redis_prefix": prefix, "redis_pool_size": 7}
    )
    async with RedisBackend.from_settings(settings) as backend:
        await backend.ping()
        assert backend.describe() == {
            "backend": "redis",
            "shared": True,
            "url": redis_url,
            "prefix": prefix,
            "pool_size": 7,
        }


@pytest.fixture(scope="module")
def locked_redis() -> Iterator[ThrowawayRedis]:
    with ThrowawayRedis(password="s3cret-pass") as server:
        yield server


async def test_password_url_works_and_is_masked(locked_redis: ThrowawayRedis) -> None:
    async with RedisBackend(locked_redis.url, prefix="locked") as backend:
        await backend.widgets.register(WidgetRecord(widget_id="w"), ttl=HOUR)
        assert await backend.widgets.active() == {"w"}
        shown = backend.describe()["url"]
        assert "s3cret-pass" not in shown
        assert shown == f"redis://:***@127.0.0.1:{locked_redis.port}/0"


async def test_wrong_password_fails_start_without_leaking_it(locked_redis: ThrowawayRedis) -> None:
    url = f"redis://:wrong-guess@127.0.0.1:{locked_redis.port}/0"
    backend = RedisBackend(url, prefix="locked")
    with pytest.raises(BackendUnavailableError, match="PYWRY_DEPLOY__REDIS_URL") as info:
        await backend.start()
    assert "wrong-guess" not in str(info.value)
    await backend.aclose()


async def test_closing_a_subscription_unsubscribes(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    sub = await backend.events.subscribe("news")
    assert await raw.pubsub_numsub(f"{prefix}:bus:news") == [(f"{prefix}:bus:news", 1)]
    received: list[tuple[str, object]] = []

    async def consume() -> None:
        async for item in sub:
            received.append(item)

    consumer = asyncio.create_task(consume())
    await backend.events.publish("news", {"n": 1})
    await eventually(lambda: _true(bool(received)), "the first message")
    await sub.aclose()
    await consumer  # iteration ends after aclose
    assert received == [("news", {"n": 1})]
    await eventually(lambda: _unsubscribed(raw, f"{prefix}:bus:news"), "no subscriber")


async def test_closing_the_backend_ends_its_subscriptions(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    backend = RedisBackend(redis_url, prefix=prefix)
    await backend.start()
    sub = await backend.events.subscribe("news")
    await backend.aclose()
    assert [item async for item in sub] == []
    await eventually(lambda: _unsubscribed(raw, f"{prefix}:bus:news"), "no subscriber")


async def _true(value: bool) -> bool:
    return value


async def _unsubscribed(raw: aioredis.Redis, channel: str) -> bool:
    return bool(await raw.pubsub_numsub(channel) == [(channel, 0)])


# -- an outage: stop the server under a live backend, start it again ----------------


@pytest_asyncio.fixture
async def flaky() -> AsyncIterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    yield server
    server.__exit__(None, None, None)


async def _answers(backend: RedisBackend) -> bool:
    try:
        await backend.ping()
    except BackendUnavailableError:
        return False
    return True


async def test_backend_recovers_after_redis_restarts(flaky: ThrowawayRedis) -> None:
    async with RedisBackend(flaky.url, prefix="flaky", pool_size=2) as backend:
        await backend.widgets.register(WidgetRecord(widget_id="before"), ttl=HOUR)
        old = await backend.events.append("before", {"n": 1}, maxlen=5, ttl=HOUR)
        sub = await backend.events.subscribe("news")
        received: list[tuple[str, object]] = []

        async def consume() -> None:
            async for item in sub:
                received.append(item)

        consumer = asyncio.create_task(consume())

        flaky.stop()
        with pytest.raises(BackendUnavailableError, match=f"127.0.0.1:{flaky.port}"):
            await backend.widgets.get("before")
        with pytest.raises(BackendUnavailableError):
            await backend.events.publish("news", {"lost": True})
        with pytest.raises(BackendUnavailableError):
            await backend.ping()

        flaky.start()  # same port, empty data: nothing was persisted
        await eventually(lambda: _answers(backend), "the same backend to answer again")
        await backend.widgets.register(WidgetRecord(widget_id="after"), ttl=HOUR)
        assert await backend.widgets.active() == {"after"}
        assert await backend.events.last_seq("before") == 0  # lost with the data
        again = await backend.events.append("before", {"n": 2}, maxlen=5, ttl=HOUR)
        assert again > old  # the log made again numbers above the lost one
        assert await backend.events.since("before", old) == [{"n": 2, "seq": again}]

        # The subscription resubscribes by itself; publish until it is back.
        async def delivered() -> bool:
            await backend.events.publish("news", {"back": True})
            await asyncio.sleep(0.05)
            return bool(received)

        await eventually(delivered, "the subscription to receive again after the restart")
        assert all(item == ("news", {"back": True}) for item in received)
        await sub.aclose()
        await consumer


async def test_a_subscription_closed_at_once_leaves_no_subscriber(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    sub = await backend.events.subscribe("quick")
    await sub.aclose()
    await eventually(lambda: _unsubscribed(raw, f"{prefix}:bus:quick"), "no subscriber")
    assert [item async for item in sub] == []
