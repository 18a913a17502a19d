"""OIDC sign-in with django-allauth's openid_connect provider, made strict and provider-neutral.

allauth skips the ID token's signature check when the token came straight from the token endpoint
(which OIDC permits) and takes the algorithm from the token's own header. We verify every ID token
against the provider's JWKS with the algorithm pinned to RS256, and require the claims we rely on; the
nonce is checked in ``adapters.PortalSocialAccountAdapter.pre_social_login``.

Nothing here assumes Auth0: the profile claims come from userinfo when the ID token lacks them (a
plain provider puts only the protocol claims in it), logout goes to the discovery document's
``end_session_endpoint``, and the token endpoint's client authentication follows discovery unless
``OIDC_TOKEN_AUTH_METHOD`` says otherwise (allauth's ``basic_auth``).
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlencode

import jwt
import requests
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp, SocialToken
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse

log = logging.getLogger(__name__)

PROVIDER_ID = "auth0"
ID_TOKEN_ALGORITHMS = ["RS256"]
ID_TOKEN_LEEWAY_SECONDS = 30
# The discovery document changes rarely; every sign-in and sign-out reads it.
DISCOVERY_CACHE_SECONDS = 300
# Claims the portal shows and keeps (email and a name); when the ID token lacks them, userinfo has them.
PROFILE_CLAIMS = ("email", "email_verified", "name", "given_name", "family_name", "nickname", "picture")


def _profile_incomplete(claims: dict) -> bool:
    return not claims.get("email") or not (claims.get("name") or claims.get("given_name") or claims.get("family_name"))


class StrictOIDCAdapter(OpenIDConnectOAuth2Adapter):
    @property
    def openid_config(self) -> dict:
        if not hasattr(self, "_openid_config"):
            url = self.get_provider().server_url
            key = f"oidc-discovery:{url}"
            config = cache.get(key)
            if config is None:
                config = super().openid_config
                cache.set(key, config, DISCOVERY_CACHE_SECONDS)
            self._openid_config = config
        return self._openid_config

    def complete_login(self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            raise OAuth2Error("The provider answered without an ID token.")
        claims = self._decode_id_token(app, id_token)
        if _profile_incomplete(claims):
            claims = {**self._userinfo_claims(token.token, subject=claims["sub"]), **claims}
        return self.get_provider().sociallogin_from_response(request, {"id_token": claims})

    def _userinfo_claims(self, access_token: str, *, subject: str) -> dict:
        """The profile claims userinfo gives for this access token; it must speak of the same subject
        as the ID token (OIDC Core 5.3.2), or nothing from it is used."""
        try:
            userinfo = self._fetch_user_info(access_token)
        except requests.RequestException as exc:
            raise OAuth2Error(f"The provider's userinfo endpoint failed: {exc}") from exc
        if not isinstance(userinfo, dict) or not hmac.compare_digest(str(userinfo.get("sub", "")), subject):
            raise OAuth2Error("The provider's userinfo describes another person than the ID token.")
        return {k: userinfo[k] for k in PROFILE_CLAIMS if k in userinfo}

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise OAuth2Error("The ID token is not a valid JWT.") from exc
        if header.get("alg") not in ID_TOKEN_ALGORITHMS:
            raise OAuth2Error(f"The ID token is signed with {header.get('alg')!r}; only RS256 is accepted.")
        _alg, key = jwtkit.fetch_key(id_token, self.openid_config["jwks_uri"], jwtkit.lookup_kid_jwk)
        try:
            return jwt.decode(
                id_token,
                key=key,
                algorithms=ID_TOKEN_ALGORITHMS,
                issuer=self.openid_config["issuer"],
                audience=app.client_id,
                leeway=ID_TOKEN_LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise OAuth2Error("The ID token has expired.") from exc
        except jwt.InvalidIssuerError as exc:
            raise OAuth2Error("The ID token was issued by another issuer.") from exc
        except jwt.InvalidAudienceError as exc:
            raise OAuth2Error("The ID token was issued for another application.") from exc
        except jwt.PyJWTError as exc:
            raise OAuth2Error(f"The ID token is invalid: {exc}") from exc


def end_session_url(request: HttpRequest, *, client_id: str, return_to: str) -> str | None:
    """Where to send the browser to end its session at the provider (RP-initiated logout), from the
    discovery document; None when the provider offers no such endpoint or cannot be reached."""
    try:
        endpoint = StrictOIDCAdapter(request, PROVIDER_ID).openid_config.get("end_session_endpoint")
    except (requests.RequestException, ValueError) as exc:
        log.warning("sign-out: the provider's discovery document could not be read: %s", exc)
        return None
    if not endpoint:
        return None
    query = urlencode({"client_id": client_id, "post_logout_redirect_uri": return_to})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        view = OAuth2CallbackView.adapter_view(StrictOIDCAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
