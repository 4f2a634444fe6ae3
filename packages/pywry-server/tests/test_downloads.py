"""widget.download() over the real protocol and HTTP: signed URLs, sessions, sizes, errors."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pywry.downloads import CHUNK_BYTES
from pywry.errors import DownloadError
from pywry_server.auth import create_session
from starlette.testclient import TestClient

ANON = "pywry_anon"
COOKIE = "browser-a-0123456789abcdef"


def open_page(client: TestClient, cookie: str | None = COOKIE) -> tuple[Any, Any]:
    headers = {"cookie": f"{ANON}={cookie}"} if cookie else {}
    ws = client.websocket_connect("/widget/demo/ws?client=downloadclient1", headers=headers)
    socket = ws.__enter__()
    socket.send_json({"type": "hello", "lastSeq": None, "viewer": None})
    assert socket.receive_json()["type"] == "welcome"
    return ws, socket


def ask(socket: Any, event: str, data: Any = None, frame_id: str = "f1") -> dict[str, Any]:
    socket.send_json({"type": "event", "id": frame_id, "event": event, "data": data})
    while True:
        frame: dict[str, Any] = socket.receive_json()
        if frame["type"] == "event":
            return frame


def fetch(client: TestClient, url: str, cookie: str | None = COOKIE) -> Any:
    headers = {"cookie": f"{ANON}={cookie}", "accept-encoding": "gzip"} if cookie else {}
    return client.get(url, headers=headers)


def payload(size: int) -> bytes:
    return os.urandom(size)


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_BYTES, 3 * CHUNK_BYTES + 17], ids=["empty", "1B", "1chunk", "3chunks+17"]
)
@pytest.mark.parametrize("kind", ["bytes", "path", "iterator", "async"])
def test_download_round_trip(
    add_widget: Any, make_client: Any, tmp_path: Path, size: int, kind: str
) -> None:
    data = payload(size)
    widget = add_widget()
    path = tmp_path / "report.bin"
    path.write_bytes(data)

    def pieces() -> Iterator[bytes]:  # uneven parts: re-chunked on the way
        for start in range(0, len(data), 100_000):
            yield data[start : start + 100_000]

    sources: dict[str, Any] = {"bytes": data, "path": path, "iterator": pieces()}

    if kind == "async":

        async def on_save(payload: Any, event: str, label: str) -> None:
            await widget.download_async(pieces(), "report.bin")

        widget.on("app:save", on_save)
    else:

        def on_save_sync(payload: Any, event: str, label: str) -> None:
            widget.download(sources[kind], "report.bin")

        widget.on("app:save", on_save_sync)
    client = make_client()
    ws, socket = open_page(client)
    frame = ask(socket, "app:save")
    assert frame["event"] == "pywry:download"
    offer = frame["data"]
    assert set(offer) == {"url", "filename", "size", "mimeType"}
    assert offer["size"] == size and offer["filename"] == "report.bin"
    assert offer["url"].startswith("/pywry/files/") and "content" not in offer
    answer = fetch(client, offer["url"])
    assert answer.status_code == 200, answer.text
    assert answer.content == data
    assert answer.headers["content-length"] == str(size)
    assert "content-encoding" not in answer.headers  # never gzipped, even when asked
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["content-type"] == "application/octet-stream"
    ws.__exit__(None, None, None)


def _offer(add_widget: Any, make_client: Any, filename: str = "data.csv", **deploy: Any):
    widget = add_widget()
    widget.on("app:save", lambda *_: widget.download(b"a,b\n1,2\n", filename))
    client = make_client(deploy=deploy) if deploy else make_client()
    ws, socket = open_page(client)
    offer: dict[str, Any] = ask(socket, "app:save")["data"]
    return client, ws, offer


def test_url_is_for_its_own_session_and_signed(add_widget: Any, make_client: Any) -> None:
    client, ws, offer = _offer(add_widget, make_client)
    url = offer["url"]
    assert offer["mimeType"] == "text/csv"
    assert fetch(client, url).content == b"a,b\n1,2\n"
    assert fetch(client, url).status_code == 200  # again, within its TTL
    for cookie in ("browser-b-0123456789abcdef", None):  # another browser, or none
        answer = fetch(client, url, cookie=cookie)
        assert answer.status_code == 403
        assert answer.json()["error"] == "download_forbidden"
    body, _, signature = url.rsplit("/", 1)[1].partition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for token in (f"{body}.{flipped}", f"{body[:-2]}xy.{signature}", "garbage", "a.b"):
        answer = fetch(client, f"/pywry/files/{token}")
        assert answer.status_code == 403, token
        assert answer.json() == {
            "error": "download_forbidden",
            "detail": "the download link is not valid",
        }
    ws.__exit__(None, None, None)


def test_url_expires(add_widget: Any, make_client: Any) -> None:
    client, ws, offer = _offer(add_widget, make_client, download_ttl=1)
    assert fetch(client, offer["url"]).status_code == 200
    time.sleep(1.6)
    answer = fetch(client, offer["url"])
    assert answer.status_code == 410
    assert answer.json()["error"] == "download_expired"
    assert "expired" in answer.json()["detail"]
    ws.__exit__(None, None, None)


def test_filenames_are_sanitised_and_encoded(add_widget: Any, make_client: Any) -> None:
    client, ws, offer = _offer(add_widget, make_client, filename='../../etc/Résumé "2026".txt')
    assert offer["filename"] == "Résumé _2026_.txt"
    disposition = fetch(client, offer["url"]).headers["content-disposition"]
    assert disposition == (
        "attachment; filename=\"R_sum_ _2026_.txt\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20_2026_.txt"
    )
    ws.__exit__(None, None, None)


def test_too_large_is_an_error_in_the_callback(add_widget: Any, make_client: Any) -> None:
    widget = add_widget()
    errors: list[str] = []

    def too_big(source: Any) -> Any:
        def on_save(*_: Any) -> None:
            try:
                widget.download(source, "big.bin")
            except DownloadError as exc:
                errors.append(str(exc))
                widget.emit("app:failed", {})

        return on_save

    limit = 300_000
    widget.on("app:bytes", too_big(bytes(limit + 1)))
    widget.on("app:iter", too_big(iter([bytes(200_000)] * 2)))
    client = make_client(deploy={"download_max_bytes": limit})
    ws, socket = open_page(client)
    assert ask(socket, "app:bytes", frame_id="a")["event"] == "app:failed"
    assert ask(socket, "app:iter", frame_id="b")["event"] == "app:failed"
    assert len(errors) == 2
    for message in errors:
        assert "over the limit of 300,000" in message
        assert "PYWRY_DEPLOY__DOWNLOAD_MAX_BYTES" in message
    ws.__exit__(None, None, None)


def test_misuse_is_a_clear_error(add_widget: Any, make_client: Any) -> None:
    widget = add_widget()
    errors: list[str] = []

    async def on_loop(*_: Any) -> None:
        try:
            widget.download(b"x", "x.bin")
        except DownloadError as exc:
            errors.append(str(exc))
        widget.emit("app:done", {})

    def with_text(*_: Any) -> None:
        try:
            widget.download("not a path", "x.txt")  # type: ignore[arg-type]
        except DownloadError as exc:
            errors.append(str(exc))
        widget.emit("app:done", {})

    widget.on("app:loop", on_loop)
    widget.on("app:text", with_text)
    client = make_client()
    ws, socket = open_page(client)
    ask(socket, "app:loop", frame_id="a")
    ask(socket, "app:text", frame_id="b")
    assert "await widget.download_async" in errors[0]
    assert "pathlib.Path" in errors[1]
    with pytest.raises(DownloadError, match="inside one"):
        widget.download(b"x", "x.bin")  # outside a callback
    with pytest.raises(DownloadError, match="inside one"):
        asyncio.run(widget.download_async(b"x", "x.bin"))
    ws.__exit__(None, None, None)


def test_stream_holds_one_chunk_at_a_time(add_widget: Any, make_client: Any) -> None:
    """A 24 MiB file streams in chunks (the client reads it piece by piece)."""
    data = payload(24 * 1024 * 1024)
    widget = add_widget()
    widget.on("app:save", lambda *_: widget.download(data, "big.bin"))
    client = make_client()
    ws, socket = open_page(client)
    url = ask(socket, "app:save")["data"]["url"]
    digest, pieces = hashlib.sha256(), 0
    with client.stream("GET", url, headers={"cookie": f"{ANON}={COOKIE}"}) as answer:
        assert answer.status_code == 200
        for piece in answer.iter_raw():
            digest.update(piece)
            pieces += 1
    assert digest.digest() == hashlib.sha256(data).digest()
    assert pieces >= 24 * 1024 * 1024 // CHUNK_BYTES
    ws.__exit__(None, None, None)


def test_with_auth_the_url_is_bound_to_the_login_session(add_widget: Any, make_client: Any) -> None:
    widget = add_widget()
    widget.on("app:save", lambda *_: widget.download(b"secret rows", "rows.txt"))
    client = make_client(deploy={"auth_enabled": True})
    app = cast(FastAPI, client.app)

    @app.get("/login")
    async def login(request: Request, user: str) -> JSONResponse:
        response = JSONResponse({"ok": True})
        response.headers["X-Session-Id"] = await create_session(request, response, user=user)
        return response

    bob = client.get("/login", params={"user": "bob"}).headers["x-session-id"]
    client.get("/login", params={"user": "alice"})  # the client's cookie is alice's now
    ws = client.websocket_connect("/widget/demo/ws?client=authdownload1")
    socket = ws.__enter__()
    socket.send_json({"type": "hello", "lastSeq": None, "viewer": None})
    welcome = socket.receive_json()
    assert welcome["type"] == "welcome", welcome
    url = ask(socket, "app:save")["data"]["url"]
    assert client.get(url).content == b"secret rows"  # alice's cookie
    answer = client.get(url, headers={"authorization": f"Bearer {bob}"})  # bob's session
    assert answer.status_code == 403
    assert answer.json()["detail"] == "this download belongs to another session"
    client.cookies.clear()
    assert client.get(url).status_code == 403  # no session at all
    ws.__exit__(None, None, None)
