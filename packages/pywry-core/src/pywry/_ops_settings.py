"""The operations fields of ``PYWRY_SERVER__*``: metrics and log format.

Kept beside :mod:`pywry.config` (whose :class:`~pywry.config.ServerSettings` inherits
them) so that module stays about the server itself; the variables are the server's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

__all__ = ["LogFormat", "OperationsFields"]

LogFormat = Literal["text", "json"]


class OperationsFields(BaseModel):
    """What operators read: ``/metrics`` and the shape of log lines."""

    model_config = ConfigDict(extra="forbid", validate_default=True, use_attribute_docstrings=True)

    metrics_enabled: bool = False
    """Serve Prometheus metrics at /metrics (all workers' counts in every scrape)."""
    metrics_token: SecretStr | None = None
    """Authorization: Bearer <token> required on /metrics (needed when auth is on)."""
    log_format: LogFormat = "text"
    """Log lines as text or as JSON objects (json: one per line, with request ids)."""

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (a random token), or unset")
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value
