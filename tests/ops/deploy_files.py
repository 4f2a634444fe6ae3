"""Reading the files under deploy/ for the tests: Dockerfile instructions, nginx templating."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from pywry.config import load_settings
from pywry.runtime import Runtime
from pywry.state.memory import MemoryBackend
from pywry_server import create_app

from .conftest import ROOT

DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
COMPOSE = DEPLOY / "docker" / "compose.yaml"
KUBERNETES = DEPLOY / "kubernetes" / "pywry.yaml"
NGINX = DEPLOY / "nginx" / "pywry.conf"
UNIT = DEPLOY / "systemd" / "pywry@.service"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def dockerfile_stages(path: Path = DOCKERFILE) -> tuple[dict[str, str], list[Stage]]:
    """``(global ARG defaults, stages)``; continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), " ".join(rest.split())
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        elif stages:
            stages[-1].instructions.append((keyword, rest))
        elif keyword == "ARG":
            key, _, value = rest.partition("=")
            args[key] = value
    return args, stages


def split_copy(args: str) -> tuple[dict[str, str], list[str]]:
    """``COPY --from=x --chown=y a b dest`` -> ``({"from": "x", ...}, ["a", "b", "dest"])``."""
    options: dict[str, str] = {}
    paths: list[str] = []
    for word in shlex.split(args):
        if word.startswith("--"):
            key, _, value = word[2:].partition("=")
            options[key] = value
        else:
            paths.append(word)
    return options, paths


def app_routes() -> set[str]:
    """The paths a PyWry app serves (health endpoints included)."""
    app = create_app(settings=load_settings(), backend_cls=MemoryBackend, runtime=Runtime())
    return {getattr(route, "path", "") for route in app.routes}


def nginx_for_test(tmp: Path, listen: int, upstreams: list[int]) -> Path:
    """deploy/nginx/pywry.conf on loopback ports, inside a main config for a private nginx."""
    conf = NGINX.read_text(encoding="utf-8")
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+", conf, flags=re.M)
    assert len(servers) == len(upstreams), "the shipped upstream has one line per instance"
    for line, port in zip(servers, upstreams, strict=True):
        conf = conf.replace(line, re.sub(r":\d+$", f":{port}", line), 1)
    assert conf.count("listen 80;") == 1
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    (tmp / "pywry.conf").write_text(conf, encoding="utf-8")
    return main_config(tmp, tmp / "pywry.conf")


def main_config(tmp: Path, include: Path) -> Path:
    """A main nginx.conf that keeps every file in ``tmp`` and includes ``include``."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / sub).mkdir(exist_ok=True)
    main = tmp / "nginx.conf"
    main.write_text(
        f"""daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format upstream '$request_method $uri $status $upstream_addr';
    access_log {tmp}/access.log upstream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {include};
}}
""",
        encoding="utf-8",
    )
    return main
