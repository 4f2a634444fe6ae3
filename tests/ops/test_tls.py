"""HTTPS and WSS for real: a certificate made here, a TLS handshake on every request.

The server is the app (``deploy()``) with ``PYWRY_SERVER__SSL_CERTFILE`` and either
``SSL_KEYFILE`` or a certificate file that holds its key too (a combined PEM).
"""

from __future__ import annotations

import json
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from servers import start_server
from websockets.sync.client import connect

from .conftest import OPS_APP, clean_env


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    names = "subjectAltName=IP:127.0.0.1,DNS:localhost"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-addext", names, "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.parametrize("layout", ["cert-and-key", "combined-pem"])
def test_https_page_and_wss_round_trip(tmp_path: Path, layout: str) -> None:
    cert, key = _self_signed(tmp_path)
    if layout == "cert-and-key":
        env = {"PYWRY_SERVER__SSL_CERTFILE": str(cert), "PYWRY_SERVER__SSL_KEYFILE": str(key)}
    else:
        combined = tmp_path / "combined.pem"
        combined.write_text(cert.read_text() + key.read_text())
        env = {"PYWRY_SERVER__SSL_CERTFILE": str(combined)}
    trust = ssl.create_default_context(cafile=str(cert))
    server = start_server(OPS_APP, tmp_path, env=clean_env(**env), tls=trust)
    try:
        assert server.base_url.startswith("https://")
        label = httpx.get(server.base_url + "/label", verify=trust, timeout=10).json()["label"]
        page = httpx.get(f"{server.base_url}/widget/{label}", verify=trust, timeout=10)
        assert page.status_code == 200, page.text
        assert "<h1>Ops</h1>" in page.text
        assert page.headers["strict-transport-security"].startswith("max-age=")
        with pytest.raises(httpx.ConnectError):  # an untrusting client fails the handshake
            httpx.get(server.base_url + "/healthz", timeout=10)

        url = f"wss://127.0.0.1:{server.base_url.rsplit(':', 1)[1]}/widget/{label}/ws"
        with connect(url, ssl=trust, open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "lastSeq": None}))
            welcome = json.loads(ws.recv(10))
            assert welcome["type"] == "welcome", welcome
            ping = {"type": "event", "id": "t1", "event": "app:ping", "data": {"n": 7}}
            ws.send(json.dumps(ping))
            frames = [json.loads(ws.recv(10)) for _ in range(2)]
        assert {"type": "ack", "id": "t1", "status": "ok"} in frames
        pong = next(f for f in frames if f.get("type") == "event")
        assert (pong["event"], pong["data"]) == ("app:pong", {"n": 7})
    finally:
        server.stop()
