"""Settings of a worker's life: how it starts, when it is recycled, how it shows it is alive.

Two mixins that :mod:`pywry.config` folds into its sections, so the variables keep their
section's prefix (``PYWRY_SERVER__TIMEOUT_WORKER_HEALTHCHECK``,
``PYWRY_DEPLOY__HEARTBEAT_GRACE``) and the same sources and errors as every other setting.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

__all__ = ["HeartbeatSettings", "WorkerStartSettings"]

_DOCSTRINGS = ConfigDict(use_attribute_docstrings=True)


class WorkerStartSettings(BaseModel):
    """Fields of ``[server]``: how uvicorn's supervisor starts and recycles workers."""

    model_config = _DOCSTRINGS

    timeout_worker_healthcheck: int = Field(30, ge=1, le=3600)
    """Seconds a new worker may take to start, and to answer the supervisor's ping."""
    limit_max_requests_jitter: int | None = Field(None, ge=0)
    """Random extra requests (0..N) per worker before recycling (none: 10% of the limit)."""

    def max_requests_jitter(self, limit: int | None) -> int:
        """The jitter to give uvicorn for ``limit_max_requests`` = ``limit``."""
        if limit is None:
            return 0
        if self.limit_max_requests_jitter is None:
            return limit // 10
        return self.limit_max_requests_jitter


class HeartbeatSettings(BaseModel):
    """Fields of ``[deploy]``: the worker heartbeat that tells other workers it is alive."""

    model_config = _DOCSTRINGS

    heartbeat_interval: float = Field(2.0, gt=0, le=60)
    """Seconds between two heartbeats of a worker."""
    heartbeat_grace: float = Field(10.0, gt=0, le=600)
    """Seconds without a heartbeat after which a worker counts as dead."""

    @field_validator("heartbeat_grace")
    @classmethod
    def _longer_than_interval(cls, value: float, info: ValidationInfo) -> float:
        interval = info.data.get("heartbeat_interval")
        if isinstance(interval, float) and value < 2 * interval:
            raise ValueError(
                f"must be at least twice heartbeat_interval ({interval:g} s), so one late "
                "heartbeat does not make a live worker look dead"
            )
        return value
