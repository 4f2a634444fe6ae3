"""deploy(): every server and SSL setting reaches uvicorn; workers need an import string."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from pywry.config import load_settings
from pywry.errors import ConfigurationError
from pywry_server import runner


def test_every_server_setting_is_passed_to_uvicorn(tmp_path: Path) -> None:
    cert, key, ca = (tmp_path / n for n in ("c.pem", "k.pem", "ca.pem"))
    for f in (cert, key, ca):
        f.write_text("x")
    # Each setting is named like the uvicorn.run() keyword it becomes, with the same value.
    expected = {
        "host": "0.0.0.0",
        "port": 9000,
        "workers": 3,
        "log_level": "warning",
        "access_log": False,
        "reload": True,
        "timeout_keep_alive": 9,
        "timeout_graceful_shutdown": 4,
        "limit_concurrency": 50,
        "limit_max_requests": 1000,
        "limit_max_requests_jitter": 25,
        "timeout_worker_healthcheck": 45,
        "backlog": 64,
        "ssl_certfile": str(cert),
        "ssl_keyfile": str(key),
        "ssl_keyfile_password": "pw",
        "ssl_ca_certs": str(ca),
    }
    opts = runner.uvicorn_options(load_settings(server=expected))
    assert {k: opts[k] for k in expected} == expected


def test_worker_start_timeout_and_recycle_jitter_defaults() -> None:
    opts = runner.uvicorn_options(load_settings())
    # uvicorn's own 5 s start-up limit kills workers on a loaded machine.
    assert opts["timeout_worker_healthcheck"] == 30
    assert opts["limit_max_requests_jitter"] == 0  # no recycling, nothing to spread
    opts = runner.uvicorn_options(load_settings(server={"limit_max_requests": 5000}))
    assert opts["limit_max_requests_jitter"] == 500  # 10% of the limit unless set


def test_uvicorn_knows_every_option_name() -> None:
    config = runner.uvicorn.Config("x:app", **runner.uvicorn_options(load_settings()))
    assert config.timeout_worker_healthcheck == 30
    assert config.limit_max_requests_jitter == 0


def test_websocket_size_and_compression_reach_uvicorn() -> None:
    # uvicorn's own defaults are 16 MiB and compression on: PyWry passes its own.
    opts = runner.uvicorn_options(load_settings())
    assert (opts["ws_max_size"], opts["ws_per_message_deflate"]) == (1_048_576, False)
    server = {"max_message_bytes": 65536, "ws_per_message_deflate": True}
    opts = runner.uvicorn_options(load_settings(server=server))
    assert (opts["ws_max_size"], opts["ws_per_message_deflate"]) == (65536, True)


def test_several_workers_get_an_import_string(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("my_dash_app")
    module.__spec__ = None
    module.__file__ = "/srv/app/my_dash_app.py"
    app = object()
    module.app = app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "my_dash_app", module)
    calls: list[tuple[Any, dict[str, Any]]] = []

    def record(target: Any, **kw: Any) -> None:
        calls.append((target, kw))

    monkeypatch.setattr(runner.uvicorn, "run", record)
    monkeypatch.setattr(runner, "run_workers", record)
    monkeypatch.setattr(runner, "check_backend", lambda settings: None)  # not the subject here
    runner.run(app, settings=load_settings(server={"workers": 4}))
    target, options = calls[0]
    assert target == "my_dash_app:app"
    assert options["app_dir"] == "/srv/app"
    assert options["workers"] == 4


def test_one_worker_gets_the_app_object(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(runner.uvicorn, "run", lambda target, **kw: calls.append(target))
    app = object()
    runner.run(app, settings=load_settings())
    assert calls == [app]


def test_workers_without_module_level_app_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="PYWRY_SERVER__WORKERS=1"):
        runner.app_import_string(object())


def test_several_workers_on_memory_are_refused_before_uvicorn_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(runner.uvicorn, "run", lambda target, **kw: calls.append(target))
    with pytest.raises(ConfigurationError) as caught:
        runner.run("my_app:app", settings=load_settings(server={"workers": 2}))
    message = str(caught.value)
    assert "PYWRY_SERVER__WORKERS=2" in message
    assert "PYWRY_DEPLOY__STATE_BACKEND='memory'" in message
    assert "\n" not in message
    assert calls == []


def test_a_worker_that_could_not_start_makes_run_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    from pywry._startup import REPORT_ENV

    def failing_supervisor(target: str, **options: Any) -> None:
        # What a worker does when get_server_app() fails in it (pywry._startup).
        with open(os.environ[REPORT_ENV], "a", encoding="utf-8") as fh:
            fh.write("PyWry cannot start: the reason\n")

    monkeypatch.setattr(runner.uvicorn, "run", failing_supervisor)
    monkeypatch.setattr(runner, "run_workers", failing_supervisor)
    monkeypatch.setattr(runner, "check_backend", lambda settings: None)
    with pytest.raises(runner.WorkersFailed, match=r"^the reason$"):
        runner.run("my_app:app", settings=load_settings(server={"workers": 2}))
    assert REPORT_ENV not in os.environ


@pytest.mark.parametrize(
    ("server", "supported", "expected"),
    [
        ({"workers": 4}, True, "own sockets"),
        ({"workers": 4}, False, "uvicorn"),  # not Linux: uvicorn's one shared socket
        ({"workers": 1, "reload": True}, True, "uvicorn"),
    ],
)
def test_workers_get_sockets_of_their_own_where_the_kernel_spreads(
    monkeypatch: pytest.MonkeyPatch, server: dict[str, Any], supported: bool, expected: str
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(runner.uvicorn, "run", lambda target, **kw: calls.append("uvicorn"))
    monkeypatch.setattr(runner, "run_workers", lambda target, **kw: calls.append("own sockets"))
    monkeypatch.setattr(runner, "supported", lambda: supported)
    monkeypatch.setattr(runner, "check_backend", lambda settings: None)
    runner.run("my_app:app", settings=load_settings(server=server))
    assert calls == [expected]
