"""What the backend leaves in Redis, checked with a plain client: key names, types, TTLs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from importlib.resources import files

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from pywry.errors import BackendError
from pywry.state.records import ConnectionRecord, SessionRecord, WidgetRecord
from pywry.testing import eventually
from pywry_state_redis import RedisBackend
from pywry_state_redis.testing import ThrowawayRedis

pytestmark = pytest.mark.redis

HOUR = 3600.0


async def _gone(raw: aioredis.Redis, key: str) -> bool:
    return not await raw.exists(key)


async def test_widget_is_a_hash_with_ttl_and_in_the_active_set(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    record = WidgetRecord(widget_id="sales", title="Sales", payload={"x": [1, 2]}, owner="w-1")
    await backend.widgets.register(record, ttl=HOUR)

    key = f"{prefix}:widget:sales"
    assert await raw.type(key) == "hash"
    assert await raw.hgetall(key) == record.to_fields()
    assert 0 < await raw.pttl(key) <= HOUR * 1000
    assert await raw.type(f"{prefix}:widgets:active") == "set"
    assert await raw.smembers(f"{prefix}:widgets:active") == {"sales"}
    assert await raw.pttl(f"{prefix}:widgets:active") > 0


async def test_touch_extends_the_hash_ttl(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    await backend.widgets.register(WidgetRecord(widget_id="w"), ttl=10)
    assert await raw.pttl(f"{prefix}:widget:w") <= 10_000
    assert await backend.widgets.touch("w", ttl=HOUR)
    assert await raw.pttl(f"{prefix}:widget:w") > 10_000


async def test_expired_widget_leaves_the_active_set(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    await backend.widgets.register(WidgetRecord(widget_id="keep"), ttl=HOUR)
    await backend.widgets.register(WidgetRecord(widget_id="brief"), ttl=0.2)
    assert await raw.smembers(f"{prefix}:widgets:active") == {"keep", "brief"}

    await eventually(lambda: _gone(raw, f"{prefix}:widget:brief"), "the widget hash to expire")
    assert await backend.widgets.active() == {"keep"}
    assert await raw.smembers(f"{prefix}:widgets:active") == {"keep"}
    assert await raw.zrange(f"{prefix}:widgets:expiry", 0, -1) == ["keep"]


async def test_writing_prunes_expired_ids_without_a_read(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    await backend.widgets.register(WidgetRecord(widget_id="brief"), ttl=0.2)
    await eventually(lambda: _gone(raw, f"{prefix}:widget:brief"), "the widget hash to expire")
    await backend.widgets.register(WidgetRecord(widget_id="next"), ttl=HOUR)
    assert await raw.smembers(f"{prefix}:widgets:active") == {"next"}


async def test_active_set_disappears_with_its_last_widget(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    await backend.widgets.register(WidgetRecord(widget_id="only"), ttl=0.2)
    await eventually(
        lambda: _gone(raw, f"{prefix}:widgets:active"), "the active set to expire with its member"
    )
    assert not await raw.exists(f"{prefix}:widgets:expiry")


async def test_session_owner_claim_and_log_keys(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    await backend.sessions.create(SessionRecord(session_id="s1", user="ann"), ttl=HOUR)
    await backend.connections.set_owner("w", "worker-1", ttl=HOUR)
    await backend.events.claim("frame-1", ttl=60)
    seqs = [await backend.events.append("w", {"n": n}, maxlen=3, ttl=HOUR) for n in range(5)]
    first = seqs[0]
    assert seqs == list(range(first, first + 5))

    assert await raw.hget(f"{prefix}:session:s1", "user") == "ann"
    assert await raw.get(f"{prefix}:owner:w") == "worker-1"
    token = await raw.get(f"{prefix}:claim:frame-1")  # the claiming call's own token
    assert isinstance(token, str) and len(token) == 16
    assert await raw.get(f"{prefix}:seq:w") == str(first + 4)
    assert await raw.zrange(f"{prefix}:log:w", 0, -1, withscores=True) == [
        (f'{{"n":{n},"seq":{first + n}}}', float(first + n)) for n in (2, 3, 4)
    ]
    for key in ("session:s1", "owner:w", "claim:frame-1", "seq:w", "log:w"):
        assert await raw.pttl(f"{prefix}:{key}") > 0, key


async def test_a_new_log_starts_at_the_redis_clock(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    def micros(time: tuple[int, int]) -> int:
        return time[0] * 1_000_000 + time[1]

    before = micros(await raw.time())
    first = await backend.events.append("w", {"n": 0}, maxlen=10, ttl=HOUR)
    assert before <= first <= micros(await raw.time())
    assert first < 2**53  # exact in a page's JavaScript number and in Lua
    assert await raw.get(f"{prefix}:seq:w") == str(first)
    # Redis loses its data: the log made again numbers above everything pages have.
    await raw.delete(f"{prefix}:seq:w", f"{prefix}:log:w", f"{prefix}:appended:w")
    assert await backend.events.last_seq("w") == 0
    again = await backend.events.append("w", {"n": 1}, maxlen=10, ttl=HOUR, key="k")
    assert again > first
    assert await backend.events.since("w", first) == [{"n": 1, "seq": again}]
    assert await raw.zscore(f"{prefix}:appended:w", "k") == float(again)


async def test_a_foreign_value_under_a_key_is_a_backend_error(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    await raw.set(f"{prefix}:widget:odd", "not a hash")
    with pytest.raises(BackendError, match="WRONGTYPE"):
        await backend.widgets.get("odd")


# -- a private server, so that SCAN * and CLIENT LIST see only this backend ----------


@pytest.fixture(scope="module")
def private_redis() -> Iterator[ThrowawayRedis]:
    with ThrowawayRedis() as server:
        yield server


@pytest_asyncio.fixture
async def private_raw(private_redis: ThrowawayRedis) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(private_redis.url, decode_responses=True)
    await client.flushall()
    yield client
    await client.aclose()


async def _workload(backend: RedisBackend) -> None:
    await backend.widgets.register(WidgetRecord(widget_id="w"), ttl=HOUR)
    await backend.widgets.touch("w", ttl=HOUR)
    await backend.widgets.active()
    await backend.sessions.create(SessionRecord(session_id="s"), ttl=HOUR)
    await backend.connections.register(
        ConnectionRecord(connection_id="c", widget_id="w", worker_id="k"), ttl=HOUR
    )
    await backend.connections.refresh("c", ttl=HOUR)
    await backend.connections.set_owner("w", "k", ttl=HOUR)
    await backend.workers.heartbeat("k", ttl=HOUR)
    await backend.workers.alive()
    await backend.events.append("w", {"event": "x"}, maxlen=10, ttl=HOUR, key="emit-1")
    await backend.events.claim("once", ttl=HOUR)
    await backend.blobs.put_chunk("b", 0, b"\x00chunk", ttl=HOUR)
    await backend.blobs.signing_key()


async def test_every_key_is_under_the_prefix_and_expires(
    private_redis: ThrowawayRedis, private_raw: aioredis.Redis
) -> None:
    async with RedisBackend(private_redis.url, prefix="app1", pool_size=2) as backend:
        await _workload(backend)
        async with await backend.events.subscribe("widgets", "worker:k") as sub:
            await backend.events.publish("widgets", {"kind": "ping"})
            assert await anext(aiter(sub)) == ("widgets", {"kind": "ping"})
            channels = await private_raw.pubsub_channels()
            assert sorted(channels) == ["app1:bus:widgets", "app1:bus:worker:k"]

    keys = [key async for key in private_raw.scan_iter("*")]
    assert sorted(keys) == [
        "app1:appended:w",
        "app1:blob:b:0",
        "app1:claim:once",
        "app1:conn:c",
        "app1:files:signing-key",
        "app1:log:w",
        "app1:owner:w",
        "app1:seq:w",
        "app1:session:s",
        "app1:widget:w",
        "app1:widgets:active",
        "app1:widgets:expiry",
        "app1:workers:alive",
    ]

    async def no_channels() -> bool:
        return bool(await private_raw.pubsub_channels() == [])

    await eventually(no_channels, "the bus channels to close with the backend")
    for key in keys:
        assert key.startswith("app1:"), key
        if key == "app1:files:signing-key":  # the deployment's, documented in docs/redis.md
            assert await private_raw.pttl(key) == -1
            continue
        assert await private_raw.pttl(key) > 0, f"{key} has no TTL"


async def test_pool_size_caps_the_connections(
    private_redis: ThrowawayRedis, private_raw: aioredis.Redis
) -> None:
    async with RedisBackend(private_redis.url, prefix="pooled", pool_size=3) as backend:
        assert backend.describe()["pool_size"] == 3
        await asyncio.gather(
            *(
                backend.widgets.register(WidgetRecord(widget_id=f"w{n}"), ttl=HOUR)
                for n in range(60)
            )
        )
        assert len(await backend.widgets.active()) == 60
        clients = await private_raw.client_list()
        mine = [c for c in clients if c["name"] == "pywry:pooled"]
        assert 1 <= len(mine) <= 3


async def test_a_claim_resent_after_a_lost_reply_is_still_its_callers(
    backend: RedisBackend, raw: aioredis.Redis, prefix: str
) -> None:
    """The Redis client resends a command whose reply was lost (Redis going away): the
    resent claim finds its own token and succeeds; any other caller's claim fails."""
    source = files("pywry_state_redis").joinpath("_redis_claim.lua").read_text(encoding="utf-8")
    claim = raw.register_script(source)
    key = f"{prefix}:claim:resent"
    assert await claim(keys=[key], args=["a" * 16, 60_000]) == 1
    assert await claim(keys=[key], args=["a" * 16, 60_000]) == 1  # the resend
    assert await claim(keys=[key], args=["b" * 16, 60_000]) == 0  # someone else
    assert 0 < await raw.pttl(key) <= 60_000
    assert await backend.events.claim("resent-2", ttl=60) is True
    assert await backend.events.claim("resent-2", ttl=60) is False
