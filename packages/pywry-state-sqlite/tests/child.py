"""A separate process using the SQLite backend: ``python child.py DB_PATH COMMAND [ARGS]``.

Prints one JSON line with the result. Used by the tests to prove that several
processes share one database file.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from pywry.state.records import SessionRecord, WidgetRecord
from pywry_state_sqlite import SQLiteBackend, is_encrypted


async def _write(backend: SQLiteBackend, prefix: str, count: int, log: str) -> dict[str, Any]:
    seqs = []
    claims = 0
    for i in range(count):
        await backend.widgets.register(WidgetRecord(widget_id=f"{prefix}-{i}"), ttl=600)
        message = {"by": prefix, "i": i}
        seqs.append(await backend.events.append(log, message, maxlen=10_000, ttl=600))
        claims += await backend.events.claim(f"claim-{i}", ttl=600)
    return {"seqs": seqs, "claims": claims}


async def _subscribe(backend: SQLiteBackend, channel: str, count: int) -> list[Any]:
    async with await backend.events.subscribe(channel) as sub:
        print("ready", flush=True)
        received = []
        async for _, message in sub:
            received.append(message)
            if len(received) == count:
                return received
    return received


async def main(path: str, command: str, args: list[str]) -> Any:
    async with SQLiteBackend(path) as backend:
        if command == "describe":
            return {**backend.describe(), "is_encrypted": is_encrypted()}
        if command == "put":
            await backend.widgets.register(WidgetRecord(widget_id=args[0], title="kept"), ttl=600)
            await backend.sessions.create(SessionRecord(session_id=args[1], user="ada"), ttl=600)
            return None
        if command == "write":
            return await _write(backend, args[0], int(args[1]), args[2])
        if command == "publish":
            for i in range(int(args[1])):
                await backend.events.publish(args[0], {"i": i})
            return None
        if command == "subscribe":
            return await _subscribe(backend, args[0], int(args[1]))
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    result = asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
    print(json.dumps(result), flush=True)
