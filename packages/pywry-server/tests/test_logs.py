"""Request ids at the HTTP level, and what the JSON formatter writes."""

from __future__ import annotations

import contextvars
import json
import logging

import pytest
from pywry.config import load_settings
from pywry_server.logs import JsonFormatter, LogContext, bind_socket, log_config


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abc-123_x.y:z", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("bad id", False),
        ("line\n", False),
        ("", False),
    ],
)
def test_request_id_is_kept_only_when_well_formed(add_widget, make_client, given, kept) -> None:
    add_widget()
    reply = make_client().get("/healthz", headers={"X-Request-ID": given} if given else {})
    echoed = reply.headers["x-request-id"]
    assert (echoed == given) is kept
    if not kept:
        assert len(echoed) == 32 and echoed.isalnum()


def test_json_record_carries_the_bound_ids_and_keeps_explicit_ones() -> None:
    record = logging.LogRecord("pywry.server", logging.WARNING, __file__, 1, "x %s", ("y",), None)

    def in_a_socket() -> None:  # a context of its own: the id does not outlive the test
        bind_socket("conn-from-context")
        LogContext().filter(record)

    contextvars.copy_context().run(in_a_socket)
    line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["level"], line["connection_id"]) == (
        "x y",
        "warning",
        "conn-from-context",
    )
    assert "viewer_id" not in line and "request_id" not in line
    explicit = logging.LogRecord("pywry", logging.INFO, __file__, 1, "m", None, None)
    explicit.connection_id = "given"
    LogContext().filter(explicit)
    assert json.loads(JsonFormatter().format(explicit))["connection_id"] == "given"


def test_text_format_keeps_uvicorn_formatters_and_access_on_stdout() -> None:
    text = log_config(load_settings().server)
    assert text["formatters"]["access"]["()"] == "uvicorn.logging.AccessFormatter"
    assert text["handlers"]["access"]["stream"] == "ext://sys.stdout"
    json_config = log_config(load_settings(server={"log_format": "json"}).server)
    assert {h["stream"] for h in json_config["handlers"].values()} == {"ext://sys.stderr"}
    assert {h["formatter"] for h in json_config["handlers"].values()} == {"json"}
