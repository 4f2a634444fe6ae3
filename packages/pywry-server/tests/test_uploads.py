"""FileInput uploads over HTTP: pieces, limits, types, names, sessions, widgets, order."""

from __future__ import annotations

import hashlib
import os
import queue
import time
from typing import Any, cast

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pywry.toolbar import FileInput, Toolbar
from pywry_server.auth import create_session
from pywry_server.uploads import PIECE_BYTES
from starlette.testclient import TestClient

ANON = "pywry_anon"
COOKIE = "browser-a-0123456789abcdef"
OTHER = "browser-b-0123456789abcdef"
BASE = "/widget/demo/upload"


def viewer_of(client: TestClient, cookie: str = COOKIE, label: str = "demo") -> str:
    headers = {"cookie": f"{ANON}={cookie}"}
    with client.websocket_connect(
        f"/widget/{label}/ws?client=uploadclient01", headers=headers
    ) as ws:
        ws.send_json({"type": "hello", "lastSeq": None, "viewer": None})
        welcome = ws.receive_json()
        assert welcome["type"] == "welcome"
        return str(welcome["viewer"])


def h(cookie: str = COOKIE) -> dict[str, str]:
    return {"cookie": f"{ANON}={cookie}"}


@pytest.fixture
def setup(add_widget: Any, make_client: Any) -> tuple[TestClient, queue.Queue[Any], str]:
    got: queue.Queue[Any] = queue.Queue()
    picker = FileInput(
        event="app:files",
        label="Data",
        component_id="data",
        multiple=True,
        accept=[".csv", "text/csv", ".bin"],
        max_bytes=3 * PIECE_BYTES,
    )
    widget = add_widget(toolbars=[Toolbar(items=[picker])])
    add_widget(label="other", toolbars=[Toolbar(items=[picker])])

    def on_files(data: Any, event: str, label: str) -> None:
        files = [
            (f["name"], f["size"], f["type"], widget.upload(f["id"]).read()) for f in data["files"]
        ]
        got.put((data, files))

    widget.on("app:files", on_files)
    client = make_client()
    return client, got, viewer_of(client)


def start(
    client: TestClient, viewer: str, files: list[dict[str, Any]], cookie: str = COOKIE
) -> Any:
    body = {"viewer": viewer, "componentId": "data", "files": files}
    return client.post(BASE, json=body, headers=h(cookie))


def send(client: TestClient, token: str, file: int, data: bytes, cookie: str = COOKIE) -> None:
    for piece, at in enumerate(range(0, len(data), PIECE_BYTES)):
        answer = client.put(
            f"{BASE}/{token}/{file}/{piece}", content=data[at : at + PIECE_BYTES], headers=h(cookie)
        )
        assert answer.status_code == 200, answer.json()


def test_multi_file_upload_runs_the_callback_once_with_every_file(setup: Any) -> None:
    client, got, viewer = setup
    one, two = os.urandom(2 * PIECE_BYTES + 5), b"a,b\n1,2\n"
    answer = start(
        client,
        viewer,
        [
            {"name": "big.bin", "size": len(one), "type": ""},
            {"name": "t.csv", "size": len(two), "type": "text/csv"},
        ],
    )
    assert answer.status_code == 201, answer.json()
    token = answer.json()["token"]
    assert [f["pieces"] for f in answer.json()["files"]] == [3, 1]
    send(client, token, 0, one)
    send(client, token, 1, two)
    done = client.post(f"{BASE}/{token}/done", headers=h())
    assert done.status_code == 202, done.json()
    data, files = got.get(timeout=10)
    assert data["componentId"] == "data"
    assert [(n, s, t) for n, s, t, _ in files] == [
        ("big.bin", len(one), "application/octet-stream"),
        ("t.csv", len(two), "text/csv"),
    ]
    assert hashlib.sha256(files[0][3]).digest() == hashlib.sha256(one).digest()
    assert files[1][3] == two
    again = client.post(f"{BASE}/{token}/done", headers=h())
    assert again.status_code == 409 and again.json()["error"] == "upload_finished"
    time.sleep(0.2)
    assert got.empty()


def test_limits_types_and_names(setup: Any) -> None:
    client, got, viewer = setup
    big = start(
        client, viewer, [{"name": "x.csv", "size": 3 * PIECE_BYTES + 1, "type": "text/csv"}]
    )
    assert big.status_code == 413 and big.json()["error"] == "upload_too_large"
    assert "over the limit of 3,145,728 bytes" in big.json()["detail"]
    exe = start(
        client, viewer, [{"name": "run.exe", "size": 4, "type": "application/x-msdownload"}]
    )
    assert exe.status_code == 415 and exe.json()["error"] == "upload_type_refused"
    mixed = start(
        client,
        viewer,
        [
            {"name": "../../etc/pass\x00wd.csv", "size": 3, "type": "text/csv"},
            {"name": "huge.csv", "size": 10**12, "type": "text/csv"},
        ],
    )
    assert mixed.status_code == 201
    assert [f["name"] for f in mixed.json()["files"]] == ["pass_wd.csv"]
    assert [r["name"] for r in mixed.json()["rejected"]] == ["huge.csv"]
    token = mixed.json()["token"]
    send(client, token, 0, b"1,2")
    assert client.post(f"{BASE}/{token}/done", headers=h()).status_code == 202
    data, files = got.get(timeout=10)
    assert [f["name"] for f in data["files"]] == ["pass_wd.csv"] and files[0][3] == b"1,2"


def test_setting_lowers_the_limit(add_widget: Any, make_client: Any) -> None:
    add_widget(toolbars=[Toolbar(items=[FileInput(event="app:files", component_id="data")])])
    client = make_client(deploy={"upload_max_bytes": 10})
    answer = start(client, viewer_of(client), [{"name": "a.txt", "size": 11, "type": "text/plain"}])
    assert answer.status_code == 413
    assert "over the limit of 10 bytes" in answer.json()["detail"]


def test_truncated_out_of_order_duplicate_and_bad_pieces(setup: Any) -> None:
    client, got, viewer = setup
    data = os.urandom(2 * PIECE_BYTES + 10)
    token = start(client, viewer, [{"name": "d.bin", "size": len(data), "type": ""}]).json()[
        "token"
    ]
    url = f"{BASE}/{token}/0"
    late = client.put(f"{url}/1", content=data[PIECE_BYTES : 2 * PIECE_BYTES], headers=h())
    assert late.status_code == 409 and late.json()["error"] == "upload_out_of_order"
    short = client.put(f"{url}/0", content=data[:100], headers=h())
    assert short.status_code == 400 and short.json()["error"] == "upload_bad_piece"
    assert "truncated" in short.json()["detail"]
    long = client.put(f"{url}/2", content=data[:PIECE_BYTES], headers=h())
    assert long.status_code == 413
    assert client.put(f"{url}/0", content=data[:PIECE_BYTES], headers=h()).status_code == 200
    dup = client.put(f"{url}/0", content=data[:PIECE_BYTES], headers=h())
    assert dup.status_code == 409 and dup.json()["error"] == "upload_duplicate_piece"
    beyond = client.put(f"{url}/3", content=b"x", headers=h())
    assert beyond.status_code == 400
    cut = client.post(f"{BASE}/{token}/done", headers=h())
    assert cut.status_code == 400 and cut.json()["error"] == "upload_truncated"
    time.sleep(0.2)
    assert got.empty()  # nothing partial reached the callback


def test_another_session_or_widget_cannot_use_the_upload(setup: Any) -> None:
    client, got, viewer = setup
    # a viewer id of another session is refused at the start
    stolen = start(client, viewer, [{"name": "a.csv", "size": 1, "type": "text/csv"}], cookie=OTHER)
    assert stolen.status_code == 403 and stolen.json()["error"] == "upload_forbidden"
    token = start(client, viewer, [{"name": "a.csv", "size": 1, "type": "text/csv"}]).json()[
        "token"
    ]
    other = client.put(f"{BASE}/{token}/0/0", content=b"x", headers=h(OTHER))
    assert other.status_code == 403 and "another session" in other.json()["detail"]
    widget = client.put(f"/widget/other/upload/{token}/0/0", content=b"x", headers=h())
    assert widget.status_code == 403
    forged = client.put(f"{BASE}/{token[:-3]}AAA/0/0", content=b"x", headers=h())
    assert forged.status_code == 403
    assert client.put(f"{BASE}/{token}/0/0", content=b"x", headers=h()).status_code == 200
    assert client.post(f"{BASE}/{token}/done", headers=h(OTHER)).status_code == 403
    assert client.post(f"{BASE}/{token}/done", headers=h()).status_code == 202
    data, _ = got.get(timeout=10)
    # a file id is no download link
    assert client.get(f"/pywry/files/{data['files'][0]['id']}", headers=h()).status_code == 403


def test_a_page_cannot_send_the_file_inputs_event_itself(setup: Any) -> None:
    client, got, viewer = setup
    with client.websocket_connect("/widget/demo/ws?client=uploadclient02", headers=h()) as ws:
        ws.send_json({"type": "hello", "lastSeq": None, "viewer": viewer})
        assert ws.receive_json()["type"] == "welcome"
        fake = {
            "files": [{"name": "x", "size": 1, "type": "", "id": "forged"}],
            "componentId": "data",
        }
        ws.send_json({"type": "event", "id": "f1", "event": "app:files", "data": fake})
        ws.receive_json()  # the ack
    time.sleep(0.3)
    assert got.empty()


def test_per_viewer_bound_on_uploads(add_widget: Any, make_client: Any) -> None:
    add_widget(toolbars=[Toolbar(items=[FileInput(event="app:files", component_id="data")])])
    client = make_client(deploy={"upload_max_active": 2})
    viewer = viewer_of(client)
    files = [{"name": "a.txt", "size": 1, "type": "text/plain"}]
    assert start(client, viewer, files).status_code == 201
    assert start(client, viewer, files).status_code == 201
    third = start(client, viewer, files)
    assert third.status_code == 429 and third.json()["error"] == "upload_busy"
    assert start(client, viewer_of(client, OTHER), files, cookie=OTHER).status_code == 201


def test_a_failed_upload_frees_its_slot(add_widget: Any, make_client: Any) -> None:
    add_widget(toolbars=[Toolbar(items=[FileInput(event="app:files", component_id="data")])])
    client = make_client(deploy={"upload_max_active": 1})
    viewer = viewer_of(client)
    files = [{"name": "a.txt", "size": 5, "type": "text/plain"}]
    token = start(client, viewer, files).json()["token"]
    assert start(client, viewer, files).status_code == 429
    assert client.put(f"{BASE}/{token}/0/0", content=b"ab", headers=h()).status_code == 400
    assert start(client, viewer, files).status_code == 201


def test_with_auth_uploads_need_the_login_session(add_widget: Any, make_client: Any) -> None:
    got: queue.Queue[Any] = queue.Queue()
    widget = add_widget(
        toolbars=[Toolbar(items=[FileInput(event="app:files", component_id="data")])]
    )
    widget.on("app:files", lambda data, *_: got.put(widget.upload(data["files"][0]["id"]).read()))
    client = make_client(deploy={"auth_enabled": True})
    app = cast(FastAPI, client.app)

    @app.get("/login")
    async def login(request: Request, user: str) -> JSONResponse:
        response = JSONResponse({"ok": True})
        response.headers["X-Session-Id"] = await create_session(request, response, user=user)
        return response

    bob = client.get("/login", params={"user": "bob"}).headers["x-session-id"]
    client.cookies.clear()  # (a login with bob's cookie would end bob's session)
    client.get("/login", params={"user": "alice"})  # the client's cookie is alice's now
    as_bob_header = {"authorization": f"Bearer {bob}"}
    with client.websocket_connect("/widget/demo/ws?client=authupload001") as ws:
        ws.send_json({"type": "hello", "lastSeq": None, "viewer": None})
        viewer = ws.receive_json()["viewer"]
    body = {"viewer": viewer, "componentId": "data", "files": [{"name": "a.txt", "size": 2}]}
    as_bob = client.post(BASE, json=body, headers=as_bob_header)
    assert as_bob.status_code == 403  # alice's viewer, bob's session
    token = client.post(BASE, json=body).json()["token"]
    piece = f"{BASE}/{token}/0/0"
    assert (
        client.put(piece, content=b"hi", headers={"authorization": f"Bearer {bob}"}).status_code
        == 403
    )
    assert client.put(piece, content=b"hi").status_code == 200
    assert client.post(f"{BASE}/{token}/done").status_code == 202
    assert got.get(timeout=10) == b"hi"
    client.cookies.clear()
    assert client.post(BASE, json=body).status_code == 401  # no session at all
