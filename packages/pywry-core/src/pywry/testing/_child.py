"""The other process of the cross-process tests: ``python -c "...; main()" OPS_JSON``.

Builds the backend named by ``PYWRY_DEPLOY__STATE_BACKEND`` through its entry point,
applies each operation, and prints ``{"backend": name, "results": [...]}`` as the last
line of stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from pywry.config import load_settings
from pywry.registry import load_state_backend
from pywry.state.base import StateBackend
from pywry.state.records import ConnectionRecord, SessionRecord, WidgetRecord

__all__ = ["main"]


async def _apply(backend: StateBackend, op: dict[str, Any]) -> Any:
    kind = op["op"]
    if kind == "register_widget":
        await backend.widgets.register(WidgetRecord(**op["record"]), ttl=op["ttl"])
        return None
    if kind == "create_session":
        await backend.sessions.create(SessionRecord(**op["record"]), ttl=op["ttl"])
        return None
    if kind == "register_connection":
        await backend.connections.register(ConnectionRecord(**op["record"]), ttl=op["ttl"])
        return None
    if kind == "heartbeat":
        await backend.workers.heartbeat(op["worker_id"], ttl=op["ttl"])
        return None
    if kind == "publish":
        await backend.events.publish(op["channel"], op["message"])
        return None
    if kind == "append":
        bus = backend.events
        return await bus.append(op["widget_id"], op["message"], maxlen=op["maxlen"], ttl=op["ttl"])
    if kind == "claim":
        return await backend.events.claim(op["key"], ttl=op["ttl"])
    raise ValueError(f"unknown operation {kind!r}")


async def _run(ops: list[dict[str, Any]]) -> dict[str, Any]:
    settings = load_settings()
    cls = load_state_backend(settings.deploy.state_backend)
    async with cls.from_settings(settings) as backend:
        results = [await _apply(backend, op) for op in ops]
        return {"backend": backend.name, "results": results}


def main(argv: list[str] | None = None) -> None:
    """Entry point of the child process."""
    args = sys.argv[1:] if argv is None else argv
    report = asyncio.run(_run(json.loads(args[0])))
    sys.stdout.write(json.dumps(report) + "\n")
