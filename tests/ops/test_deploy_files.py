"""The files under deploy/, checked with what runs offline here: nginx -t, systemd-analyze
verify, the Dockerfile's wheel stage run for real, and structural checks of compose and
Kubernetes (PyYAML) against our own settings, routes and each other. No Docker engine
or cluster is available: see docs/deployment.md for what these checks do not cover.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pywry.config import PyWrySettings, load_settings
from pywry_server.cli._exit import EXIT_CONFIG

from .conftest import ROOT, clean_env
from .deploy_files import (
    COMPOSE,
    DOCKERFILE,
    KUBERNETES,
    NGINX,
    UNIT,
    app_routes,
    dockerfile_stages,
    main_config,
    split_copy,
)

DISTRIBUTIONS = sorted(
    p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file()
)
DISTRIBUTIONS.remove("_template")  # a skeleton for backend authors, not shipped


def _settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> PyWrySettings:
    """The settings a process with exactly ``env`` would get (a bad value fails here)."""
    for name in list(os.environ):
        if name.upper().startswith("PYWRY_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def _path_of(url_or_path: str) -> str:
    return urlsplit(url_or_path).path if "://" in url_or_path else url_or_path


# -- Dockerfile ---------------------------------------------------------------------


def test_dockerfile_is_multi_stage_non_root_and_installs_this_repository() -> None:
    args, stages = dockerfile_stages()
    assert len(stages) >= 2 and all(s.name for s in stages)
    build, final = stages[0], stages[-1]
    copied = [split_copy(a)[1][:-1] for a in build.all("COPY")]
    assert sorted(Path(src).name for paths in copied for src in paths) == DISTRIBUTIONS
    wheel = next(cmd for cmd in build.all("RUN") if "pip wheel" in cmd)
    assert all(f"packages/{d}" in wheel for d in DISTRIBUTIONS)
    from_build = [split_copy(a) for a in final.all("COPY") if "--from" in a]
    assert from_build and from_build[0][0]["from"] == build.name
    install = next(cmd for cmd in final.all("RUN") if "pip install" in cmd)
    assert "--find-links /wheels" in install
    assert all(d in install for d in DISTRIBUTIONS)
    user = final.all("USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    useradd = next(cmd for cmd in final.all("RUN") if "useradd" in cmd)
    assert f"--uid {user}" in useradd
    # Every file the build copies from the context exists (ARG defaults applied).
    stage_args = dict(args)
    stage_args.update(a.partition("=")[::2] for a in final.all("ARG"))
    for stage in stages:
        for options, paths in (split_copy(a) for a in stage.all("COPY")):
            if "from" in options:
                continue
            for src in paths[:-1]:
                src = re.sub(r"\$\{(\w+)\}", lambda m: stage_args[m.group(1)], src)
                assert (ROOT / src).exists(), f"COPY {src}: not in the repository"
    cmd = final.all("CMD")[-1]
    assert cmd.startswith("[") and '"pywry", "serve"' in cmd  # exec form: signals reach it
    health = final.all("HEALTHCHECK")[-1]
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", health)
    assert url is not None and url.group(2) in app_routes()
    env = dict(re.findall(r"(PYWRY_\w+)=(\S+)", " ".join(final.all("ENV"))))
    assert url.group(1) == env["PYWRY_SERVER__PORT"] == final.all("EXPOSE")[-1]


def test_dockerfile_wheel_stage_builds_the_wheels(tmp_path: Path) -> None:
    """Runs stage 1's `pip wheel` command as written, from the repository root."""
    _, stages = dockerfile_stages()
    command = next(cmd for cmd in stages[0].all("RUN") if "pip wheel" in cmd)
    argv = shlex.split(command.replace("/wheels", str(tmp_path / "wheels")))
    assert argv[:2] == ["pip", "wheel"]
    subprocess.run(
        [sys.executable, "-m", *argv], cwd=ROOT, check=True, capture_output=True, timeout=180
    )
    built = sorted(p.name.split("-")[0] for p in (tmp_path / "wheels").glob("*.whl"))
    assert built == sorted(d.replace("-", "_") for d in DISTRIBUTIONS)


# -- compose ------------------------------------------------------------------------


def test_compose_runs_four_workers_on_redis_with_health_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    app, redis = services["app"], services["redis"]
    build = app["build"]
    assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    settings = _settings({k: str(v) for k, v in app["environment"].items()}, monkeypatch)
    assert settings.server.workers == 4
    assert settings.deploy.state_backend == "redis"
    assert urlsplit(settings.deploy.redis_url).hostname in services
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    for service in (app, redis):
        assert service["healthcheck"]["test"][0] == "CMD"
        assert re.fullmatch(r"no|always|unless-stopped|on-failure(:\d+)?", service["restart"])
    probe = " ".join(app["healthcheck"]["test"])
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", probe)
    assert url is not None and url.group(2) in app_routes()
    assert int(url.group(1)) == settings.server.port
    assert any(str(p).endswith(f":{settings.server.port}") for p in app["ports"])


# -- Kubernetes ---------------------------------------------------------------------

API_VERSIONS = {
    "Deployment": "apps/v1",
    "Service": "v1",
    "PodDisruptionBudget": "policy/v1",
}


def _kube() -> dict[tuple[str, str], dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(KUBERNETES.read_text(encoding="utf-8")) if d]
    for doc in docs:
        assert doc["apiVersion"] == API_VERSIONS[doc["kind"]], doc["kind"]
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", doc["metadata"]["name"])
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def _selects(selector: dict[str, str], deployment: dict[str, Any]) -> bool:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    return all(labels.get(k) == v for k, v in selector.items())


def test_kubernetes_objects_fit_together_and_probe_our_health_routes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    objects = _kube()
    deployments = {n: d for (k, n), d in objects.items() if k == "Deployment"}
    for deployment in deployments.values():
        assert _selects(deployment["spec"]["selector"]["matchLabels"], deployment)
    for (kind, name), service in objects.items():
        if kind == "Service":
            assert any(_selects(service["spec"]["selector"], d) for d in deployments.values())
            targets = {p["targetPort"] for p in service["spec"]["ports"]}
            pods = [d for d in deployments.values() if _selects(service["spec"]["selector"], d)]
            ports = {
                p["name"]
                for c in pods[0]["spec"]["template"]["spec"]["containers"]
                for p in c["ports"]
            }
            assert targets <= ports, name
            assert "sessionAffinity" not in service["spec"]  # no stickiness needed
    pdb = objects[("PodDisruptionBudget", "pywry")]
    assert _selects(pdb["spec"]["selector"]["matchLabels"], deployments["pywry"])
    assert deployments["pywry"]["spec"]["replicas"] > pdb["spec"]["maxUnavailable"]

    pod = deployments["pywry"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    settings = _settings(env, monkeypatch)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == settings.server.port
    routes = app_routes()
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz" in routes
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in routes
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] in ports
    redis_url = urlsplit(settings.deploy.redis_url)
    redis_service = objects[("Service", str(redis_url.hostname))]
    assert redis_url.port in {p["port"] for p in redis_service["spec"]["ports"]}
    assert settings.server.workers > 1 and settings.deploy.state_backend == "redis"
    # The image's user (Dockerfile) is the pod's; shutdown fits in the grace period.
    _, stages = dockerfile_stages()
    assert str(pod["securityContext"]["runAsUser"]) == stages[-1].all("USER")[-1].split(":")[0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    drain = 5 + (settings.server.timeout_graceful_shutdown or 0)  # preStop sleep + graceful
    assert pod["terminationGracePeriodSeconds"] > drain


# -- nginx --------------------------------------------------------------------------


def test_nginx_config_round_robins_and_upgrades_websockets() -> None:
    text = NGINX.read_text(encoding="utf-8")
    upstream = re.search(r"upstream pywry \{(.*?)\}", text, flags=re.S)
    assert upstream is not None
    body = upstream.group(1)
    assert len(re.findall(r"^\s*server ", body, flags=re.M)) >= 2
    for sticky in ("ip_hash", "hash ", "sticky", "least_conn"):
        assert sticky not in body
    for directive in (
        "proxy_http_version 1.1;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_set_header Host $http_host;",
    ):
        assert directive in text
    read = re.search(r"proxy_read_timeout (\d+)s;", text)
    assert read is not None and int(read.group(1)) > 25  # above the page's ping interval


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    main = main_config(tmp_path, NGINX)
    result = subprocess.run(
        [nginx, "-t", "-c", str(main), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


# -- systemd ------------------------------------------------------------------------


def _unit_values(text: str, key: str) -> list[str]:
    return re.findall(rf"^{key}=(.*)$", text, flags=re.M)


def test_systemd_unit_restarts_on_failure_but_not_on_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert _unit_values(text, "Restart") == ["on-failure"]
    assert str(EXIT_CONFIG) in _unit_values(text, "RestartPreventExitStatus")[0].split()
    exec_start = _unit_values(text, "ExecStart")[0].split()
    assert exec_start[0].endswith("/pywry") and exec_start[1] == "serve"
    env = dict(v.split("=", 1) for v in _unit_values(text, "Environment"))
    settings = _settings({k: v.replace("%i", "8001") for k, v in env.items()}, monkeypatch)
    assert settings.server.port == 8001 and settings.deploy.state_backend == "redis"
    grace = settings.server.timeout_graceful_shutdown or 0
    assert int(_unit_values(text, "TimeoutStopSec")[0]) > grace


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    # The unit as installed: its paths pointed at this checkout's virtualenv.
    pywry = Path(sys.executable).with_name("pywry")
    text = UNIT.read_text(encoding="utf-8")
    text = text.replace("/srv/pywry/.venv/bin/pywry", str(pywry))
    text = text.replace("WorkingDirectory=/srv/pywry", f"WorkingDirectory={tmp_path}")
    unit = tmp_path / "pywry@8001.service"
    unit.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(SYSTEMD_LOG_LEVEL="notice"),
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if str(unit.name) in line or "pywry" in line
    ]
    assert result.returncode == 0 and problems == [], result.stdout + result.stderr
