"""``PYWRY_SERVER__LOG_FORMAT=json`` on a real 2-worker server: every line it writes is
a JSON object; the access line of a request has its request id, a socket's lines have
its connection id and viewer id."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any

import httpx
from servers import start_server
from websockets.sync.client import connect

from .conftest import OPS_APP, clean_env


def _lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for raw in text.splitlines():
        if raw.strip():
            line = json.loads(raw)  # every line, uvicorn's and PyWry's: JSON or the test fails
            assert isinstance(line, dict), raw
            lines.append(line)
    return lines


def test_json_lines_with_request_connection_and_viewer_ids(tmp_path: Path) -> None:
    env = clean_env(
        PYWRY_SERVER__LOG_FORMAT="json",
        PYWRY_SERVER__WORKERS="2",
        PYWRY_DEPLOY__STATE_BACKEND="sqlite",
        PYWRY_DEPLOY__SQLITE_PATH=str(tmp_path / "state" / "logs.db"),
        PYWRY_SQLITE_KEY="logs-test-key",
    )
    server = start_server(OPS_APP, tmp_path, env=env)
    try:
        sent = f"ops-{secrets.token_hex(6)}"
        reply = httpx.get(server.base_url + "/items/5", headers={"X-Request-ID": sent})
        assert reply.headers["x-request-id"] == sent
        bad = httpx.get(server.base_url + "/items/6", headers={"X-Request-ID": "no spaces" * 9})
        made = bad.headers["x-request-id"]
        assert made != "no spaces" * 9 and len(made) == 32
        plain = httpx.get(server.base_url + "/items/7")
        assert plain.headers["x-request-id"] not in (sent, made)

        label = httpx.get(server.base_url + "/label", timeout=10).json()["label"]
        url = f"{server.base_url.replace('http', 'ws', 1)}/widget/{label}/ws"
        with connect(url + "?client=logtest0001", open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "lastSeq": None}))
            welcome = json.loads(ws.recv(10))
            ws.send(json.dumps({"type": "event", "id": "f1", "event": "app:fail", "data": None}))
            assert json.loads(ws.recv(10)) == {"type": "ack", "id": "f1", "status": "ok"}
            server.wait_for_call("app:fail")
    finally:
        server.stop()

    lines = _lines(server.log())
    assert {line["level"] for line in lines} >= {"info", "error"}
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    mine = [line for line in access if line.get("request_id") == sent]
    assert len(mine) == 1, access
    assert (mine[0]["method"], mine[0]["path"], mine[0]["status"]) == ("GET", "/items/5", 200)
    assert [line["path"] for line in access if line.get("request_id") == made] == ["/items/6"]
    assert all(line.get("request_id") for line in access), "an access line without an id"

    socket = [line for line in lines if line.get("connection_id") == welcome["connectionId"]]
    assert any("[accepted]" in line["message"] for line in socket), socket
    failed = [line for line in socket if line["logger"] == "pywry.callbacks"]
    assert len(failed) == 1, socket
    assert failed[0]["viewer_id"] == welcome["viewer"]
    assert "this callback fails on purpose" in failed[0]["exception"]


def test_bare_uvicorn_logs_json_once_the_app_is_built(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "uvicorn", "ops_app:app", "--port", "{port}"]
    command += ["--app-dir", str(OPS_APP.parent)]
    env = clean_env(PYWRY_SERVER__LOG_FORMAT="json")
    server = start_server(OPS_APP, tmp_path, env=env, command=command)
    try:
        reply = httpx.get(server.base_url + "/items/1", headers={"X-Request-ID": "bare-1"})
        assert reply.headers["x-request-id"] == "bare-1"
    finally:
        server.stop()
    lines = _lines(server.log())
    access = [line for line in lines if line.get("request_id") == "bare-1"]
    assert [(line["logger"], line["path"]) for line in access] == [("uvicorn.access", "/items/1")]
