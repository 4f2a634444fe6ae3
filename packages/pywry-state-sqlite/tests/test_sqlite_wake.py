"""Cross-process wake-ups of the event bus through Unix datagram sockets.

The subscriber's poll interval is set to a minute in the tests that prove a wake-up:
a message that arrives within the (generous) deadline can only have been fetched
because a publish woke the poller.
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pywry.state.base import Subscription
from pywry_state_sqlite import SQLiteBackend
from sqlite_support import child_env, finish_child, start_child

KEY = "wake-tests-passphrase"
#: Far longer than any deadline below: a message arriving in time was woken for.
NO_POLLING = 60.0
DEADLINE = 10.0


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_SQLITE_KEY", KEY)


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    """Child processes to kill if a test fails before they end."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def wake_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".bus")


def sockets_of(db_path: Path, pid: int) -> list[Path]:
    directory = wake_dir(db_path)
    return sorted(directory.glob(f"{pid}-*.sock")) if directory.exists() else []


async def receive(sub: Subscription, count: int) -> list[int]:
    received: list[int] = []
    async with asyncio.timeout(DEADLINE):
        async for _, message in sub:
            received.append(message["i"])
            if len(received) == count:
                break
    return received


async def test_a_publish_in_another_process_wakes_the_subscriber(
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    children: list[subprocess.Popen[str]],
) -> None:
    monkeypatch.setattr(SQLiteBackend, "bus_poll_interval", NO_POLLING)
    env = child_env(tmp_path, PYWRY_SQLITE_KEY=KEY)
    async with SQLiteBackend(db_path) as backend:
        async with await backend.events.subscribe("woken") as sub:
            [own] = sockets_of(db_path, os.getpid())
            assert stat.S_ISSOCK(own.stat().st_mode)
            assert stat.S_IMODE(wake_dir(db_path).stat().st_mode) == 0o700
            publisher = start_child(db_path, env, "publish", "woken", "25")
            children.append(publisher)
            assert await receive(sub, 25) == list(range(25))
            await asyncio.to_thread(finish_child, publisher)
        assert own.exists(), "the socket stays while the backend is open"
    assert not own.exists(), "aclose() removes the backend's socket file"


async def test_backends_in_one_process_wake_each_other(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SQLiteBackend, "bus_poll_interval", NO_POLLING)
    async with SQLiteBackend(db_path) as listener, SQLiteBackend(db_path) as publisher:
        async with await listener.events.subscribe("c") as sub:
            for i in range(5):
                await publisher.events.publish("c", {"i": i})
            assert await receive(sub, 5) == list(range(5))
        assert len(sockets_of(db_path, os.getpid())) == 1, "only a subscriber binds a socket"
    assert sockets_of(db_path, os.getpid()) == []


async def test_a_dead_process_socket_is_removed_and_publishing_goes_on(
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    children: list[subprocess.Popen[str]],
) -> None:
    monkeypatch.setattr(SQLiteBackend, "bus_poll_interval", NO_POLLING)
    env = child_env(tmp_path, PYWRY_SQLITE_KEY=KEY)
    backend = SQLiteBackend(db_path)
    async with backend, await backend.events.subscribe("after-death") as sub:
        doomed = start_child(db_path, env, "subscribe", "after-death", "1000000")
        children.append(doomed)
        assert doomed.stdout is not None
        assert (await asyncio.to_thread(doomed.stdout.readline)).strip() == "ready"
        [stale] = sockets_of(db_path, doomed.pid)
        doomed.send_signal(signal.SIGKILL)
        await asyncio.to_thread(doomed.communicate)
        assert stale.exists(), "a killed process leaves its socket file behind"

        publisher = start_child(db_path, env, "publish", "after-death", "25")
        children.append(publisher)
        assert await receive(sub, 25) == list(range(25))
        await asyncio.to_thread(finish_child, publisher)
        assert not stale.exists(), "the publisher removes a socket nobody listens on"
        assert len(sockets_of(db_path, os.getpid())) == 1

        await backend.events.publish("after-death", {"i": 25})
        assert await receive(sub, 1) == [25]


async def test_a_path_too_long_for_a_socket_falls_back_to_polling(
    tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    deep = tmp_path / ("d" * max(1, 120 - len(str(tmp_path))))
    db_path = deep / "pywry.db"
    assert len(os.fsencode(wake_dir(db_path))) > 108, "the test needs a path too long to bind"
    env = child_env(tmp_path, PYWRY_SQLITE_KEY=KEY)
    backend = SQLiteBackend(db_path)
    async with backend, await backend.events.subscribe("polled") as sub:
        publisher = start_child(db_path, env, "publish", "polled", "25")
        children.append(publisher)
        assert await receive(sub, 25) == list(range(25))
        await asyncio.to_thread(finish_child, publisher)
    assert not wake_dir(db_path).exists(), "no socket directory when sockets cannot be bound"
