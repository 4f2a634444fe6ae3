"""Settings of the built-in OpenID Connect login (``PYWRY_DEPLOY__OIDC_*``).

A mixin that :mod:`pywry.config` folds into ``[deploy]``. Setting ``oidc_issuer`` turns
the login on (``pywry_server.oidc``: authorization code with PKCE); it needs
``auth_enabled`` and a client id.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from pywry._setting_values import split_list

__all__ = ["OIDCSettings"]

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _https_or_loopback(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{what} must be an http(s) URL such as https://login.example.com")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError(f"{what} must use https (plain http only on loopback, for tests)")
    return value


class OIDCSettings(BaseModel):
    """Fields of ``[deploy]``: log in with an OpenID Connect provider."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    oidc_issuer: str | None = None
    """OpenID Connect issuer URL; set it to log users in there (auth code + PKCE)."""
    oidc_client_id: str | None = None
    """Client id registered with the provider (required with oidc_issuer)."""
    oidc_client_secret: SecretStr | None = None
    """Client secret (client_secret_basic); unset for a public client (PKCE only)."""
    oidc_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["openid", "email", "profile"]
    )
    """Scopes asked for (openid is always added)."""
    oidc_user_claim: str = "sub"
    """The claim that names the user in the session (sub, email, preferred_username)."""
    oidc_roles_claim: str = "roles"
    """The claim (a list of strings) whose values become the session's roles."""
    oidc_redirect_url: str | None = None
    """Public URL of /auth/callback (default: from the request; set it behind proxies)."""

    @field_validator("oidc_scopes", mode="before")
    @classmethod
    def _scopes(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("oidc_scopes")
    @classmethod
    def _openid_first(cls, value: list[str]) -> list[str]:
        return ["openid", *[scope for scope in value if scope != "openid"]]

    @field_validator("oidc_issuer", "oidc_redirect_url", "oidc_client_id")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("oidc_issuer")
    @classmethod
    def _issuer(cls, value: str | None) -> str | None:
        return None if value is None else _https_or_loopback(value.rstrip("/"), "the issuer")

    @field_validator("oidc_redirect_url")
    @classmethod
    def _redirect(cls, value: str | None) -> str | None:
        return None if value is None else _https_or_loopback(value, "the redirect URL")

    @model_validator(mode="after")
    def _complete(self) -> OIDCSettings:
        if self.oidc_issuer is None:
            return self
        if self.oidc_client_id is None:
            raise ValueError(
                "PYWRY_DEPLOY__OIDC_ISSUER is set but PYWRY_DEPLOY__OIDC_CLIENT_ID is not; "
                "set the client id registered with the provider"
            )
        if not getattr(self, "auth_enabled", True):
            raise ValueError(
                "PYWRY_DEPLOY__OIDC_ISSUER is set but PYWRY_DEPLOY__AUTH_ENABLED is not; "
                "a login is only used when sessions are required: set AUTH_ENABLED=true"
            )
        return self
