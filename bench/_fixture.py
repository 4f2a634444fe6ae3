"""The servers one benchmark run drives, started once and stopped at the end.

- ``quick``: ``examples/quickstart.py`` as published (memory backend, one worker): its own
  ``/`` route and its widget page ``/widget/{label}``;
- ``fastapi`` / ``starlette`` / ``asgi``: ``apps/bytes_http.py`` serving the bytes and
  content headers ``quick`` sent for those two paths (captured with gzip, as a browser
  asks);
- ``echo``: ``apps/echo_ws.py``, the bare Starlette WebSocket echo;
- ``memory`` / ``redis_x1`` / ``redis_x2``: ``apps/pywry_app.py`` on the memory backend,
  on Redis with one worker, and on Redis with two workers (cross-worker events);
- ``redis``: a private ``redis-server``; ``dash``: ``apps/dash_app.py`` (own venv).

Every PyWry server runs without access log at log level ``warning``, as do the baselines.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import urllib.request
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _dash import dash_versions, ensure_dash_venv, start_dash
from _procs import Cores, Server, start_redis, start_server
from _wsclient import ProtocolViolation, PyWrySession
from http_load import dash_body

__all__ = ["Fixture", "cross_worker_session", "get_json", "pywry_env", "start_all", "stopping"]

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
PYWRY_APP = APPS / "pywry_app.py"
ECHO_APP = APPS / "echo_ws.py"
QUICKSTART = HERE.parent / "examples" / "quickstart.py"
QUIET = {"PYWRY_SERVER__ACCESS_LOG": "false", "PYWRY_SERVER__LOG_LEVEL": "warning"}
#: A load client sends far faster than a person: lift the per-socket event rate limit.
UNLIMITED = {"PYWRY_SERVER__EVENT_RATE": "100000", "PYWRY_SERVER__EVENT_BURST": "100000"}


@dataclass
class Fixture:
    """Everything the rounds drive."""

    redis: Server
    quick: Server
    page_path: str
    http: dict[str, Server]
    echo: Server
    memory: Server
    redis_x1: Server
    redis_x2: Server
    dash: Server | None
    dash_bodies: dict[str, Path]
    boards: list[str]
    charts: list[str]


class stopping:
    """``with stopping(server):`` stops it on the way out."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def __enter__(self) -> Server:
        return self.server

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def pywry_env(widgets: int, backend: str, redis: Server, workers: int = 1) -> dict[str, str]:
    """Settings of a PyWry server: backend, worker count, ``widgets`` boards and charts."""
    env = {
        **QUIET,
        **UNLIMITED,
        "PYWRY_SERVER__WORKERS": str(workers),
        "PYWRY_DEPLOY__STATE_BACKEND": backend,
        "BENCH_WIDGETS": str(widgets),
    }
    if backend == "redis":
        env["PYWRY_DEPLOY__REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/0"
        env["PYWRY_DEPLOY__REDIS_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}"
    return env


def _capture(quick: Server, workdir: Path) -> tuple[Path, str]:
    """Fetch ``/`` and the widget page as a browser would (gzip); save bytes and headers."""
    keep = ("content-type", "content-encoding", "cache-control", "etag", "vary")

    def fetch(path: str) -> tuple[bytes, dict[str, str]]:
        request = urllib.request.Request(quick.base_url + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            headers = {k.lower(): v for k, v in response.headers.items() if k.lower() in keep}
            return response.read(), headers

    root = fetch("/")
    html = gzip.decompress(root[0]) if "content-encoding" in root[1] else root[0]
    label = html.decode().split('"label":"', 1)[1].split('"', 1)[0]
    page_path = f"/widget/{label}"
    capture = {}
    for number, (path, (body, headers)) in enumerate(
        {"/": root, page_path: fetch(page_path)}.items()
    ):
        body_file = workdir / f"capture-{number}.bin"
        body_file.write_bytes(body)
        capture[path] = {"headers": headers, "body_file": str(body_file)}
    capture_file = workdir / "capture.json"
    capture_file.write_text(json.dumps(capture), encoding="utf-8")
    return capture_file, page_path


def start_all(
    clients: int, cores: Cores, workdir: Path, stack: ExitStack, notes: list[str]
) -> Fixture:
    """Start every server (in parallel where they do not depend on each other)."""
    py = sys.executable

    def spawn(name: str, script: Path, env: dict[str, str] | None = None) -> Server:
        server = start_server(name, [py, str(script)], cores, workdir, env=env, wait=False)
        return stack.enter_context(stopping(server))

    redis = stack.enter_context(stopping(start_redis(cores, workdir)))
    widgets = clients + 1
    servers = {
        "quick": spawn("quickstart", QUICKSTART, QUIET),
        "echo": spawn("echo", ECHO_APP),
        "memory": spawn("pywry memory", PYWRY_APP, pywry_env(widgets, "memory", redis)),
        "redis_x1": spawn("pywry redis x1", PYWRY_APP, pywry_env(widgets, "redis", redis)),
        "redis_x2": spawn("pywry redis x2", PYWRY_APP, pywry_env(widgets, "redis", redis, 2)),
    }
    dash: Server | None = None
    try:
        dash_python = ensure_dash_venv()
        notes.append(f"Dash / Flask / plotly / gunicorn: {dash_versions(dash_python)}")
        dash = stack.enter_context(stopping(start_dash(dash_python, cores, workdir, wait=False)))
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:  # pip offline, say
        notes.append(f"Dash rows not run: {exc}")
    for server in [*servers.values(), *([dash] if dash else [])]:
        server.wait_ready()
    capture, page_path = _capture(servers["quick"], workdir)
    http = {}
    for kind in ("fastapi", "starlette", "asgi"):
        env = {"BENCH_KIND": kind, "BENCH_CAPTURE": str(capture)}
        http[kind] = spawn(kind, APPS / "bytes_http.py", env)
    for server in http.values():
        server.wait_ready()
    labels = get_json(servers["memory"].base_url + "/labels")
    bodies = {}
    if dash is not None:
        bodies["light"] = dash_body(workdir, "pong.children", "tag", "bench-light")
        bodies["figure"] = dash_body(workdir, "graph.figure", "redraw", "bench-figure")
    return Fixture(
        redis=redis,
        quick=servers["quick"],
        page_path=page_path,
        http=http,
        echo=servers["echo"],
        memory=servers["memory"],
        redis_x1=servers["redis_x1"],
        redis_x2=servers["redis_x2"],
        dash=dash,
        dash_bodies=bodies,
        boards=list(labels["boards"]),
        charts=list(labels["charts"]),
    )


async def cross_worker_session(server: Server) -> PyWrySession:
    """A socket on one worker to a run-time widget owned by the other worker."""
    info = get_json(server.base_url + "/new")
    held: list[PyWrySession] = []
    try:
        for _ in range(100):
            try:
                session = await PyWrySession.open(server.ws_url, str(info["label"]))
            except (ProtocolViolation, ConnectionError):  # the record is saved just after /new
                await asyncio.sleep(0.05)
                continue
            if session.welcome.get("workerId") != info["worker"]:
                return session
            held.append(session)
        raise RuntimeError("100 sockets all reached the owner worker; is WORKERS=2 in effect?")
    finally:
        for other in held:
            await other.close()
