"""Bearer tokens validated locally: no call to Auth0 per request.

Built on mozilla-django-oidc's DRF authentication class (``OIDCAuthentication``: reading the bearer token,
turning failures into 401s) with a backend of our own. Its default backend verifies a token by calling the
provider's userinfo endpoint on every request, which machine tokens (client credentials) cannot answer and
which would put Auth0 in every request's path; this one checks the token's signature against the tenant's
JWKS, kept in memory (an unknown ``kid`` refreshes it, at most once per PORTAL_API_JWKS_REFRESH_SECONDS, so
forged kids cannot make us hammer Auth0), pins the algorithm to RS256, and checks issuer, audience
(PORTAL_API_AUDIENCE), expiry and not-before with a small leeway.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx
import jwt
from django.conf import settings
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.contrib.drf import OIDCAuthentication
from rest_framework import exceptions

from api.auth.caller import ApiCaller, api_caller_for_client, api_caller_for_person, api_caller_unregistered
from organizations.models import API_CLIENT_SUFFIX
from organizations.selectors import api_client_for_subject, api_client_principal, principal_for_user_id

log = logging.getLogger(__name__)

ALGORITHM = "RS256"


class InvalidToken(exceptions.AuthenticationFailed):
    """A token we refuse: 401 with ``WWW-Authenticate: Bearer error="invalid_token"``."""


def api_issuer() -> str:
    return settings.PORTAL_API_ISSUER or f"{settings.AUTH0_BASE_URL}/"


def api_jwks_url() -> str:
    return settings.PORTAL_API_JWKS_URL or f"{settings.AUTH0_BASE_URL}/.well-known/jwks.json"


class JwksCache:
    """The tenant's signing keys by ``kid``, per JWKS URL, shared by the threads of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, dict[str, Any]] = {}  # url -> kid -> key
        self._fetched_at: dict[str, float] = {}
        self.fetches = 0  # how many times a JWKS was read (the tests count them)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()
            self._fetched_at.clear()

    def key(self, url: str, kid: str) -> Any | None:
        keys = self._keys.get(url, {})
        if kid in keys and time.monotonic() - self._fetched_at[url] < settings.PORTAL_API_JWKS_MAX_AGE_SECONDS:
            return keys[kid]
        with self._lock:
            fetched = self._fetched_at.get(url)
            # Unknown kid (a rotated key) or an old copy: read again, unless we did a moment ago.
            if fetched is None or time.monotonic() - fetched >= settings.PORTAL_API_JWKS_REFRESH_SECONDS:
                self._fetch(url)
            return self._keys.get(url, {}).get(kid)

    def _fetch(self, url: str) -> None:
        self._fetched_at[url] = time.monotonic()  # also on failure: a dead JWKS is not asked per request
        self.fetches += 1
        try:
            response = httpx.get(url, timeout=5)
            response.raise_for_status()
            keys = {}
            for jwk in response.json().get("keys", []):
                if jwk.get("kty") == "RSA" and jwk.get("kid") and jwk.get("use", "sig") == "sig":
                    keys[jwk["kid"]] = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
        except (httpx.HTTPError, ValueError, jwt.InvalidKeyError) as exc:
            log.warning("could not read the JWKS at %s: %s", url, exc)
            return  # keep the keys we had
        self._keys[url] = keys


jwks_cache = JwksCache()


def token_claims_validate(token: str) -> dict[str, Any]:
    """The claims of a valid access token for the portal's API; InvalidToken (with why) otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise InvalidToken(_("The access token is not a JWT.")) from None
    if header.get("alg") != ALGORITHM:
        # Pinned before anything else: "none", or HS256 "signed" with the public key, never gets further.
        raise InvalidToken(_("The access token must be signed with %(algorithm)s.") % {"algorithm": ALGORITHM})
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken(_("The access token names no signing key (kid)."))
    key = jwks_cache.key(api_jwks_url(), kid)
    if key is None:
        raise InvalidToken(_("The access token was signed by a key the tenant does not publish."))
    try:
        return jwt.decode(
            token, key, algorithms=[ALGORITHM], audience=settings.PORTAL_API_AUDIENCE, issuer=api_issuer(),
            leeway=settings.PORTAL_API_LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"], "verify_nbf": True, "verify_iat": True},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken(_("The access token has expired.")) from None
    except jwt.ImmatureSignatureError:
        raise InvalidToken(_("The access token is not valid yet.")) from None
    except jwt.InvalidAudienceError:
        raise InvalidToken(_("The access token was issued for another API.")) from None
    except jwt.InvalidIssuerError:
        raise InvalidToken(_("The access token was issued by another tenant.")) from None
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(_("The access token is invalid: %(reason)s.") % {"reason": exc}) from None


def api_caller_from_claims(claims: dict[str, Any]) -> ApiCaller:
    """A machine client (``sub`` "<client id>@clients") as registered in the portal, with the scopes its token
    carries; or a person, with the portal roles they hold now."""
    subject, token_id = str(claims["sub"]), str(claims.get("jti", ""))
    if claims.get("gty") == "client-credentials" or (subject.endswith(API_CLIENT_SUFFIX) and "|" not in subject):
        client = api_client_for_subject(subject)
        principal = api_client_principal(client, subject)
        if client is None:
            return api_caller_unregistered(principal, token_id)
        scopes = frozenset(str(claims.get("scope", "")).split())
        return api_caller_for_client(client, principal, scopes, token_id)
    return api_caller_for_person(principal_for_user_id(subject), token_id)


class LocalTokenBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the token checked here instead of at userinfo (see the module)."""

    def __init__(self, *args, **kwargs) -> None:
        # The parent reads the browser sign-in flow's settings (token and userinfo endpoints, client secret),
        # which this backend never uses: sign-in in a browser is django-allauth's (signin/).
        pass

    def get_or_create_user(self, access_token, id_token, payload) -> ApiCaller:
        return api_caller_from_claims(token_claims_validate(access_token))

    def authenticate(self, request, **kwargs):
        return None  # never a browser sign-in backend

    def get_user(self, user_id):
        return None


class PortalTokenAuthentication(OIDCAuthentication):
    """``Authorization: Bearer <access token>``; a refused token is a 401 that says so (RFC 6750)."""

    www_authenticate_realm = "portal-api"

    def __init__(self, backend=None) -> None:
        super().__init__(backend or LocalTokenBackend())

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            request._api_token_refused = True
            raise

    def authenticate_header(self, request) -> str:
        if getattr(request, "_api_token_refused", False):
            return f'Bearer realm="{self.www_authenticate_realm}", error="invalid_token"'
        return f'Bearer realm="{self.www_authenticate_realm}"'
