"""Settings: every server, SSL and deploy option, from env vars and config files.

Sources, lowest priority first (later ones win, field by field):

1. ``~/.config/pywry/config.toml`` (``$XDG_CONFIG_HOME/pywry/config.toml``)
2. ``[tool.pywry]`` in ``pyproject.toml`` of the working directory
3. ``pywry.toml`` in the working directory
4. the file named by ``PYWRY_CONFIG_FILE`` (an error if it does not exist)
5. environment variables: ``PYWRY_SERVER__PORT``, ``PYWRY_DEPLOY__STATE_BACKEND``, ...
6. keyword arguments given to :func:`load_settings`

Files use the same nesting as the variables::

    [server]
    port = 8080

    [deploy]
    state_backend = "redis"

A malformed file or a bad value raises :class:`~pywry.errors.ConfigurationError`
naming the file or the environment variable.

State backends add their own fields to the ``deploy`` section: a backend class names a
pydantic model in ``settings_model`` and its fields are read like PyWry's own (same
sources, same precedence, errors naming ``PYWRY_DEPLOY__<FIELD>``). Every installed
backend's fields are read, so ``deploy.redis_url`` exists whenever pywry-state-redis is
installed; a backend gets its own typed model with :meth:`DeploySettings.backend_settings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from pywry._backend_settings import backend_settings_models, read_backend_settings
from pywry._config_files import FileSource, config_files, file_origins
from pywry._files_settings import FileSettings
from pywry._lifecycle_settings import HeartbeatSettings, WorkerStartSettings
from pywry._oidc_settings import OIDCSettings
from pywry._setting_values import frame_ancestor_sources, holds_private_key, split_list
from pywry.errors import ConfigurationError

__all__ = [
    "DeploySettings",
    "PyWrySettings",
    "ServerSettings",
    "backend_settings_models",
    "config_files",
    "env_var_for",
    "file_origins",
    "frame_ancestor_sources",
    "load_settings",
]

ENV_PREFIX = "PYWRY_"
ENV_DELIMITER = "__"
LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]
LogFormat = Literal["text", "json"]
M = TypeVar("M", bound=BaseModel)


def env_var_for(*loc: str | int) -> str:
    """The environment variable of a setting: ``env_var_for("server", "port")``."""
    return ENV_PREFIX + ENV_DELIMITER.join(str(part).upper() for part in loc)


class _Section(BaseModel):
    # Each field's docstring is its description (``pywry --help``, ``pywry config show``).
    model_config = ConfigDict(extra="forbid", validate_default=True, use_attribute_docstrings=True)


class ServerSettings(_Section, WorkerStartSettings):
    """``PYWRY_SERVER__*``: the uvicorn server and the HTTP/WebSocket surface.

    Plus how workers start and recycle (:mod:`pywry._lifecycle_settings`).
    """

    host: str = "127.0.0.1"
    """Bind address."""
    port: int = Field(8765, ge=0, le=65535)
    """Server port (0: any free port)."""
    workers: int = Field(1, ge=1)
    """Uvicorn worker processes (more than 1 needs a shared state backend)."""
    log_level: LogLevel = "info"
    """Log level of uvicorn and PyWry."""
    access_log: bool = True
    """Log every HTTP request."""
    reload: bool = False
    """Restart on code changes (development only)."""
    timeout_keep_alive: int = Field(5, ge=0)
    """Seconds an idle HTTP keep-alive connection stays open."""
    timeout_graceful_shutdown: int | None = Field(None, ge=0)
    """Seconds to wait for open requests on shutdown (none: no limit)."""
    limit_concurrency: int | None = Field(None, ge=1)
    """Most concurrent connections before new ones get 503."""
    limit_max_requests: int | None = Field(None, ge=1)
    """Requests a worker serves before it is replaced."""
    backlog: int = Field(2048, ge=1)
    """Pending connections the listening socket queues."""
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])
    """Allowed CORS origins (a JSON list or comma-separated); WebSockets also accept these."""
    widget_prefix: str = "/widget"
    """URL path prefix of widget pages, data and sockets."""
    ssl_certfile: str | None = None
    """TLS certificate (PEM) for HTTPS."""
    ssl_keyfile: str | None = None
    """TLS private key (PEM) of the certificate."""
    ssl_keyfile_password: SecretStr | None = None
    """Password of an encrypted TLS private key."""
    ssl_ca_certs: str | None = None
    """CA bundle for verifying client certificates."""
    max_message_bytes: int = Field(1_048_576, ge=1024)
    """Largest inbound WebSocket message, in bytes."""
    event_buffer_size: int = Field(1000, ge=1)
    """Server-to-browser events kept per widget for replay after a reconnect."""
    replay_max_bytes: int = Field(1_048_576, ge=1024)
    """Most bytes of missed events replayed to one reconnecting page; more: it reloads."""
    socket_queue_size: int = Field(1000, ge=16, le=100_000)
    """Frames queued for one socket before it counts as too slow and is closed (4408)."""
    send_timeout: float = Field(10.0, gt=0, le=300)
    """Seconds one send to a socket may take before it counts as stalled and is closed."""
    max_running_callbacks: int = Field(1000, ge=1, le=1_000_000)
    """Browser events whose callbacks may run at once per worker; more get 'unavailable'."""
    # -- browser-facing security (docs/security.md) ------------------------------------
    frame_ancestors: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["'none'"])
    """Who may put PyWry pages in a frame: 'none' (default), 'self' and origins."""
    api_docs: bool = False
    """Serve /openapi.json and /docs, its routes as a page (behind a session with auth on)."""
    readyz_token: SecretStr | None = None
    """Authorization: Bearer <token> on /readyz gets worker and backend details."""
    csp_allow_eval: bool = False
    """Add 'unsafe-eval' to pages' script-src: plotly.js WebGL traces need it."""
    hsts_max_age: int = Field(31_536_000, ge=0)
    """Strict-Transport-Security max-age on HTTPS responses; 0 sends none."""
    event_rate: float = Field(100.0, gt=0, le=100_000)
    """Browser events one socket may send per second, sustained (a token bucket)."""
    event_burst: int = Field(200, ge=1, le=100_000)
    """Browser events one socket may send at once; over the budget: error rate_limited."""
    ws_per_message_deflate: bool = False
    """Offer permessage-deflate on WebSockets (its inflated size is capped too)."""
    # -- operations (docs/operations.md) ------------------------------------------------
    log_format: LogFormat = "text"
    """Log lines as text, or as one JSON object each (with request and connection ids)."""
    metrics_enabled: bool = False
    """Serve Prometheus metrics at /metrics (every scrape counts all workers)."""
    metrics_token: SecretStr | None = None
    """Authorization: Bearer <token> required on /metrics (required when auth is on)."""

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower_level(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("frame_ancestors", mode="before")
    @classmethod
    def _ancestors_list(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("frame_ancestors")
    @classmethod
    def _ancestors(cls, value: list[str]) -> list[str]:
        return frame_ancestor_sources(value)

    @field_validator("readyz_token", "metrics_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (a random token), or unset")
        return value

    @field_validator("widget_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        cleaned = "/" + value.strip().strip("/")
        if cleaned == "/" or any(c in cleaned for c in " ?#{}"):
            raise ValueError("must be a URL path such as '/widget' (not '/', no spaces or ?#{})")
        return cleaned

    @field_validator("ssl_certfile", "ssl_keyfile", "ssl_ca_certs")
    @classmethod
    def _file_exists(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        path = Path(value).expanduser()
        if not path.is_file():
            raise ValueError(f"file {str(path)!r} does not exist")
        return str(path)

    @model_validator(mode="after")
    def _ssl_pair(self) -> ServerSettings:
        cert, key = env_var_for("server", "ssl_certfile"), env_var_for("server", "ssl_keyfile")
        if self.ssl_keyfile and not self.ssl_certfile:
            raise ValueError(f"{key} is set but {cert} is not; HTTPS needs the certificate too")
        if self.ssl_certfile and not self.ssl_keyfile and not holds_private_key(self.ssl_certfile):
            raise ValueError(
                f"{cert}={self.ssl_certfile!r} holds no private key and {key} is not set; "
                f"set {key} to the certificate's key, or give one PEM file holding both"
            )
        return self


class DeploySettings(_Section, HeartbeatSettings, OIDCSettings, FileSettings):
    """``PYWRY_DEPLOY__*``: the state backend and multi-worker behaviour.

    Plus the worker heartbeat (:mod:`pywry._lifecycle_settings`), the OpenID Connect
    login (:mod:`pywry._oidc_settings`) and downloads (:mod:`pywry._files_settings`).

    Plus the fields of every installed state backend's ``settings_model`` (see the
    module docstring); any other key is an error.
    """

    model_config = ConfigDict(extra="allow")
    _backends: dict[type[BaseModel], BaseModel] = PrivateAttr(default_factory=dict)

    enabled: bool = False
    """Deploy mode on (also set by get_server_app() and pywry serve)."""
    state_backend: str = "memory"
    """State backend, by entry-point name: memory, sqlite, redis, ..."""
    widget_ttl: int = Field(86400, ge=1)
    """Seconds a widget lives after its last use."""
    connection_ttl: int = Field(300, ge=1)
    """Seconds a connection's routing entry lives without a heartbeat."""
    session_ttl: int = Field(86400, ge=1)
    """Seconds a session (and a viewer's state) lives after its last use."""
    session_max_age: int = Field(604_800, ge=1)
    """Seconds a session lives at most from its login, however often it is used."""
    worker_id: str | None = None
    """This worker's id (default: host-pid-random)."""
    auth_enabled: bool = False
    """Require a session for widget pages, data and sockets."""
    viewer_state_max_bytes: int = Field(65_536, ge=1024, le=16_777_216)
    """Largest ctx.state of one viewer, as JSON bytes."""

    @field_validator("state_backend")
    @classmethod
    def _backend_name(cls, value: str) -> str:
        name = value.strip().lower()
        if not name:
            raise ValueError("must name a state backend such as 'memory', 'sqlite' or 'redis'")
        return name

    @field_validator("worker_id")
    @classmethod
    def _worker_id(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _read_backend_settings(self) -> Self:
        """Validate the keys beyond PyWry's own against the backends' settings models."""
        given = dict(self.__pydantic_extra__ or {})
        self._backends = read_backend_settings(given, type(self).model_fields)
        self.__pydantic_extra__ = {
            field: getattr(section, field)
            for section in self._backends.values()
            for field in type(section).model_fields
        }
        return self

    def backend_settings(self, model: type[M]) -> M:
        """The settings a state backend declared (its ``settings_model``), read from here.

        ``PyWrySettings().deploy.backend_settings(RedisSettings).redis_url``. Raises
        :class:`~pywry.errors.ConfigurationError` naming the variable of a bad value.
        """
        section = self._backends.get(model)
        if isinstance(section, model):
            return section
        given = self.__pydantic_extra__ or {}
        try:
            found = model.model_validate({k: given[k] for k in model.model_fields if k in given})
        except ValidationError as exc:
            raise _configuration_error(exc, prefix=("deploy",)) from None
        self._backends[model] = found
        return found


_last_file_source: list[FileSource] = []


class PyWrySettings(BaseSettings):
    """All of PyWry's settings. Build it with :func:`load_settings` for clear errors."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
    )

    server: ServerSettings = Field(default_factory=ServerSettings)  # type: ignore[arg-type]
    deploy: DeploySettings = Field(default_factory=DeploySettings)  # type: ignore[arg-type]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = FileSource(settings_cls)
        _last_file_source[:] = [files]
        return init_settings, env_settings, files


def _is_secret(loc: tuple[str, ...]) -> bool:
    """Whether ``(section, field)`` is a :class:`SecretStr` setting of PyWry's own."""
    section = PyWrySettings.model_fields.get(loc[0]) if len(loc) == 2 else None
    fields = getattr(section.annotation, "model_fields", {}) if section else {}
    field = fields.get(loc[1])
    return field is not None and "SecretStr" in str(field.annotation)


def _describe(error: Any, files: FileSource | None) -> str:
    loc = tuple(str(part) for part in error["loc"] if not isinstance(part, int))[:2]
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    shown = "" if isinstance(value, dict) or value is None else f"={value!r}"
    if shown and _is_secret(loc):
        shown = "=********"  # a rejected token or password is still a secret
    if len(loc) < 2:  # a check across a section's fields: its message names them
        return message
    where = env_var_for(*loc)
    origin = files.origins.get(loc) if files else None
    env_set = where in {name.upper() for name in os.environ}
    if origin is not None and not env_set:
        return f"{where}{shown} (from {origin}): {message}"
    return f"{where}{shown}: {message}"


def _configuration_error(
    exc: ValidationError, *, prefix: tuple[str, ...] = ()
) -> ConfigurationError:
    """One error naming each bad variable (and the file that set it)."""
    files = _last_file_source[0] if _last_file_source else None
    lines = [_describe({**error, "loc": (*prefix, *error["loc"])}, files) for error in exc.errors()]
    if len(lines) == 1:  # the common case reads as one line
        one_field = len((*prefix, *exc.errors()[0]["loc"])) >= 2
        return ConfigurationError(f"Invalid PyWry setting{' ' if one_field else 's: '}{lines[0]}")
    return ConfigurationError("Invalid PyWry settings:\n  " + "\n  ".join(lines))


def load_settings(**overrides: Any) -> PyWrySettings:
    """Read the settings, raising :class:`ConfigurationError` that names each bad variable.

    ``overrides`` are nested like the settings: ``load_settings(server={"port": 0})``.
    """
    try:
        return PyWrySettings(**overrides)
    except ValidationError as exc:
        raise _configuration_error(exc) from None
    except ValueError as exc:
        # pydantic-settings raises SettingsError (a ValueError) for undecodable env JSON.
        raise ConfigurationError(f"Invalid PyWry settings: {exc}") from exc
