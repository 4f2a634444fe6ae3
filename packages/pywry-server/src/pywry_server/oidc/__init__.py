"""Log in with an OpenID Connect provider (authorization code with PKCE).

On when ``PYWRY_DEPLOY__OIDC_ISSUER`` is set (with ``OIDC_CLIENT_ID`` and
``AUTH_ENABLED``): a browser without a session that asks for a page is sent to
``/auth/login``, then to the provider, and comes back through ``/auth/callback`` with a
PyWry session for the user the ID token names (``OIDC_USER_CLAIM``) and the roles of
``OIDC_ROLES_CLAIM``. ``/auth/logout`` ends the session. See ``docs/security.md``.
"""

from __future__ import annotations

from pywry_server.oidc.client import LoginError, OIDCClient
from pywry_server.oidc.routes import LOGIN_PATH, add_login_routes, login_url

__all__ = ["LOGIN_PATH", "LoginError", "OIDCClient", "add_login_routes", "login_url"]
