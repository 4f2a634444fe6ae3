"""A real ``redis-server`` for tests: reuse one, or start a throwaway one.

:func:`redis_server_url` answers, in order: ``PYWRY_TEST_REDIS_URL`` if set; the
Redis on ``127.0.0.1:6379`` if one answers; else a throwaway ``redis-server`` on a
free port (no persistence) that stops when the interpreter exits.
:class:`ThrowawayRedis` is that server, and can be stopped and started again on the
same port to test outages.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["ThrowawayRedis", "free_port", "redis_answers", "redis_server_url"]

ENV_VAR = "PYWRY_TEST_REDIS_URL"
DEFAULT_URL = "redis://127.0.0.1:6379/0"

_shared: list[ThrowawayRedis] = []


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ping(host: str, port: int, timeout: float) -> bytes:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64)
    except OSError:
        return b""


def redis_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether a Redis on ``host:port`` answers ``PING`` without a password."""
    return _ping(host, port, timeout).startswith(b"+PONG")


def redis_server_url() -> str:
    """The URL of a Redis the tests may use (see the module docstring)."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return configured
    if redis_answers("127.0.0.1", 6379):
        return DEFAULT_URL
    if not _shared:
        server = ThrowawayRedis()
        server.start()
        atexit.register(server.stop)
        _shared.append(server)
    return _shared[0].url


class ThrowawayRedis:
    """A private ``redis-server`` on ``port`` (a free one by default), no persistence.

    ``start()`` waits until it answers; ``stop()`` shuts it down; both may be called
    again, and a restart reuses the same port, so clients see an outage and a return.
    With ``password`` the server requires it (``requirepass``) and :attr:`url` has it.
    With ``persist`` every write goes to an append-only file first, so a restart keeps
    the data (a stop without ``persist`` loses it).
    """

    def __init__(
        self, port: int | None = None, *, password: str | None = None, persist: bool = False
    ) -> None:
        self.port = port or free_port()
        self.password = password
        self.persist = persist
        self._dir = Path(tempfile.mkdtemp(prefix="pywry-redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers ``PING``."""
        if self.running:
            return
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "redis-server is not on PATH, and the Redis tests need a real one. "
                "Install it (apt-get install redis-server) or set "
                f"{ENV_VAR}=redis://host:port/db to a Redis the tests may use."
            )
        log = self._dir / "redis.log"
        args = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes" if self.persist else "no",
            *(["--appendfsync", "always"] if self.persist else []),
            "--dir",
            str(self._dir),
            "--logfile",
            str(log),
        ]
        if self.password:
            args += ["--requirepass", self.password]
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not _ping("127.0.0.1", self.port, 0.5).startswith((b"+PONG", b"-NOAUTH")):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"redis-server on port {self.port} did not start:\n{text}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Shut the server down (its data goes with it)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
