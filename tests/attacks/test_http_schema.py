"""Schemathesis against the HTTP schema: every answer is one the schema documents.

The server is the Full Example shaped board app under a real uvicorn, with the API
docs on (``/openapi.json`` lists PyWry's own routes: the widget page, its data, the
uploads, the assets, health and readiness). Schemathesis generates requests from that schema
(seeded, so a run is repeatable) and checks each answer: no 5xx, a documented status
code, content type and body shape. A second run does the same with auth on, where
every widget route must answer 401 without a session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pywry_server.openapi import pywry_schema
from servers import ServerProcess, start_server

from .conftest import BOARD_APP
from .wire import unhandled_lines

EXAMPLES = 150


def _server(tmp_path: Path, **env: str) -> ServerProcess:
    return start_server(
        BOARD_APP,
        tmp_path,
        env={"PYWRY_SERVER__API_DOCS": "true", "PYWRY_SERVER__ACCESS_LOG": "false", **env},
        ready_path="/healthz",
    )


@pytest.fixture(scope="module", params=["open", "auth"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    auth = {"PYWRY_DEPLOY__AUTH_ENABLED": "true"} if request.param == "auth" else {}
    server = _server(tmp_path_factory.mktemp(f"schema-{request.param}"), **auth)
    yield server
    server.stop()
    assert unhandled_lines(server.log()) == []


def _operations(server: ServerProcess) -> list[Any]:
    if server.env.get("PYWRY_DEPLOY__AUTH_ENABLED") == "true":
        # /openapi.json itself needs a session then: the same description, made here.
        base = {"openapi": "3.1.0", "info": {"title": "PyWry", "version": "1"}, "paths": {}}
        schema = schemathesis.openapi.from_dict(pywry_schema(base, "/widget", auth=True))
    else:
        schema = schemathesis.openapi.from_url(server.base_url + "/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_every_answer_is_one_the_schema_documents(served: ServerProcess) -> None:
    operations = _operations(served)
    assert {op.path for op in operations} >= {
        "/widget/{label}",
        "/widget/{label}/data",
        "/widget/{label}/upload",
        "/widget/{label}/upload/{token}/{file}/{piece}",
        "/widget/{label}/upload/{token}/done",
        "/pywry/assets/{filename}",
        "/healthz",
        "/readyz",
    }
    auth = served.env.get("PYWRY_DEPLOY__AUTH_ENABLED") == "true"
    calls: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call_and_validate(base_url=served.base_url)
            calls.append(response.status_code)
            if auth and case.operation.path.startswith("/widget/"):
                assert response.status_code == 401  # before the label: nothing leaks

        check()
    assert len(calls) >= len(operations)
    assert not [code for code in calls if code >= 500 and code != 503]
    print(f"schemathesis: {len(calls)} requests over {len(operations)} operations")
