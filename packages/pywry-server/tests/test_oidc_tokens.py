"""The relying party's checks of an ID token, one refusal at a time.

Tokens are signed here with a key the client is told belongs to the provider; the
full login against a real provider is ``tests/e2e/test_oidc_login.py``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pywry_server.oidc.client import LoginError, OIDCClient, ProviderMetadata
from pywry_server.oidc.routes import _safe_next, login_url

ISSUER = "https://login.example.com"
CLIENT = "pywry-app"
NONCE = "n-0S6_WzA2Mj"


def _client_and_key() -> tuple[OIDCClient, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    public.update(kid="k1", use="sig", alg="RS256")
    client = OIDCClient(ISSUER, CLIENT, "secret")
    meta = ProviderMetadata(
        ISSUER, f"{ISSUER}/auth", f"{ISSUER}/token", f"{ISSUER}/jwks", None, frozenset({"RS256"})
    )
    now = time.monotonic()
    client._metadata = (now, meta)
    client._keys = (now, jwt.PyJWKSet.from_dict({"keys": [public]}))
    return client, key


def _token(key: Any, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "alice", "iat": now, "exp": now + 300}
    claims["nonce"] = NONCE
    claims.update(changes)
    present = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(present, key, "RS256", {"kid": "k1"})


async def test_a_good_token_gives_its_claims() -> None:
    client, key = _client_and_key()
    claims = await client.verify_id_token(_token(key, roles=["admin"]), NONCE)
    assert (claims["sub"], claims["roles"]) == ("alice", ["admin"])


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"nonce": "another"}, "nonce differs"),
        ({"nonce": None}, "nonce differs"),
        ({"aud": "someone-else"}, "Audience"),
        ({"iss": "https://evil.example.com"}, "issuer"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"aud": [CLIENT, "other"]}, "azp"),
        ({"sub": None}, "sub"),
    ],
)
async def test_a_bad_token_is_refused_saying_why(changes: dict[str, Any], reason: str) -> None:
    client, key = _client_and_key()
    with pytest.raises(LoginError, match=reason):
        await client.verify_id_token(_token(key, **changes), NONCE)


async def test_another_key_or_no_signature_is_refused() -> None:
    client, _ = _client_and_key()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(LoginError, match="refused"):
        await client.verify_id_token(_token(stranger), NONCE)
    unsigned = jwt.encode({"iss": ISSUER, "aud": CLIENT, "sub": "x"}, None, "none")
    with pytest.raises(LoginError, match="'none'"):
        await client.verify_id_token(unsigned, NONCE)
    shared = jwt.encode({"iss": ISSUER, "sub": "x"}, "secret-secret-secret-secret-32b!", "HS256")
    with pytest.raises(LoginError, match="HS256"):
        await client.verify_id_token(shared, NONCE)
    with pytest.raises(LoginError, match="not a signed token"):
        await client.verify_id_token("not-a-token", NONCE)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/widget/board?x=1", "/widget/board?x=1"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("", "/"),
        (None, "/"),
        ("/a\nb", "/"),
    ],
)
def test_only_paths_on_this_site_are_followed_after_login(given: str | None, kept: str) -> None:
    assert _safe_next(given) == kept
    assert login_url(given or "") == "/auth/login?next=" + kept.replace("/", "%2F").replace(
        "?", "%3F"
    ).replace("=", "%3D")
