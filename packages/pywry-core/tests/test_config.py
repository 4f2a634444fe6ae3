"""Settings: the spec's defaults, env vars, config files and clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pywry.config import PyWrySettings, env_var_for, load_settings
from pywry.errors import ConfigurationError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PYWRY_* variables, no user config, and an empty working directory."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("PYWRY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_defaults_match_the_spec_tables() -> None:
    s = load_settings()
    assert (s.server.host, s.server.port, s.server.workers) == ("127.0.0.1", 8765, 1)
    assert (s.server.log_level, s.server.access_log, s.server.reload) == ("info", True, False)
    assert s.server.timeout_keep_alive == 5
    assert s.server.timeout_graceful_shutdown is None
    assert s.server.limit_concurrency is None
    assert s.server.limit_max_requests is None
    assert s.server.backlog == 2048
    assert s.server.cors_origins == ["*"]
    assert s.server.widget_prefix == "/widget"
    assert s.server.ssl_certfile is s.server.ssl_keyfile is None
    assert s.server.ssl_keyfile_password is s.server.ssl_ca_certs is None
    assert (s.server.event_rate, s.server.event_burst) == (100.0, 200)
    assert s.server.ws_per_message_deflate is False
    d = s.deploy
    assert d.state_backend == "memory"
    assert d.sqlite_path == "~/.config/pywry/pywry.db"
    assert d.redis_url == "redis://localhost:6379/0"
    assert (d.redis_prefix, d.redis_pool_size) == ("pywry", 10)
    assert (d.widget_ttl, d.connection_ttl, d.session_ttl) == (86400, 300, 86400)
    assert d.session_max_age == 604_800  # a week from login, however often used
    assert d.worker_id is None
    assert d.auth_enabled is False


def test_security_defaults() -> None:
    s = load_settings().server
    assert s.frame_ancestors == ["'none'"]
    assert s.api_docs is False
    assert s.readyz_token is None
    assert s.hsts_max_age == 31_536_000
    assert s.csp_allow_eval is False


@pytest.mark.parametrize(
    ("var", "raw", "section", "field", "expected"),
    [
        ("PYWRY_SERVER__HOST", "0.0.0.0", "server", "host", "0.0.0.0"),
        ("PYWRY_SERVER__PORT", "8080", "server", "port", 8080),
        ("PYWRY_SERVER__WORKERS", "4", "server", "workers", 4),
        ("PYWRY_SERVER__LOG_LEVEL", "DEBUG", "server", "log_level", "debug"),
        ("PYWRY_SERVER__ACCESS_LOG", "false", "server", "access_log", False),
        ("PYWRY_SERVER__RELOAD", "true", "server", "reload", True),
        ("PYWRY_SERVER__TIMEOUT_KEEP_ALIVE", "30", "server", "timeout_keep_alive", 30),
        (
            "PYWRY_SERVER__TIMEOUT_GRACEFUL_SHUTDOWN",
            "10",
            "server",
            "timeout_graceful_shutdown",
            10,
        ),
        ("PYWRY_SERVER__LIMIT_CONCURRENCY", "500", "server", "limit_concurrency", 500),
        ("PYWRY_SERVER__LIMIT_MAX_REQUESTS", "1000", "server", "limit_max_requests", 1000),
        ("PYWRY_SERVER__BACKLOG", "128", "server", "backlog", 128),
        ("PYWRY_SERVER__WIDGET_PREFIX", "/apps/", "server", "widget_prefix", "/apps"),
        ("PYWRY_SERVER__EVENT_RATE", "2.5", "server", "event_rate", 2.5),
        ("PYWRY_SERVER__EVENT_BURST", "40", "server", "event_burst", 40),
        (
            "PYWRY_SERVER__WS_PER_MESSAGE_DEFLATE",
            "true",
            "server",
            "ws_per_message_deflate",
            True,
        ),
        ("PYWRY_DEPLOY__STATE_BACKEND", "Redis", "deploy", "state_backend", "redis"),
        ("PYWRY_DEPLOY__SQLITE_PATH", "/data/p.db", "deploy", "sqlite_path", "/data/p.db"),
        (
            "PYWRY_DEPLOY__REDIS_URL",
            "rediss://:pw@h:6380/1",
            "deploy",
            "redis_url",
            "rediss://:pw@h:6380/1",
        ),
        ("PYWRY_DEPLOY__REDIS_PREFIX", "app1", "deploy", "redis_prefix", "app1"),
        ("PYWRY_DEPLOY__REDIS_POOL_SIZE", "100", "deploy", "redis_pool_size", 100),
        ("PYWRY_DEPLOY__WIDGET_TTL", "60", "deploy", "widget_ttl", 60),
        ("PYWRY_DEPLOY__CONNECTION_TTL", "30", "deploy", "connection_ttl", 30),
        ("PYWRY_DEPLOY__SESSION_TTL", "600", "deploy", "session_ttl", 600),
        ("PYWRY_DEPLOY__SESSION_MAX_AGE", "3600", "deploy", "session_max_age", 3600),
        ("PYWRY_DEPLOY__WORKER_ID", "w-1", "deploy", "worker_id", "w-1"),
        ("PYWRY_DEPLOY__AUTH_ENABLED", "1", "deploy", "auth_enabled", True),
        ("PYWRY_SERVER__FRAME_ANCESTORS", "self", "server", "frame_ancestors", ["'self'"]),
        (
            "PYWRY_SERVER__FRAME_ANCESTORS",
            "'self', https://Portal.example.com/",
            "server",
            "frame_ancestors",
            ["'self'", "https://portal.example.com"],
        ),
        (
            "PYWRY_SERVER__FRAME_ANCESTORS",
            '["https://*.example.com:8443"]',
            "server",
            "frame_ancestors",
            ["https://*.example.com:8443"],
        ),
        ("PYWRY_SERVER__API_DOCS", "true", "server", "api_docs", True),
        ("PYWRY_SERVER__HSTS_MAX_AGE", "0", "server", "hsts_max_age", 0),
        ("PYWRY_SERVER__CSP_ALLOW_EVAL", "true", "server", "csp_allow_eval", True),
        ("PYWRY_SERVER__READYZ_TOKEN", "", "server", "readyz_token", None),
    ],
)
def test_every_env_var_sets_its_setting(
    monkeypatch: pytest.MonkeyPatch, var: str, raw: str, section: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(var, raw)
    assert env_var_for(section, field) == var
    assert getattr(getattr(load_settings(), section), field) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('["https://a.example", "https://b.example"]', ["https://a.example", "https://b.example"]),
        ("https://a.example, https://b.example", ["https://a.example", "https://b.example"]),
        ("*", ["*"]),
    ],
)
def test_cors_origins_from_json_or_commas(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[str]
) -> None:
    monkeypatch.setenv("PYWRY_SERVER__CORS_ORIGINS", raw)
    assert load_settings().server.cors_origins == expected


@pytest.mark.parametrize(
    ("var", "raw"),
    [
        ("PYWRY_SERVER__PORT", "eighty"),
        ("PYWRY_SERVER__PORT", "70000"),
        ("PYWRY_SERVER__WORKERS", "0"),
        ("PYWRY_SERVER__LOG_LEVEL", "loud"),
        ("PYWRY_DEPLOY__REDIS_POOL_SIZE", "0"),
        ("PYWRY_DEPLOY__REDIS_POOL_SIZE", "101"),
        ("PYWRY_DEPLOY__REDIS_URL", "http://localhost"),
        ("PYWRY_DEPLOY__WIDGET_TTL", "-5"),
        ("PYWRY_DEPLOY__SESSION_MAX_AGE", "0"),
        ("PYWRY_SERVER__CORS_ORIGINS", "[not json"),
        ("PYWRY_SERVER__SSL_CERTFILE", "/nonexistent/cert.pem"),
        ("PYWRY_SERVER__FRAME_ANCESTORS", "'none', 'self'"),
        ("PYWRY_SERVER__FRAME_ANCESTORS", "*"),
        ("PYWRY_SERVER__FRAME_ANCESTORS", "javascript:alert(1)"),
        ("PYWRY_SERVER__FRAME_ANCESTORS", "https://a.example; script-src *"),
        ("PYWRY_SERVER__FRAME_ANCESTORS", "[]"),
        ("PYWRY_SERVER__API_DOCS", "maybe"),
        ("PYWRY_SERVER__HSTS_MAX_AGE", "-1"),
        ("PYWRY_SERVER__READYZ_TOKEN", "short"),
        ("PYWRY_SERVER__EVENT_RATE", "0"),
        ("PYWRY_SERVER__EVENT_RATE", "fast"),
        ("PYWRY_SERVER__EVENT_BURST", "0"),
        ("PYWRY_SERVER__WS_PER_MESSAGE_DEFLATE", "maybe"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, var: str, raw: str) -> None:
    monkeypatch.setenv(var, raw)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert var in str(info.value)


def test_key_password_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_SERVER__SSL_KEYFILE_PASSWORD", "hunter2")
    settings = load_settings()
    assert settings.server.ssl_keyfile_password is not None
    assert settings.server.ssl_keyfile_password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings)


def test_readyz_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_SERVER__READYZ_TOKEN", "operator-token-0123456789")
    settings = load_settings()
    assert settings.server.readyz_token is not None
    assert settings.server.readyz_token.get_secret_value() == "operator-token-0123456789"
    assert "operator-token" not in repr(settings)


@pytest.mark.parametrize("name", ["PYWRY_SERVER__READYZ_TOKEN", "PYWRY_SERVER__METRICS_TOKEN"])
def test_a_rejected_token_is_not_printed(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "short-secret")
    with pytest.raises(ConfigurationError, match="at least 16 characters") as caught:
        load_settings()
    assert "short-secret" not in str(caught.value)
    assert f"{name}=********" in str(caught.value)


def test_metrics_and_log_format_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    server = load_settings().server
    assert (server.metrics_enabled, server.metrics_token, server.log_format) == (
        False,
        None,
        "text",
    )
    monkeypatch.setenv("PYWRY_SERVER__LOG_FORMAT", " JSON ")
    monkeypatch.setenv("PYWRY_SERVER__METRICS_ENABLED", "true")
    monkeypatch.setenv("PYWRY_SERVER__METRICS_TOKEN", "m" * 16)
    server = load_settings().server
    assert (server.log_format, server.metrics_enabled) == ("json", True)
    assert server.metrics_token is not None and server.metrics_token.get_secret_value() == "m" * 16
    monkeypatch.setenv("PYWRY_SERVER__LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match="PYWRY_SERVER__LOG_FORMAT"):
        load_settings()


def test_ssl_certfile_needs_a_key_file_or_a_key_inside(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("PYWRY_SERVER__SSL_CERTFILE", str(cert))
    with pytest.raises(
        ConfigurationError, match=r"holds no private key.*PYWRY_SERVER__SSL_KEYFILE"
    ):
        load_settings()
    key = tmp_path / "key.pem"
    key.write_text("x")
    monkeypatch.setenv("PYWRY_SERVER__SSL_KEYFILE", str(key))
    assert load_settings().server.ssl_keyfile == str(key)


def test_ssl_combined_pem_needs_no_key_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    combined = tmp_path / "combined.pem"
    combined.write_text(
        "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"
        "-----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----\n"
    )
    monkeypatch.setenv("PYWRY_SERVER__SSL_CERTFILE", str(combined))
    server = load_settings().server
    assert (server.ssl_certfile, server.ssl_keyfile) == (str(combined), None)


def test_ssl_keyfile_alone_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("x")
    monkeypatch.setenv("PYWRY_SERVER__SSL_KEYFILE", str(key))
    with pytest.raises(ConfigurationError, match="PYWRY_SERVER__SSL_CERTFILE is not"):
        load_settings()


def test_config_file_priority_and_env_wins(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, tmp_path: Path
) -> None:
    user = tmp_path / "xdg" / "pywry" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[server]\nport = 1001\nhost = "10.0.0.1"\nbacklog = 7\n')
    (clean_env / "pyproject.toml").write_text("[tool.pywry.server]\nport = 1002\nworkers = 2\n")
    (clean_env / "pywry.toml").write_text("[server]\nport = 1003\n")
    named = tmp_path / "named.toml"
    named.write_text('[deploy]\nredis_prefix = "named"\n[server]\nport = 1004\n')
    monkeypatch.setenv("PYWRY_CONFIG_FILE", str(named))
    s = load_settings()
    assert (s.server.host, s.server.backlog, s.server.workers) == ("10.0.0.1", 7, 2)
    assert s.server.port == 1004
    assert s.deploy.redis_prefix == "named"
    monkeypatch.setenv("PYWRY_SERVER__PORT", "1005")
    assert load_settings().server.port == 1005
    assert load_settings(server={"port": 1006}).server.port == 1006


def test_malformed_file_is_an_error(clean_env: Path) -> None:
    (clean_env / "pywry.toml").write_text("[server\nport = 1")
    with pytest.raises(ConfigurationError, match=r"pywry\.toml is not valid TOML"):
        load_settings()


def test_bad_value_in_file_names_file_and_variable(clean_env: Path) -> None:
    (clean_env / "pywry.toml").write_text('[server]\nport = "x"\n')
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert "PYWRY_SERVER__PORT" in str(info.value)
    assert "pywry.toml" in str(info.value)


def test_unknown_key_in_file_is_an_error(clean_env: Path) -> None:
    (clean_env / "pywry.toml").write_text("[server]\nprot = 1\n")
    with pytest.raises(ConfigurationError, match="PYWRY_SERVER__PROT"):
        load_settings()


def test_missing_named_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_CONFIG_FILE", "/nonexistent/pywry.toml")
    with pytest.raises(ConfigurationError, match="PYWRY_CONFIG_FILE"):
        load_settings()


def test_settings_class_is_public() -> None:
    assert isinstance(load_settings(), PyWrySettings)


@pytest.mark.parametrize(
    ("deploy", "says"),
    [
        ({"oidc_issuer": "https://login.example.com", "auth_enabled": True}, "OIDC_CLIENT_ID"),
        ({"oidc_issuer": "https://login.example.com", "oidc_client_id": "x"}, "AUTH_ENABLED"),
        (
            {
                "oidc_issuer": "http://login.example.com",
                "oidc_client_id": "x",
                "auth_enabled": True,
            },
            "must use https",
        ),
        ({"oidc_redirect_url": "ftp://x"}, "http(s) URL"),
    ],
)
def test_an_incomplete_or_unsafe_login_setting_stops_start_up(
    deploy: dict[str, object], says: str
) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(says)):
        load_settings(deploy=deploy)


def test_the_login_settings_default_to_off_and_openid_is_always_asked_for() -> None:
    settings = load_settings(
        deploy={
            "oidc_issuer": "https://login.example.com/",
            "oidc_client_id": "app",
            "oidc_client_secret": "s3cret",
            "oidc_scopes": "email,roles",
            "auth_enabled": True,
        }
    )
    assert load_settings().deploy.oidc_issuer is None
    assert settings.deploy.oidc_issuer == "https://login.example.com"
    assert settings.deploy.oidc_scopes == ["openid", "email", "roles"]
    assert "s3cret" not in repr(settings)
