"""The Redis backend's settings: ``PYWRY_DEPLOY__REDIS_*`` (``[deploy]`` in config files)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["RedisSettings"]


class RedisSettings(BaseModel):
    """Where Redis is and how this backend uses it."""

    model_config = ConfigDict(extra="forbid", validate_default=True, use_attribute_docstrings=True)

    redis_url: str = "redis://localhost:6379/0"
    """Connection URL of the redis backend."""
    redis_prefix: str = "pywry"
    """Key namespace in Redis."""
    redis_pool_size: int = Field(10, ge=1, le=100)
    """Connections in the Redis pool (1-100)."""

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("redis_prefix")
    @classmethod
    def _redis_prefix(cls, value: str) -> str:
        if not value or any(c.isspace() for c in value):
            raise ValueError("must be a non-empty key prefix without spaces")
        return value
