"""``/readyz`` in-process: 503 while the store refuses writes or the worker has not joined."""

from __future__ import annotations

import pytest
from pywry.errors import BackendError
from starlette.testclient import TestClient

TOKEN = "operator-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _worker(client: TestClient) -> object:
    return client.app.state.pywry  # type: ignore[attr-defined]


def test_readyz_is_503_while_writes_fail_and_200_when_they_pass(
    make_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(server={"readyz_token": TOKEN})
    backend = _worker(client).backend  # type: ignore[attr-defined]
    refusing = [True]
    real = backend.check_writable

    async def check() -> None:
        if refusing[0]:
            raise BackendError("OOM command not allowed when used memory > 'maxmemory'")
        await real()

    monkeypatch.setattr(backend, "check_writable", check)
    assert client.get("/readyz").json() == {"status": "unavailable"}
    detailed = client.get("/readyz", headers=AUTH)
    assert detailed.status_code == 503 and "maxmemory" in detailed.json()["detail"]
    refusing[0] = False
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_while_the_worker_waits_to_join(make_client) -> None:
    client = make_client(server={"readyz_token": TOKEN})
    worker = _worker(client)
    worker.waiting = "Cannot reach Redis at redis://localhost:6379/0"  # type: ignore[attr-defined]
    plain = client.get("/readyz")
    assert plain.status_code == 503 and plain.json() == {"status": "unavailable"}
    detailed = client.get("/readyz", headers=AUTH).json()
    assert detailed["detail"] == "joining: Cannot reach Redis at redis://localhost:6379/0"
    assert detailed["worker"] == worker.worker_id  # type: ignore[attr-defined]
    worker.waiting = None  # type: ignore[attr-defined]
    assert client.get("/readyz").status_code == 200
