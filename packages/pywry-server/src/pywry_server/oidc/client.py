"""Talking to the OpenID Connect provider: discovery, token exchange, ID token checks.

Every check a relying party owes is made here, and a failed one raises
:class:`LoginError` saying which: the discovery document's issuer is the configured
one; the ID token is signed by a key of the provider's JWKS with an asymmetric
algorithm the provider announces (never ``none`` or a shared secret), is for this
client (``aud``, and ``azp`` when there are several audiences), from this issuer, not
expired, and carries the nonce this login sent. Discovery and keys are cached; an
unknown key id fetches the keys once more (the provider rotated them).
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import jwt

__all__ = ["LoginError", "OIDCClient", "ProviderMetadata"]

#: Signature algorithms accepted for ID tokens: asymmetric only.
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})
#: Seconds of clock difference allowed between this server and the provider.
LEEWAY = 60
#: Seconds the discovery document and keys are kept before they are fetched again.
CACHE_SECONDS = 3600
_TIMEOUT = httpx.Timeout(10.0)


class LoginError(Exception):
    """A login that cannot be completed; the message says why (shown to the user)."""


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of the provider's discovery document that a login uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    algorithms: frozenset[str]


class OIDCClient:
    """One provider and one registered client (``client_id``, optional secret)."""

    def __init__(self, issuer: str, client_id: str, client_secret: str | None) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._keys: tuple[float, jwt.PyJWKSet] | None = None

    async def _get_json(self, url: str, **options: Any) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=_TIMEOUT) as http:
                response = await http.get(url, **options)
        except httpx.HTTPError as exc:
            raise LoginError(f"The login provider did not answer at {url}: {exc}") from exc
        return _json_of(response, url)

    async def metadata(self) -> ProviderMetadata:
        """The provider's endpoints, from ``/.well-known/openid-configuration``."""
        if self._metadata is not None and time.monotonic() - self._metadata[0] < CACHE_SECONDS:
            return self._metadata[1]
        url = self.issuer + "/.well-known/openid-configuration"
        doc = await self._get_json(url)
        if str(doc.get("issuer", "")).rstrip("/") != self.issuer:
            raise LoginError(
                f"The provider at {url} calls itself {doc.get('issuer')!r}, not the configured "
                f"issuer {self.issuer!r} (PYWRY_DEPLOY__OIDC_ISSUER)"
            )
        try:
            found = ProviderMetadata(
                issuer=self.issuer,
                authorization_endpoint=str(doc["authorization_endpoint"]),
                token_endpoint=str(doc["token_endpoint"]),
                jwks_uri=str(doc["jwks_uri"]),
                userinfo_endpoint=doc.get("userinfo_endpoint"),
                algorithms=frozenset(doc.get("id_token_signing_alg_values_supported", ["RS256"]))
                & ALGORITHMS,
            )
        except KeyError as exc:
            raise LoginError(f"The provider's discovery document has no {exc.args[0]}") from exc
        self._metadata = (time.monotonic(), found)
        return found

    async def _key_set(self, *, fresh: bool = False) -> jwt.PyJWKSet:
        cached = self._keys
        if not fresh and cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        doc = await self._get_json((await self.metadata()).jwks_uri)
        try:
            keys = jwt.PyJWKSet.from_dict(doc)
        except jwt.PyJWTError as exc:
            raise LoginError(f"The provider's signing keys cannot be read: {exc}") from exc
        self._keys = (time.monotonic(), keys)
        return keys

    async def exchange(self, code: str, verifier: str, redirect_uri: str) -> dict[str, Any]:
        """The provider's tokens for an authorization ``code`` (PKCE ``verifier``)."""
        meta = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        headers: dict[str, str] = {}
        if self._secret is None:
            form["client_id"] = self.client_id  # a public client: PKCE is its proof
        else:
            pair = f"{quote(self.client_id, safe='')}:{quote(self._secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        try:
            async with httpx.AsyncClient(timeout=_TIMEOUT) as http:
                response = await http.post(meta.token_endpoint, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise LoginError(f"The login provider's token endpoint did not answer: {exc}") from exc
        tokens = _json_of(response, meta.token_endpoint)
        if not isinstance(tokens.get("id_token"), str):
            raise LoginError("The login provider sent no ID token (is 'openid' among the scopes?)")
        return tokens

    async def verify_id_token(self, token: str, nonce: str) -> dict[str, Any]:
        """The claims of ``token`` once every check has passed (see the module docstring)."""
        meta = await self.metadata()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise LoginError(f"The ID token is not a signed token: {exc}") from exc
        algorithm = header.get("alg")
        if algorithm not in meta.algorithms:
            raise LoginError(f"The ID token is signed with {algorithm!r}, which is not accepted")
        key = await self._key_for(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.client_id,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise LoginError(f"The ID token was refused: {exc}") from exc
        if claims.get("nonce") != nonce:
            raise LoginError("The ID token is not for this login (its nonce differs)")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise LoginError("The ID token names several audiences but not this client as azp")
        return claims

    async def _key_for(self, kid: Any) -> jwt.PyJWK:
        for fresh in (False, True):
            keys = await self._key_set(fresh=fresh)
            found = [k for k in keys.keys if kid is None or k.key_id == kid]
            if found:
                return found[0]
        raise LoginError(f"The ID token's key {kid!r} is not among the provider's keys")

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        """The userinfo endpoint's claims (``{}`` when the provider has none)."""
        meta = await self.metadata()
        if meta.userinfo_endpoint is None:
            return {}
        headers = {"Authorization": f"Bearer {access_token}"}
        return await self._get_json(meta.userinfo_endpoint, headers=headers)


def _json_of(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        reason = (
            body.get("error_description") or body.get("error") if isinstance(body, dict) else ""
        )
        raise LoginError(f"The login provider refused ({response.status_code} at {url}): {reason}")
    if not isinstance(body, dict):
        raise LoginError(f"The login provider's answer at {url} is not a JSON object")
    return body
