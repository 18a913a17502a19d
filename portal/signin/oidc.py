"""OIDC against the tenant with django-allauth's openid_connect provider, made strict.

allauth skips the ID token's signature check when the token came straight from the token endpoint
(which OIDC permits) and takes the algorithm from the token's own header. We verify every ID token
against the tenant's JWKS with the algorithm pinned to RS256, and require the claims we rely on; the
nonce is checked in ``adapters.PortalSocialAccountAdapter.pre_social_login``.
"""

from __future__ import annotations

import jwt
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse

ID_TOKEN_ALGORITHMS = ["RS256"]
ID_TOKEN_LEEWAY_SECONDS = 30


class StrictOIDCAdapter(OpenIDConnectOAuth2Adapter):
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


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        view = OAuth2CallbackView.adapter_view(StrictOIDCAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
