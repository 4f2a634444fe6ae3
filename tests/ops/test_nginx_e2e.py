"""The spec's Full Example behind deploy/nginx/pywry.conf: Debian's nginx round-robins
over two `pywry serve` instances (2 workers each, one private redis-server) while
Chromium selects a region and exports the CSV.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pywry_state_redis.testing import ThrowawayRedis
from servers import ServerProcess, free_port, start_server

from .conftest import ROOT, parent_of
from .deploy_files import nginx_for_test

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

FULL_EXAMPLE = ROOT / "examples" / "full_example.py"
CSV = "quarter,value\nQ1,100\nQ2,150\nQ3,130\nQ4,180"


class Nginx:
    def __init__(self, tmp: Path, upstreams: list[int]) -> None:
        self.tmp, self.port = tmp, free_port()
        self.config = nginx_for_test(tmp, self.port, upstreams)
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen(
            [binary, "-c", str(self.config), "-e", str(tmp / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base_url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.errors()
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"nginx did not start:\n{self.errors()}")

    def errors(self) -> str:
        log = self.tmp / "error.log"
        return log.read_text(encoding="utf-8") if log.exists() else ""

    def upstreams_used(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for line in (self.tmp / "access.log").read_text(encoding="utf-8").splitlines():
            upstream = line.rsplit(" ", 1)[-1]
            counts[upstream] = counts.get(upstream, 0) + 1
        return counts

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGQUIT)  # graceful: finish open requests
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[tuple[Nginx, list[ServerProcess]]]:
    redis = ThrowawayRedis()
    redis.start()
    instances: list[ServerProcess] = []
    nginx: Nginx | None = None
    calls = tmp_path / "calls.jsonl"
    env = {
        "PYWRY_DEPLOY__STATE_BACKEND": "redis",
        "PYWRY_DEPLOY__REDIS_URL": redis.url,
        "PYWRY_DEPLOY__REDIS_PREFIX": f"pywry-nginx-{uuid.uuid4().hex[:8]}",
        "PYWRY_TEST_CALL_LOG": str(calls),
    }
    command = [sys.executable, "-m", "pywry_server", "serve", str(FULL_EXAMPLE)]
    command += ["--workers", "2", "--port", "{port}"]
    try:
        for _ in range(2):
            instances.append(start_server(FULL_EXAMPLE, tmp_path, env=env, command=command))
        nginx = Nginx(tmp_path, [int(s.base_url.rsplit(":", 1)[1]) for s in instances])
        for server in instances:  # both instances log their callbacks to one file
            server.call_log = calls
        yield nginx, instances
    finally:
        if nginx is not None:
            nginx.stop()
        for server in instances:
            server.stop()
        redis.stop()


def _instance_of(worker_id: str, instances: list[ServerProcess]) -> int:
    pid = int(worker_id.rsplit("-", 2)[-2])
    parent = parent_of(pid)
    return next(i for i, s in enumerate(instances) if s.proc.pid in (pid, parent))


def _open(page: Any, url: str) -> str:
    page.goto(url)
    page.wait_for_function("window.pywry && window.pywry.state === 'open'", timeout=20000)
    return str(page.evaluate("window.pywry.workerId"))


def test_full_example_through_nginx_on_two_instances(behind_nginx, browser) -> None:
    nginx, instances = behind_nginx
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        first = _open(page, nginx.base_url + "/")
        page.get_by_label("Region").select_option("north")
        call = instances[0].wait_for_call("chart:region")  # either instance's (one log)
        assert call["data"]["value"] == "north"  # type: ignore[index]
        with page.expect_download(timeout=15000) as info:
            page.get_by_role("button", name="Export CSV").click()
        assert info.value.suggested_filename == "data.csv"
        assert Path(info.value.path()).read_text(encoding="utf-8") == CSV

        # More viewers until each instance holds a socket (nginx alternates per request;
        # an extra request between pages keeps the sockets from landing in lockstep).
        sockets = {_instance_of(first, instances)}
        others = []
        for _ in range(8):
            if sockets == {0, 1}:
                break
            httpx.get(nginx.base_url + "/healthz", timeout=5)
            other = context.new_page()
            others.append(other)
            sockets.add(_instance_of(_open(other, nginx.base_url + "/"), instances))
    finally:
        context.close()
    used = nginx.upstreams_used()
    print(f"\n[nginx] sockets on instances {sorted(sockets)}; requests by upstream {used}")
    assert sockets == {0, 1}
    assert len([u for u in used if u.startswith("127.0.0.1:")]) == 2
    assert "[error]" not in nginx.errors() and "[crit]" not in nginx.errors()
