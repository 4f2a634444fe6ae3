"""Processes under test: start them pinned to a core, wait until ready, read their CPU and RSS.

Every server (PyWry, the baselines, Dash, redis-server) runs as a subprocess pinned to
the server core; the benchmark process and its load tools (wrk, the WebSocket client)
run on the load core. CPU time comes from ``/proc/<pid>/stat`` (``utime + stime`` of the
process and of all its descendants, so a multi-worker uvicorn counts every worker).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Cores",
    "Server",
    "choose_cores",
    "cpu_seconds",
    "free_port",
    "rss_bytes",
    "start_redis",
    "start_server",
]

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cores:
    """Which cores servers and load run on; ``None``: no pinning (fewer than 2 cores)."""

    server: set[int] | None
    load: set[int] | None

    def describe(self) -> str:
        if self.server is None:
            return "not pinned (fewer than 2 cores available)"
        return f"servers on core {sorted(self.server)}, load on core {sorted(self.load or [])}"


def choose_cores() -> Cores:
    """Servers on the first allowed core, load on the second; pins this process to the load."""
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return Cores(None, None)
    cores = Cores({allowed[0]}, {allowed[1]})
    os.sched_setaffinity(0, cores.load or set(allowed))
    return cores


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
        except FileNotFoundError:
            continue
        for child in text.split():
            found.append(int(child))
            found.extend(_children(int(child)))
    return found


def _own_cpu(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the name may contain spaces
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants."""
    return sum(_own_cpu(p) for p in [pid, *_children(pid)])


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` alone (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Server:
    """A running server process: its base URL and log file."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    ready_path: str | None = "/readyz"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def worker_pids(self) -> list[int]:
        """The process(es) holding sockets: the descendants if there are any, else itself."""
        return _children(self.proc.pid) or [self.proc.pid]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until ``ready_path`` answers 200 (or, without one, the port accepts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            if self.ready_path is None:
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                        return
            elif _http_ok(self.base_url + self.ready_path):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_server(
    name: str,
    command: list[str],
    cores: Cores,
    workdir: Path,
    *,
    env: dict[str, str] | None = None,
    ready_path: str | None = "/readyz",
    wait: bool = True,
) -> Server:
    """Run ``command`` (``{port}`` is replaced by a free port) on the server core.

    With ``wait`` it returns once the server answers (see ``Server.wait_ready``).
    """
    port = free_port()
    log_path = workdir / f"{name.replace(' ', '_')}-{port}.log"
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env["PYWRY_SERVER__HOST"] = "127.0.0.1"
    full_env["PYWRY_SERVER__PORT"] = str(port)
    affinity = cores.server

    def pin() -> None:
        if affinity is not None:
            os.sched_setaffinity(0, affinity)

    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [part.replace("{port}", str(port)) for part in command],
            cwd=workdir,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=pin,  # only sets the CPU affinity
        )
    server = Server(name, proc, port, log_path, ready_path)
    if wait:
        server.wait_ready()
    return server


def start_redis(cores: Cores, workdir: Path) -> Server:
    """A private ``redis-server`` on a free loopback port, no persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found: apt-get install redis-server")
    data = Path(tempfile.mkdtemp(prefix="redis-", dir=workdir))
    command = [binary, "--port", "{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    command += ["no", "--dir", str(data), "--protected-mode", "no"]
    return start_server("redis-server", command, cores, workdir, ready_path=None)
