"""A ``rediss://`` URL: the backend talks TLS to a real redis-server with a test CA."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from pywry.errors import BackendUnavailableError
from pywry.state.records import WidgetRecord
from pywry_state_redis import RedisBackend
from pywry_state_redis.testing import free_port

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def tls_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    here = tmp_path_factory.mktemp("redis-tls")
    cert, key = here / "cert.pem", here / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    binary = shutil.which("redis-server")
    assert binary is not None, "apt-get install redis-server"
    process = subprocess.Popen(
        [binary, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", str(cert), "--tls-key-file", str(key),
         "--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no",
         "--save", "", "--appendonly", "no", "--dir", str(here)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert}"
    try:
        _wait_for(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
                client.ping()
                return
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


async def test_rediss_url_works(tls_url: str) -> None:
    async with RedisBackend(tls_url, prefix="tls") as backend:
        await backend.widgets.register(WidgetRecord(widget_id="secure"), ttl=60)
        assert await backend.widgets.active() == {"secure"}
        assert backend.describe()["url"].startswith("rediss://127.0.0.1:")


async def test_plain_redis_url_cannot_talk_to_the_tls_port(tls_url: str) -> None:
    plain = "redis://" + tls_url.removeprefix("rediss://").split("?")[0]
    backend = RedisBackend(plain, prefix="tls")
    with pytest.raises(BackendUnavailableError, match="PYWRY_DEPLOY__REDIS_URL"):
        await backend.start()
    await backend.aclose()
