"""One connection owned by one thread; coroutines hand it work and await the result.

The event loop never touches the database: every statement runs on the
``pywry-sqlite`` thread, which opened the connection and is the only one to use it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from pywry.errors import BackendError, BackendUnavailableError

from pywry_state_sqlite._open import SETTING, Opened, open_database
from pywry_state_sqlite._sql import query

__all__ = ["Database", "Tx"]

T = TypeVar("T")
Row = tuple[Any, ...]


class Tx:
    """Named statements on the connection; ``now`` is filled in at execution time."""

    def __init__(self, connection: Any) -> None:
        self._conn = connection

    def _run(self, name: str, params: dict[str, Any]) -> Any:
        return self._conn.execute(query(name), {"now": time.time(), **params})

    def one(self, name: str, **params: Any) -> Row | None:
        row: Row | None = self._run(name, params).fetchone()
        return row

    def all(self, name: str, **params: Any) -> list[Row]:
        rows: list[Row] = self._run(name, params).fetchall()
        return rows

    def write(self, name: str, **params: Any) -> int:
        return int(self._run(name, params).rowcount)


class Database:
    """The backend's database: open it, run work on its thread, close it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor: ThreadPoolExecutor | None = None
        self._opened: Opened | None = None
        self._where = f"SQLite state database {SETTING}={str(path)!r}"

    @property
    def opened(self) -> Opened:
        if self._opened is None:
            raise BackendError(
                f"The SQLite state backend for {self.path} is not started; "
                "use `async with backend:` or await backend.start() first"
            )
        return self._opened

    async def open(self) -> Opened:
        if self._opened is not None:
            return self._opened
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pywry-sqlite")
        try:
            opened = await asyncio.get_running_loop().run_in_executor(
                executor, open_database, self.path
            )
        except BaseException:
            executor.shutdown(wait=True)
            raise
        self._executor, self._opened = executor, opened
        return opened

    async def close(self) -> None:
        executor, opened = self._executor, self._opened
        self._executor = self._opened = None
        if executor is None or opened is None:
            return
        await asyncio.get_running_loop().run_in_executor(executor, opened.connection.close)
        executor.shutdown(wait=True)

    async def call(self, work: Callable[[Tx], T], *, transaction: bool = False) -> T:
        """Run ``work`` on the database thread, inside ``BEGIN IMMEDIATE`` if asked."""
        opened = self.opened
        assert self._executor is not None
        conn = opened.connection
        errors = opened.driver

        def job() -> T:
            tx = Tx(conn)
            try:
                if not transaction:
                    return work(tx)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(tx)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return result
            except errors.OperationalError as exc:
                raise BackendUnavailableError(f"{self._where}: {exc}") from exc
            except errors.Error as exc:
                raise BackendError(f"{self._where}: {exc}") from exc

        return await asyncio.get_running_loop().run_in_executor(self._executor, job)

    async def one(self, name: str, **params: Any) -> Row | None:
        return await self.call(lambda tx: tx.one(name, **params))

    async def all(self, name: str, **params: Any) -> list[Row]:
        return await self.call(lambda tx: tx.all(name, **params))

    async def write(self, name: str, **params: Any) -> int:
        return await self.call(lambda tx: tx.write(name, **params))

    async def removed(self, name: str, **params: Any) -> bool:
        """Run a ``DELETE ... RETURNING expires_at > :now``; whether a live row went."""
        rows = await self.all(name, **params)
        return any(bool(row[0]) for row in rows)
