"""Start real uvicorn servers (our example programs) as subprocesses for tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """A running server: its base URL, its log file and the callback log."""

    proc: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    call_log: Path
    env: dict[str, str] = field(default_factory=dict)

    def calls(self) -> list[dict[str, object]]:
        if not self.call_log.exists():
            return []
        lines = self.call_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for_call(self, event: str, timeout: float = 10.0) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for call in self.calls():
                if call["event"] == event:
                    return call
            time.sleep(0.05)
        raise AssertionError(f"No callback for {event!r} within {timeout}s; log:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_server(
    script: Path,
    tmp_path: Path,
    *,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
    ready_path: str = "/readyz",
    timeout: float = 60.0,
    command: list[str] | None = None,
    tls: ssl.SSLContext | None = None,
) -> ServerProcess:
    """Run ``script`` (or ``command``, where ``{port}`` is replaced) until it is ready.

    ``tls``: the server speaks HTTPS; its certificate is checked with this context.
    """
    port = free_port()
    log_path = tmp_path / f"server-{port}.log"
    call_log = tmp_path / f"calls-{port}.jsonl"
    full_env = {
        **os.environ,
        "PYWRY_SERVER__HOST": "127.0.0.1",
        "PYWRY_SERVER__PORT": str(port),
        "PYWRY_TEST_CALL_LOG": str(call_log),
        "PYTHONPATH": os.pathsep.join(
            [str(SUPPORT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [part.replace("{port}", str(port)) for part in command]
            if command
            else [sys.executable, str(script), *(args or [])],
            cwd=tmp_path,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    scheme = "http" if tls is None else "https"
    server = ServerProcess(proc, f"{scheme}://127.0.0.1:{port}", log_path, call_log, full_env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{script.name} exited with {proc.returncode}:\n{server.log()}")
        try:
            ready = httpx.get(server.base_url + ready_path, timeout=1, verify=tls or True)
            if ready.status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise AssertionError(f"{script.name} did not become ready in {timeout}s:\n{server.log()}")
