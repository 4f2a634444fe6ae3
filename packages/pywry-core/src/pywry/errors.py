"""Exceptions raised by PyWry.

The hierarchy::

    PyWryError
    ├── ConfigurationError            a setting or config file is invalid
    │   ├── BackendNotFoundError      no state backend by that name is installed
    │   └── ServerNotInstalledError   no ``pywry.servers`` entry point is installed
    ├── WidgetError
    │   ├── WidgetNotFoundError       no widget with that label exists
    │   └── InvalidEventError         an event name or payload is not acceptable
    ├── AccessError                   per-widget access misused (``private`` outside a session)
    ├── ViewerStateError              ``ctx.state`` got a value it cannot keep
    ├── OutboxFullError               widget updates pile up faster than they are sent
    ├── DownloadError                 ``widget.download()`` cannot offer this file
    ├── UploadError                   an uploaded file cannot be read (not this viewer's, gone)
    ├── OptionalDependencyError       a user-side library (plotly, pandas) is missing
    └── BackendError                  the state backend failed
        └── BackendUnavailableError   the backend cannot be reached right now
"""

from __future__ import annotations

__all__ = [
    "AccessError",
    "BackendError",
    "BackendNotFoundError",
    "BackendUnavailableError",
    "ConfigurationError",
    "DownloadError",
    "InvalidEventError",
    "OptionalDependencyError",
    "OutboxFullError",
    "PyWryError",
    "ServerNotInstalledError",
    "UploadError",
    "ViewerStateError",
    "WidgetError",
    "WidgetNotFoundError",
]


class PyWryError(Exception):
    """Base class of every error PyWry raises on purpose."""


class ConfigurationError(PyWryError):
    """A setting, environment variable or config file holds an invalid value."""


class BackendNotFoundError(ConfigurationError):
    """The configured state backend is not installed or not known."""


class ServerNotInstalledError(ConfigurationError):
    """``get_server_app()`` or ``deploy()`` was called without ``pywry-server``."""


class WidgetError(PyWryError):
    """Base class of widget errors."""


class WidgetNotFoundError(WidgetError, LookupError):
    """No widget is registered under the requested label.

    The message names the asked label only: it reaches 404 bodies, and the labels a
    worker holds (other users' run-time widgets among them) are not the caller's to see.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        super().__init__(
            f"No widget with label {label!r} is registered. "
            "Create it with show(), show_plotly() or show_dataframe() first, "
            "and pass its `.label`."
        )


class InvalidEventError(WidgetError, ValueError):
    """An event name or payload does not follow the protocol."""


class OptionalDependencyError(PyWryError, ImportError):
    """A library needed only by some widgets is not installed."""

    def __init__(self, package: str, feature: str) -> None:
        self.package = package
        super().__init__(f"{feature} needs the {package!r} package: pip install {package}")


class BackendError(PyWryError):
    """The state backend failed to carry out an operation."""


class BackendUnavailableError(BackendError):
    """The state backend cannot be reached (for example Redis is down)."""


class AccessError(PyWryError, ValueError):
    """Per-widget access was asked for in a way that cannot work.

    For example ``show(..., private=True)`` outside any session (at import time, in a
    thread no request or callback started), or roles that are not a list of names.
    """


class ViewerStateError(PyWryError, ValueError):
    """A viewer's ``ctx.state`` would exceed its size limit or hold a non-JSON value."""


class OutboxFullError(PyWryError, RuntimeError):
    """Too many widget updates wait for the server loop (see ``pywry.runtime.OUTBOX_LIMIT``)."""


class UploadError(PyWryError, ValueError):
    """An uploaded file's id is not valid, not the answered viewer's, or the file is gone."""


class DownloadError(PyWryError, ValueError):
    """``widget.download()`` was called outside a callback, with a file over
    ``PYWRY_DEPLOY__DOWNLOAD_MAX_BYTES``, or with a source it cannot read."""
