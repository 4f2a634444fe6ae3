"""Metrics in one process: off costs nothing and routes nothing, labels are bounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pywry.config import load_settings
from pywry.errors import ConfigurationError
from pywry.runtime import Runtime
from pywry.state.memory import MemoryBackend
from pywry_server import create_app
from pywry_server.metrics import NO_METRICS, Metrics

ON = {"server": {"metrics_enabled": True}}


def _routes(text: str) -> dict[tuple[str, str], float]:
    return {
        (s.labels["route"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "pywry_http_requests_total"
    }


def test_off_routes_nothing_and_wraps_nothing(add_widget, make_client) -> None:
    add_widget()
    client = make_client()
    assert client.get("/metrics").status_code == 404
    worker = client.app.state.pywry
    assert worker.metrics is NO_METRICS
    assert type(worker.backend) is MemoryBackend  # no timing stand-in when off
    assert Metrics.from_settings(load_settings()) is NO_METRICS


def test_routes_are_labelled_by_template(add_widget, make_client) -> None:
    add_widget()
    client = make_client(**ON)
    for _ in range(3):
        assert client.get("/widget/demo").status_code == 200
    assert client.get("/widget/nope").status_code == 404
    assert client.get("/random/abc123").status_code == 404
    routes = _routes(client.get("/metrics").text)
    assert routes[("/widget/{label}", "200")] == 3
    assert routes[("/widget/{label}", "404")] == 1
    assert routes[("unmatched", "404")] == 1
    assert not [r for r, _ in routes if "demo" in r or "abc123" in r]


def test_auth_on_without_a_token_stops_start_up(runtime: Runtime) -> None:
    settings = load_settings(server={"metrics_enabled": True}, deploy={"auth_enabled": True})
    with pytest.raises(ConfigurationError, match="PYWRY_SERVER__METRICS_TOKEN"):
        create_app(settings=settings, backend_cls=MemoryBackend, runtime=runtime)


def test_a_token_is_required_when_set(add_widget, make_client) -> None:
    add_widget()
    client = make_client(server={"metrics_enabled": True, "metrics_token": "t" * 20})
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    good = client.get("/metrics", headers={"Authorization": f"Bearer {'t' * 20}"})
    assert good.status_code == 200 and "pywry_websockets_open" in good.text


def test_a_killed_workers_open_sockets_leave_before_its_supervisor_reaps_it(tmp_path) -> None:
    import subprocess
    import time

    from pywry_server._metrics_dir import sweep_dead_workers

    worker = subprocess.Popen(["sleep", "60"])  # stands in for a worker process
    alive = subprocess.Popen(["sleep", "60"])
    try:
        for pid in (worker.pid, alive.pid):
            (tmp_path / f"gauge_livesum_{pid}.db").write_bytes(b"")
        worker.kill()  # SIGKILL; not reaped yet: a zombie, as under a busy supervisor
        deadline = time.monotonic() + 10
        while Path(f"/proc/{worker.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        sweep_dead_workers(str(tmp_path))
        assert sorted(p.name for p in tmp_path.iterdir()) == [f"gauge_livesum_{alive.pid}.db"]
    finally:
        for process in (worker, alive):
            process.kill()
            process.wait()
