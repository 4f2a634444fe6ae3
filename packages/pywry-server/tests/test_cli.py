"""The ``pywry`` command in-process (click's runner): flags, sources, backends, doctor."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pywry._hints import checkout_folder
from pywry.config import DeploySettings, ServerSettings
from pywry_server.cli import main
from pywry_server.cli._flags import WITHOUT_FLAG

ROOT = Path(__file__).resolve().parents[3]


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _show(*args: str) -> dict[str, Any]:
    result = _invoke("config", "show", "--json", *args)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output)["settings"])


def test_every_setting_is_a_flag_of_serve_config_show_and_doctor() -> None:
    for command in (["serve"], ["config", "show"], ["doctor"]):
        text = _invoke(*command, "--help").output
        for section, model in (("server", ServerSettings), ("deploy", DeploySettings)):
            for name in model.model_fields:
                if (section, name) in WITHOUT_FLAG:
                    continue
                flag = "--" + name.replace("_", "-")
                assert flag in text, f"{' '.join(command)} lacks {flag}"
                assert f"PYWRY_{section.upper()}__{name.upper()}" in text


def test_flag_beats_env_beats_file_beats_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pywry.toml").write_text("[server]\nport = 1111\nbacklog = 77\nworkers = 3\n")
    monkeypatch.setenv("PYWRY_SERVER__PORT", "2222")
    monkeypatch.setenv("PYWRY_SERVER__WORKERS", "4")
    shown = _show("--workers", "5", "--state-backend", "redis")
    assert shown["server.workers"] == {
        "value": 5,
        "source": "flag",
        "origin": "--workers",
        "env": "PYWRY_SERVER__WORKERS",
    }
    assert shown["server.port"]["value"] == 2222
    assert (shown["server.port"]["source"], shown["server.port"]["origin"]) == (
        "env",
        "PYWRY_SERVER__PORT",
    )
    assert shown["server.backlog"]["value"] == 77
    assert shown["server.backlog"]["source"] == "file"
    assert shown["server.backlog"]["origin"] == str(tmp_path / "pywry.toml")
    assert shown["server.host"] == {
        "value": "127.0.0.1",
        "source": "default",
        "origin": None,
        "env": "PYWRY_SERVER__HOST",
    }
    assert shown["deploy.state_backend"]["value"] == "redis"


def test_bool_list_and_choice_flags_reach_the_settings() -> None:
    shown = _show("--no-access-log", "--cors-origins", "https://a.example,https://b.example")
    assert shown["server.access_log"]["value"] is False
    assert shown["server.cors_origins"]["value"] == ["https://a.example", "https://b.example"]
    assert _show("--log-level", "DEBUG")["server.log_level"]["value"] == "debug"


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_SERVER__SSL_KEYFILE_PASSWORD", "s3cret-pass")
    monkeypatch.setenv("PYWRY_DEPLOY__REDIS_URL", "redis://app:hunter2@db.internal:6380/1")
    for args in (["config", "show"], ["config", "show", "--json"]):
        output = _invoke(*args).output
        assert "s3cret-pass" not in output and "hunter2" not in output
    shown = _show()
    assert shown["server.ssl_keyfile_password"]["value"] == "********"
    assert shown["deploy.redis_url"]["value"] == "redis://app:********@db.internal:6380/1"


def test_a_bad_setting_is_one_line_and_status_78(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_SERVER__PORT", "eighty")
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code == 78
    assert result.output.strip().splitlines() == [
        "PyWry cannot start: Invalid PyWry setting PYWRY_SERVER__PORT='eighty': "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


def test_backends_lists_entry_points_with_distribution_and_version() -> None:
    from importlib.metadata import version

    data = json.loads(_invoke("backends", "--json").output)
    rows = {(r["group"], r["name"]): r for r in data["installed"]}
    memory = rows[("pywry.state_backends", "memory")]
    assert (memory["distribution"], memory["version"]) == ("pywry-core", version("pywry-core"))
    assert memory["status"] == "ok"
    assert rows[("pywry.servers", "default")]["distribution"] == "pywry-server"
    assert "shared" in rows[("pywry.state_backends", "redis")]["capabilities"]
    text = _invoke("backends").output
    assert "pywry-state-sqlite" in text and "pywry.state_backends:" in text


def _tls_pair(tmp_path: Path, name: str) -> tuple[Path, Path]:
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run(
        [*command, "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_doctor_reports_every_problem_with_its_fix(tmp_path: Path) -> None:
    cert, _ = _tls_pair(tmp_path, "one")
    _, other_key = _tls_pair(tmp_path, "two")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        args = ["doctor", "--json", "--workers", "4", "--port", port]
        args += ["--ssl-certfile", str(cert), "--ssl-keyfile", str(other_key)]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    found = {f["topic"]: f for f in json.loads(result.output)["findings"]}
    problems = {topic for topic, f in found.items() if f["status"] == "error"}
    assert problems == {"workers", "tls", "port"}
    assert "PYWRY_DEPLOY__STATE_BACKEND=redis" in found["workers"]["fix"]
    assert "do not match" in found["tls"]["message"]
    assert "in use" in found["port"]["message"] and "--port" in found["port"]["fix"]
    assert all(f["fix"] for f in found.values() if f["status"] == "error")


def test_doctor_accepts_a_combined_pem_without_a_key_file(tmp_path: Path) -> None:
    cert, key = _tls_pair(tmp_path, "combined")
    combined = tmp_path / "combined.pem"
    combined.write_text(cert.read_text() + key.read_text())
    result = _invoke("doctor", "--json", "--port", "0", "--ssl-certfile", str(combined))
    assert result.exit_code == 0, result.output
    found = {f["topic"]: f for f in json.loads(result.output)["findings"]}
    assert found["tls"]["status"] == "ok" and "match" in found["tls"]["message"]


def test_doctor_passes_a_good_setup_and_names_unreachable_redis(tmp_path: Path) -> None:
    cert, key = _tls_pair(tmp_path, "good")
    good = _invoke("doctor", "--port", "0", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key))
    assert good.exit_code == 0, good.output
    assert good.output.strip().endswith("No problems found.")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    bad = CliRunner().invoke(
        main, ["doctor", "--port", "0", "--state-backend", "redis", "--redis-url", dead]
    )
    assert bad.exit_code == 1
    assert "PROBLEM  backend reachable: Cannot reach Redis" in bad.output
    assert "fix: start Redis, or correct PYWRY_DEPLOY__REDIS_URL" in bad.output


def test_doctor_on_sqlite_checks_sqlcipher_and_the_key_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    db = tmp_path / "db" / "pywry.db"
    result = _invoke(
        "doctor", "--json", "--port", "0", "--state-backend", "sqlite", "--sqlite-path", str(db)
    )
    found = {f["topic"]: f for f in json.loads(result.output)["findings"]}
    assert found["sqlcipher"]["status"] == "ok"
    assert found["database key"]["status"] == "warn"
    assert "PYWRY_SQLITE_KEY" in found["database key"]["fix"]
    assert "will be created" in found["backend reachable"]["message"]
    assert not db.exists()  # the doctor looks, it does not create
    assert result.exit_code == 0


def test_install_hints_name_the_checkout_folder_only_inside_a_checkout(tmp_path: Path) -> None:
    assert checkout_folder("pywry-state-redis", cwd=ROOT) == "./packages/pywry-state-redis"
    assert checkout_folder("pywry-state-redis", cwd=ROOT / "docs") == str(
        ROOT / "packages" / "pywry-state-redis"
    )
    assert checkout_folder("pywry-state-redis", cwd=tmp_path) is None
    assert checkout_folder("not-a-distribution", cwd=ROOT) is None


def test_python_dash_m_pywry_server_is_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pywry_server", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.startswith("Usage: pywry [OPTIONS] COMMAND")
    for command in ("serve", "config", "backends", "doctor"):
        assert f"  {command} " in result.stdout
