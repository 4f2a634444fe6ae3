"""Cross-process wake-ups for the event bus: one Unix datagram socket per listener.

A backend instance with subscriptions binds a datagram socket named
``<pid>-<random>.sock`` in ``<database path>.bus/`` (a directory of mode 0700) and
watches it from the event loop. After a publish commits, the publisher sends one byte
to every other socket in that directory, so the other processes poll the ``bus``
table at once instead of at their next poll.

A wake-up is only a hint; the poll is what delivers. Whatever goes wrong (a full
socket queue, a listing that is a moment old, a platform without ``AF_UNIX``, a path
too long for a socket) costs at most one poll interval, never a message. Nothing here
blocks or raises into the caller: sends are non-blocking and their errors ignored,
except that a socket nobody listens on any more (``ECONNREFUSED``: its process died
without removing it) is deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["Waker", "wake_directory"]

logger = logging.getLogger("pywry_state_sqlite")

#: The longest socket path ``bind()`` takes (``sun_path`` minus its NUL byte).
_MAX_PATH = 107 if sys.platform.startswith("linux") else 103
_SUFFIX = ".sock"
#: Seconds a directory listing is reused while the directory's mtime is unchanged.
_RELIST = 1.0
_WAKE = b"w"


def wake_directory(db_path: Path) -> Path:
    """Where the backends using ``db_path`` put their wake-up sockets."""
    return db_path.with_name(db_path.name + ".bus")


def _usable(socket_path: Path) -> bool:
    if not hasattr(socket, "AF_UNIX") or sys.platform == "win32":
        return False
    if len(os.fsencode(socket_path)) > _MAX_PATH:
        logger.debug(
            "The socket path %s would be longer than %d bytes: no wake-ups for this "
            "SQLite event bus, its subscribers poll",
            socket_path,
            _MAX_PATH,
        )
        return False
    return True


class Waker:
    """This backend's socket (while it listens) and its wake-ups to the others."""

    def __init__(self, db_path: Path) -> None:
        self.directory = wake_directory(db_path)
        self.name = f"{os.getpid()}-{secrets.token_hex(4)}{_SUFFIX}"
        self.usable = _usable(self.directory / self.name)
        self._receiver: socket.socket | None = None
        self._sender: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._targets: list[str] = []
        self._listed_mtime = -1
        self._listed_at = -_RELIST

    @property
    def path(self) -> Path | None:
        """This backend's socket file, while it listens."""
        return self.directory / self.name if self._receiver is not None else None

    async def listen(self, on_wake: Callable[[], None]) -> None:
        """Bind the socket (once) and call ``on_wake`` on the loop for each wake-up."""
        async with self._lock:
            if self._receiver is not None or not self.usable:
                return
            loop = asyncio.get_running_loop()
            try:
                sock = await asyncio.to_thread(self._bind)
            except OSError as exc:
                self.usable = False
                logger.debug("No wake-up socket in %s (%s): polling only", self.directory, exc)
                return
            try:
                loop.add_reader(sock.fileno(), self._readable, sock, on_wake)
            except NotImplementedError:  # an event loop without add_reader
                self.usable = False
                self._discard(sock)
                return
            self._receiver, self._loop = sock, loop

    def _bind(self) -> socket.socket:
        self.directory.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.directory, 0o700)  # mkdir's mode is narrowed by the umask
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.bind(str(self.directory / self.name))
        except BaseException:
            sock.close()
            raise
        return sock

    def _readable(self, sock: socket.socket, on_wake: Callable[[], None]) -> None:
        woken = False
        with contextlib.suppress(OSError):  # BlockingIOError once the queue is drained
            while True:
                sock.recv(64)
                woken = True
        if woken:
            on_wake()

    def _discard(self, sock: socket.socket) -> None:
        sock.close()
        with contextlib.suppress(OSError):
            os.unlink(self.directory / self.name)

    def close(self) -> None:
        """Stop listening and remove this backend's socket file."""
        sock, loop = self._receiver, self._loop
        self._receiver = self._loop = None
        if sock is not None:
            if loop is not None and not loop.is_closed():
                loop.remove_reader(sock.fileno())
            self._discard(sock)
        if self._sender is not None:
            self._sender.close()
            self._sender = None

    def notify(self) -> None:
        """Wake every other listening backend on the database; never blocks or raises."""
        if not self.usable:
            return
        targets = self._listing()
        if not targets:
            return
        if self._sender is None:
            try:
                self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            except OSError:
                return
            self._sender.setblocking(False)
        for target in list(targets):
            try:
                self._sender.sendto(_WAKE, target)
            except ConnectionRefusedError:  # nobody listens: its process died
                self._forget(target, remove=True)
            except FileNotFoundError:  # removed by its owner, or by another publisher
                self._forget(target, remove=False)
            except OSError:  # BlockingIOError: its queue is full, so it will poll anyway
                pass

    def _listing(self) -> list[str]:
        """The other sockets, listed again when the directory changed or after a second."""
        try:
            mtime = os.stat(self.directory).st_mtime_ns
        except OSError:  # no directory yet: nobody has listened
            return []
        now = time.monotonic()
        if mtime != self._listed_mtime or now - self._listed_at > _RELIST:
            try:
                with os.scandir(self.directory) as entries:
                    self._targets = [
                        entry.path
                        for entry in entries
                        if entry.name.endswith(_SUFFIX) and entry.name != self.name
                    ]
            except OSError:
                self._targets = []
            self._listed_mtime, self._listed_at = mtime, now
        return self._targets

    def _forget(self, target: str, *, remove: bool) -> None:
        with contextlib.suppress(ValueError):
            self._targets.remove(target)
        if remove:
            with contextlib.suppress(OSError):
                os.unlink(target)
