"""The login routes: ``/auth/login``, ``/auth/callback``, ``/auth/logout``.

A login is pending between the two first routes. Its ``state``, ``nonce`` and PKCE
verifier are kept in the state backend (so the callback may land on any worker),
under an id no browser can present as a session (it contains a dot), for
:data:`PENDING_TTL` seconds, and used once: the worker that removes it is the one that
completes it. The ``state`` is also set in a short-lived cookie and must come back
from the same browser, so a callback link made by someone else logs nobody in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pywry.state.records import SessionRecord

from pywry_server.auth import create_session, end_session
from pywry_server.oidc.client import LoginError, OIDCClient

if TYPE_CHECKING:
    from pywry.config import DeploySettings
    from pywry.state.base import StateBackend

__all__ = ["LOGIN_PATH", "PENDING_TTL", "add_login_routes", "login_url"]

logger = logging.getLogger("pywry.server")

LOGIN_PATH = "/auth/login"
CALLBACK_PATH = "/auth/callback"
LOGOUT_PATH = "/auth/logout"
#: Seconds a started login may take at the provider.
PENDING_TTL = 600
_STATE_COOKIE = "pywry_login"
_NO_STORE = {"Cache-Control": "no-store"}


def login_url(next_path: str) -> str:
    """Where a browser without a session is sent to log in, back to ``next_path`` after."""
    return f"{LOGIN_PATH}?{urlencode({'next': _safe_next(next_path)})}"


def _safe_next(value: str | None) -> str:
    """A path on this site only: ``/x?y`` is kept, ``//evil.example``, ``https://...`` not."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value if all(31 < ord(c) < 127 for c in value) else "/"


def _pending_id(state: str) -> str:
    return "oidc." + hashlib.sha256(state.encode()).hexdigest()


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _refused(detail: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": "login_failed", "detail": detail}, status, headers=_NO_STORE)


def _backend(request: Request) -> StateBackend:
    backend: StateBackend = request.app.state.pywry.backend
    return backend


def add_login_routes(app: FastAPI, deploy: DeploySettings) -> None:
    """Add the three routes for the provider ``deploy.oidc_issuer`` names."""
    if deploy.oidc_issuer is None or deploy.oidc_client_id is None:
        raise ValueError("add_login_routes needs PYWRY_DEPLOY__OIDC_ISSUER and _CLIENT_ID")
    secret = deploy.oidc_client_secret
    client = OIDCClient(
        deploy.oidc_issuer,
        deploy.oidc_client_id,
        secret.get_secret_value() if secret is not None else None,
    )

    def redirect_uri(request: Request) -> str:
        return deploy.oidc_redirect_url or str(request.url_for("pywry_oidc_callback"))

    async def login(request: Request) -> Response:
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)  # 64 characters (RFC 7636: 43 to 128)
        try:
            meta = await client.metadata()
        except LoginError as exc:
            logger.error("Login not started: %s", exc)
            return _refused(str(exc), 502)
        target = redirect_uri(request)
        pending = {
            "nonce": nonce,
            "verifier": verifier,
            "next": _safe_next(request.query_params.get("next")),
            "redirect_uri": target,
        }
        record = SessionRecord(session_id=_pending_id(state), data=pending)
        await _backend(request).sessions.create(record, ttl=PENDING_TTL)
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": target,
            "scope": " ".join(deploy.oidc_scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
        response = RedirectResponse(
            f"{meta.authorization_endpoint}?{urlencode(query)}", 303, headers=_NO_STORE
        )
        response.set_cookie(
            _STATE_COOKIE,
            state,
            max_age=PENDING_TTL,
            path=CALLBACK_PATH,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    async def callback(request: Request) -> Response:
        params = request.query_params
        if "error" in params:
            reason = params.get("error_description") or params["error"]
            return _refused(f"The login provider said: {reason[:200]}")
        state, code = params.get("state", ""), params.get("code", "")
        if not state or not code:
            return _refused("The login provider's answer has no state or code")
        if not hmac.compare_digest(request.cookies.get(_STATE_COOKIE, ""), state):
            return _refused("This login was not started in this browser, or took too long")
        if "iss" in params and params["iss"].rstrip("/") != client.issuer:  # RFC 9207
            return _refused("The answer comes from another provider than the configured one")
        sessions = _backend(request).sessions
        pending = await sessions.get(_pending_id(state))
        if pending is None or not await sessions.remove(_pending_id(state)):
            return _refused("This login expired or was already used; log in again")
        try:
            claims = await _claims(client, code, pending.data)
        except LoginError as exc:
            logger.warning("Login refused: %s", exc)
            return _refused(str(exc))
        user = claims.get(deploy.oidc_user_claim)
        if not isinstance(user, str) or not user:
            return _refused(f"The provider sent no {deploy.oidc_user_claim!r} claim to name you")
        roles = _roles(claims.get(deploy.oidc_roles_claim))
        response = RedirectResponse(str(pending.data["next"]), 303, headers=_NO_STORE)
        data = {"roles": roles, "oidc": {"iss": client.issuer, "sub": claims["sub"]}}
        await create_session(request, response, user=user, roles=roles, data=data)
        response.delete_cookie(_STATE_COOKIE, path=CALLBACK_PATH)
        logger.info("Logged in %s through %s", user, client.issuer)
        return response

    async def logout(request: Request) -> Response:
        response = RedirectResponse("/", 303, headers=_NO_STORE)
        await end_session(request, response)
        return response

    app.add_api_route(LOGIN_PATH, login, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        CALLBACK_PATH,
        callback,
        methods=["GET"],
        name="pywry_oidc_callback",
        include_in_schema=False,
    )
    app.add_api_route(LOGOUT_PATH, logout, methods=["GET", "POST"], include_in_schema=False)


async def _claims(client: OIDCClient, code: str, pending: dict[str, Any]) -> dict[str, Any]:
    """The user's claims: the verified ID token's, plus userinfo's for the same subject."""
    tokens = await client.exchange(code, str(pending["verifier"]), str(pending["redirect_uri"]))
    claims = await client.verify_id_token(tokens["id_token"], str(pending["nonce"]))
    access = tokens.get("access_token")
    if isinstance(access, str):
        extra = await client.userinfo(access)
        if extra and extra.get("sub") == claims["sub"]:
            claims = {**extra, **claims}
    return claims


def _roles(value: Any) -> list[str]:
    """A roles claim as a list of role names (a single string counts as one role).

    Anything that cannot be a role name (not a string, empty, over 128 characters) is
    dropped, so a provider's odd claim never fails the login.
    """
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [item for item in items if isinstance(item, str) and 0 < len(item) <= 128]
