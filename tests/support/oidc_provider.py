"""Run the test OpenID Connect provider (``tests/oidc/provider/provider.mjs``, panva's oidc-provider
under Node) on a loopback port; ``scripts/test.sh`` installs it with ``npm ci``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parents[1] / "oidc" / "provider"
CLIENT_ID = "pywry-test"
CLIENT_SECRET = "a-client-secret-for-tests-only"
ACCOUNTS = {
    "alice": {"email": "alice@example.com", "roles": ["admin", "sales"]},
    "bob": {"email": "bob@example.com", "roles": ["sales"]},
}


@dataclass
class Provider:
    issuer: str
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def oidc_provider(port: int, redirect_uris: list[str], tmp_path: Path) -> Iterator[Provider]:
    """The provider on ``port``, knowing the client ``CLIENT_ID`` with these redirect URIs."""
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(
            "The OIDC tests need Node.js and the test provider: apt-get install nodejs npm, "
            "then npm ci --prefix tests/oidc/provider (scripts/test.sh does both)"
        )
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URIS": ",".join(redirect_uris),
        "ACCOUNTS": json.dumps(ACCOUNTS),
    }
    log = tmp_path / f"oidc-provider-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [node, str(HERE / "provider.mjs")], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    provider = Provider(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                discovery = provider.issuer + "/.well-known/openid-configuration"
                if httpx.get(discovery, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the OIDC provider did not start:\n{provider.output()}")
            time.sleep(0.1)
        yield provider
    finally:
        proc.terminate()
        proc.wait(timeout=10)
