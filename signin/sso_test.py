"""Testing an organization's new SSO connection with one's own sign-in, before turning it on.

The admin's browser goes to the tenant's ``/authorize`` with the connection (and ``prompt=login``), signs in at
their identity provider, and comes back to ``/sso/test/callback/``. The code is exchanged and the ID token verified
(signature against the JWKS, RS256, issuer, audience, expiry, the nonce) exactly as at sign-in, but nobody is signed
in to the portal by it: the admin stays who they are, and the connection records who the test signed in as. The
callback acts only on the test its own session started (state kept server-side)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlencode

import jwt
import requests
from allauth.socialaccount.internal import jwtkit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from organizations.selectors import organization_administered_get
from portal.principal import principal_from_request
from portal.web.refusals import refusal_message
from signin.oidc import DISCOVERY_CACHE_SECONDS, ID_TOKEN_ALGORITHMS, ID_TOKEN_LEEWAY_SECONDS
from sso import selectors, services

SESSION_KEY = "sso_test"
TIMEOUT = 10


def _server_url() -> str:
    """The OpenID provider sign-in uses (the openid_connect app's server_url, OIDC_SERVER_URL by default)."""
    return settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["settings"]["server_url"].rstrip("/")


def _discovery() -> dict:
    url = f"{_server_url()}/.well-known/openid-configuration"
    config = cache.get(f"oidc-discovery:{url}")
    if config is None:
        config = requests.get(url, timeout=TIMEOUT).json()
        cache.set(f"oidc-discovery:{url}", config, DISCOVERY_CACHE_SECONDS)
    return config


def _callback_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("sso_test_callback"))


@login_required
@require_POST
def sso_test_start(request: HttpRequest, slug: str, connection_id: int) -> HttpResponse:
    principal = principal_from_request(request)
    organization = organization_administered_get(principal=principal, slug=slug)
    connection = selectors.sso_connection_get(principal=principal, organization=organization,
                                              connection_id=connection_id)
    if not connection.auth0_connection_id:
        messages.error(request, _("The connection is still being created in Auth0: test it once it is ready."))
        return redirect("sso_connection_detail", slug=slug, connection_id=connection.pk)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    request.session[SESSION_KEY] = {"state": state, "nonce": nonce, "verifier": verifier,
                                    "connection": connection.pk, "slug": slug}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {"response_type": "code", "client_id": settings.AUTH0_CLIENT_ID, "redirect_uri": _callback_url(request),
             "scope": "openid email profile", "state": state, "nonce": nonce, "code_challenge": challenge,
             "code_challenge_method": "S256", "connection": connection.name, "prompt": "login"}
    return HttpResponseRedirect(f"{_discovery()['authorization_endpoint']}?{urlencode(query)}")


def _verified_claims(request: HttpRequest, started: dict) -> dict:
    config = _discovery()
    answer = requests.post(config["token_endpoint"], data={
        "grant_type": "authorization_code", "code": request.GET.get("code", ""),
        "redirect_uri": _callback_url(request), "client_id": settings.AUTH0_CLIENT_ID,
        "client_secret": settings.AUTH0_CLIENT_SECRET, "code_verifier": started["verifier"]}, timeout=TIMEOUT)
    id_token = answer.json().get("id_token") if answer.ok else None
    if not id_token:
        raise ValidationError(_("The sign-in did not complete (the identity provider's answer was refused)."))
    try:
        _alg, key = jwtkit.fetch_key(id_token, config["jwks_uri"], jwtkit.lookup_kid_jwk)
        claims = jwt.decode(id_token, key=key, algorithms=ID_TOKEN_ALGORITHMS, issuer=config["issuer"],
                            audience=settings.AUTH0_CLIENT_ID, leeway=ID_TOKEN_LEEWAY_SECONDS,
                            options={"require": ["iss", "sub", "aud", "exp", "iat"]})
    except (jwt.PyJWTError, KeyError) as exc:
        raise ValidationError(_("The sign-in's ID token is invalid: %(problem)s") % {"problem": exc}) from None
    if not hmac.compare_digest(str(claims.get("nonce", "")), started["nonce"]):
        raise ValidationError(_("The sign-in's ID token was not made for this test."))
    return claims


@login_required
@require_GET
def sso_test_callback(request: HttpRequest) -> HttpResponse:
    started = request.session.pop(SESSION_KEY, None)
    if not started or not hmac.compare_digest(request.GET.get("state", ""), started["state"]):
        messages.error(request, _("This test sign-in was not started here (or was already used): start it again."))
        return redirect("landing")
    principal = principal_from_request(request)
    organization = organization_administered_get(principal=principal, slug=started["slug"])
    connection = selectors.sso_connection_get(principal=principal, organization=organization,
                                              connection_id=started["connection"])
    back = redirect("sso_connection_detail", slug=organization.slug, connection_id=connection.pk)
    if request.GET.get("error"):
        messages.error(request, _("The test sign-in did not work: %(problem)s.") % {
            "problem": request.GET.get("error_description") or _("refused")})
        return back
    try:
        claims = _verified_claims(request, started)
        if not str(claims["sub"]).startswith(connection.user_id_prefix):
            raise ValidationError(_("The test signed in through another connection than this one."))
        services.connection_test_record(actor=principal, connection=connection,
                                        signed_in_as=claims.get("email") or claims["sub"])
    except (ValidationError, PermissionDenied, requests.RequestException) as exc:
        message = refusal_message(exc) if not isinstance(exc, requests.RequestException) else (
            _("The tenant could not be reached to complete the test; try again."))
        messages.error(request, _("The test sign-in did not work: %(problem)s") % {"problem": message})
        return back
    messages.success(request, _("The test worked: you signed in as %(who)s through %(connection)s. You can turn it "
                                "on now.") % {"who": claims.get("email") or _("yourself"),
                                              "connection": connection.display_name})
    return back
