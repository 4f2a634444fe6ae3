"""Log lines: text or JSON (``PYWRY_SERVER__LOG_FORMAT``), with request and socket ids.

Three context variables say what a line is about: ``request_id`` (set for each HTTP
request and WebSocket handshake by :func:`take_request_id`, from a well-formed
``X-Request-ID`` or a new one, and echoed in the response), ``connection_id`` and
``viewer_id`` (set by the socket endpoint, ``ws.py``). :class:`LogContext`, a filter on
every handler, copies them onto each record, so uvicorn's own lines (the access log
included) carry them too; callbacks inherit them (they run in copies of the context).

In JSON each line is one object: ``time``, ``level``, ``logger``, ``message``, ``pid``,
the ids that are known, ``exception`` for a traceback, and for an access line
``client``, ``method``, ``path``, ``http_version`` and ``status``.

:func:`log_config` is the ``logging.config.dictConfig`` the runner hands to uvicorn;
:func:`apply_log_format` applies it when the app is built, so ``uvicorn my_app:app``
logs JSON from its workers too (its supervisor needs ``--log-config``: docs/operations).
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
import logging.config
import re
import time
from typing import TYPE_CHECKING, Any

from uvicorn.config import LOG_LEVELS, LOGGING_CONFIG

from pywry_server import _tokens

if TYPE_CHECKING:
    from pywry.config import ServerSettings

__all__ = [
    "JsonFormatter",
    "LogContext",
    "apply_log_format",
    "bind_socket",
    "bind_viewer",
    "log_config",
    "take_request_id",
]

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pywry_request_id", default=None
)
connection_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pywry_connection_id", default=None
)
viewer_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pywry_viewer_id", default=None
)
_IDS = (("request_id", request_id), ("connection_id", connection_id), ("viewer_id", viewer_id))
#: An ``X-Request-ID`` that is taken as it is: short, and safe in any log or header.
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


def bind_socket(connection: str) -> None:
    """Lines from now on, in this task and the ones it starts, are about this socket."""
    connection_id.set(connection)


def bind_viewer(viewer: str) -> None:
    viewer_id.set(viewer)


class LogContext(logging.Filter):
    """Puts the ids of the current request or socket on each record (``None`` if unknown).

    An id given explicitly (``extra={"connection_id": ...}``) is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _IDS:
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring for its keys)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for name, _ in _IDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            line.update(zip(_ACCESS_FIELDS, args, strict=True))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def log_config(server: ServerSettings) -> dict[str, Any]:
    """uvicorn's logging configuration with PyWry's logger, in the chosen format."""
    config = copy.deepcopy(LOGGING_CONFIG)
    level = server.log_level.upper() if server.log_level != "trace" else "DEBUG"
    config["loggers"]["pywry"] = {"handlers": ["default"], "level": level, "propagate": False}
    config["filters"] = {"context": {"()": "pywry_server.logs.LogContext"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["context"]
    if server.log_format == "json":
        config["formatters"] = {"json": {"()": "pywry_server.logs.JsonFormatter"}}
        for handler in config["handlers"].values():
            handler["formatter"] = "json"
            handler["stream"] = "ext://sys.stderr"  # access lines too: one stream of JSON
    return config


def apply_log_format(server: ServerSettings) -> None:
    """Configure logging for JSON now (the app is built in a worker uvicorn configured)."""
    if server.log_format != "json":
        return
    config = log_config(server)
    logging.config.dictConfig(config)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # as uvicorn sets them
        logging.getLogger(name).setLevel(LOG_LEVELS[server.log_level])
    if not server.access_log:
        logging.getLogger("uvicorn.access").handlers.clear()


def take_request_id(given: bytes) -> str:
    """The id of one HTTP request or handshake, bound for its log lines (see :mod:`edge`).

    A client's ``X-Request-ID`` (``given``) is kept when it is 1-64 characters of
    ``A-Z a-z 0-9 . _ : -``; otherwise (or without one) a new id is made. Each request
    runs in its own task, so the id never leaks into the next one.
    """
    text = given.decode("latin-1")
    rid = text if _GIVEN_ID.fullmatch(text) else _tokens.token_hex(16)
    request_id.set(rid)
    return rid
