"""Baseline: a redis-py pub/sub round trip (PUBLISH, then the subscriber receives it).

The same client library and Redis as PyWry's Redis backend, no PyWry code: one
``redis.asyncio`` connection subscribes, another publishes, and the time from
``publish`` to the message arriving is one round trip. A cross-worker PyWry event needs
two of these at least (socket worker -> owner worker, owner -> socket worker), so the
bench compares it with echo + 2 x this.

    python bench/pubsub.py redis://127.0.0.1:6379/0 --count 2000
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import redis.asyncio as aioredis
import uvloop

__all__ = ["pubsub_round_trips"]


async def pubsub_round_trips(url: str, *, count: int, warmup: int) -> list[float]:
    """Seconds per publish -> receive, ``count`` of them after ``warmup``."""
    channel = f"bench-pubsub-{uuid.uuid4().hex[:8]}"
    publisher = aioredis.from_url(url)
    subscriber = aioredis.from_url(url)
    pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    times: list[float] = []
    try:
        await pubsub.get_message(timeout=1.0)  # the subscribe confirmation
        for i in range(warmup + count):
            start = time.perf_counter()
            await publisher.publish(channel, f'{{"n": {i}}}')
            while await pubsub.get_message(timeout=5.0) is None:
                pass
            if i >= warmup:
                times.append(time.perf_counter() - start)
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await subscriber.aclose()
        await publisher.aclose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    times = uvloop.run(pubsub_round_trips(args.url, count=args.count, warmup=100))
    print(f"p50 {statistics.median(times) * 1e6:.0f} us over {len(times)} round trips")


if __name__ == "__main__":
    main()
