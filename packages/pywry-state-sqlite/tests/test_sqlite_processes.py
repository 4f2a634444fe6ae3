"""Several processes on one database file: restarts, concurrent writers, the event bus."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from pywry.state.records import SessionRecord, WidgetRecord
from pywry.testing import eventually
from pywry_state_sqlite import SQLiteBackend
from sqlite_support import child_env, finish_child, start_child

KEY = "process-tests-passphrase"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_SQLITE_KEY", KEY)


async def test_a_restart_keeps_widgets_and_sessions(tmp_path: Path, db_path: Path) -> None:
    env = child_env(tmp_path, PYWRY_SQLITE_KEY=KEY)
    finish_child(start_child(db_path, env, "put", "kept-widget", "kept-session"))
    async with SQLiteBackend(db_path) as backend:
        widget = await backend.widgets.get("kept-widget")
        session = await backend.sessions.get("kept-session")
        assert widget is not None
        assert widget.title == "kept"
        assert "kept-widget" in await backend.widgets.active()
        assert session is not None
        assert session.user == "ada"


async def test_two_processes_write_concurrently(tmp_path: Path, db_path: Path) -> None:
    env = child_env(tmp_path, PYWRY_SQLITE_KEY=KEY)
    async with SQLiteBackend(db_path):
        pass  # create the file first, so both writers open an existing database
    writers = [start_child(db_path, env, "write", name, "200", "shared-log") for name in "ab"]
    results = [finish_child(proc) for proc in writers]
    for _, stderr in results:
        assert "locked" not in stderr
    seqs = sorted(seq for result, _ in results for seq in result["seqs"])
    first = seqs[0]  # the clock when the first writer created the log, in microseconds
    assert seqs == list(range(first, first + 400)), "replay seqs must be unique and gapless"
    assert sum(result["claims"] for result, _ in results) == 200, "each claim wins exactly once"
    async with SQLiteBackend(db_path) as backend:
        active = await backend.widgets.active()
        assert {f"{name}-{i}" for name in "ab" for i in range(200)} <= active
        assert await backend.events.last_seq("shared-log") == first + 399
        entries = await backend.events.since("shared-log", 0)
        assert [entry["seq"] for entry in entries] == list(range(first, first + 400))
        for name in "ab":  # each writer's own appends are in its order
            mine = [entry["i"] for entry in entries if entry["by"] == name]
            assert mine == list(range(200))


async def test_events_cross_processes_both_ways(tmp_path: Path, db_path: Path) -> None:
    env = child_env(tmp_path, PYWRY_SQLITE_KEY=KEY)
    async with SQLiteBackend(db_path) as backend:
        # A child publishes; this process receives in order.
        received: list[int] = []
        async with await backend.events.subscribe("to-parent") as sub:
            finish_child(start_child(db_path, env, "publish", "to-parent", "25"))
            async for channel, message in sub:
                assert channel == "to-parent"
                received.append(message["i"])
                if len(received) == 25:
                    break
        assert received == list(range(25))

        # A child subscribes; this process publishes once it is listening.
        child = start_child(db_path, env, "subscribe", "to-child", "10")
        assert child.stdout is not None
        line = await asyncio.to_thread(child.stdout.readline)
        assert line.strip() == "ready"
        for i in range(10):
            await backend.events.publish("to-child", {"i": i})
            await backend.events.publish("elsewhere", {"i": -1})
        result, _ = await asyncio.to_thread(finish_child, child)
        assert result == [{"i": i} for i in range(10)]


async def test_sweeper_deletes_expired_rows_and_old_events(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, hide_sqlcipher: dict[str, str]
) -> None:
    monkeypatch.setattr(SQLiteBackend, "sweep_interval", 0.05)
    monkeypatch.setattr(SQLiteBackend, "bus_retention", 0.0)
    async with SQLiteBackend(db_path) as backend:  # plain, so stdlib sqlite3 can count rows
        await backend.widgets.register(WidgetRecord(widget_id="gone"), ttl=0.1)
        await backend.widgets.register(WidgetRecord(widget_id="stays"), ttl=600)
        await backend.sessions.create(SessionRecord(session_id="gone"), ttl=0.1)
        await backend.events.publish("c", {"n": 1})
        await backend.events.append("gone", {"n": 1}, maxlen=5, ttl=0.1)
        await backend.events.claim("gone", ttl=0.1)

        def count_rows() -> int:
            conn = sqlite3.connect(db_path)
            try:
                tables = ("widgets", "sessions", "bus", "replay_heads", "replay_entries", "claims")
                return sum(
                    int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                    for table in tables
                )
            finally:
                conn.close()

        async def only_one_left() -> bool:
            return await asyncio.to_thread(count_rows) == 1

        await eventually(only_one_left, "the sweeper to delete expired rows and old events")
        assert await backend.widgets.active() == {"stays"}
        assert await backend.sweep() == 0


async def test_plain_database_is_ordinary_sqlite(
    db_path: Path, hide_sqlcipher: dict[str, str]
) -> None:
    async with SQLiteBackend(db_path) as backend:
        assert backend.encrypted is False
        assert backend.describe()["encrypted"] is False
    conn = sqlite3.connect(db_path)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(1,), (2,), (3,)]
    finally:
        conn.close()
    async with SQLiteBackend(db_path):
        pass
    conn = sqlite3.connect(db_path)
    try:  # reopening does not re-run migrations
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 3
    finally:
        conn.close()


async def test_a_database_of_the_previous_schema_gains_append_keys(
    db_path: Path, hide_sqlcipher: dict[str, str]
) -> None:
    async with SQLiteBackend(db_path) as backend:
        first = await backend.events.append("old-log", {"n": 1}, maxlen=10, ttl=3600)
    conn = sqlite3.connect(db_path)
    try:  # back to schema 2, as pywry-state-sqlite before append keys left it
        conn.execute("DROP INDEX replay_entries_by_key")
        conn.execute("ALTER TABLE replay_entries DROP COLUMN append_key")
        conn.execute("DELETE FROM schema_version WHERE version = 3")
        conn.commit()
    finally:
        conn.close()
    async with SQLiteBackend(db_path) as backend:
        assert backend.describe()["schema_version"] == 3
        assert await backend.events.since("old-log", 0) == [{"n": 1, "seq": first}]
        for _ in range(2):
            seq = await backend.events.append("old-log", {"n": 2}, maxlen=10, ttl=3600, key="k")
            assert seq == first + 1
        assert await backend.events.last_seq("old-log") == first + 1
