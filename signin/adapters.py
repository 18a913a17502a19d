from __future__ import annotations

import hmac

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _


class PortalAccountAdapter(DefaultAccountAdapter):
    """No local accounts: people exist here only by signing in through Auth0."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


def _refuse(request: HttpRequest, reason: str) -> ImmediateHttpResponse:
    response = render(request, "signin/error.html", {"reason": reason}, status=400)
    return ImmediateHttpResponse(response)


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        claims = sociallogin.account.extra_data.get("id_token") or {}
        state = sociallogin.state or {}
        expected = state.get("nonce")
        # Every sign-in starts at our own views, which always send a nonce.
        if not expected or not hmac.compare_digest(str(claims.get("nonce", "")), expected):
            raise _refuse(request, _("The sign-in response does not belong to this browser's sign-in attempt."))
        # Signing in to an Auth0 Organization must come back with that organization (Auth0's advice:
        # validate org_id), or someone could present a session from elsewhere as a member's.
        if state.get("organization") and claims.get("org_id") != state["organization"]:
            raise _refuse(request, _("The sign-in did not happen in the organization it was started for."))
        if sociallogin.is_existing:
            # Keep name and email as Auth0 has them now.
            self._user_fields_set(sociallogin.user, claims)
            sociallogin.user.save(update_fields=["email", "first_name", "last_name"])

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict):
        user = sociallogin.user
        claims = sociallogin.account.extra_data.get("id_token") or {}
        user.auth0_user_id = sociallogin.account.uid
        self._user_fields_set(user, claims)
        user.set_unusable_password()
        return user

    @staticmethod
    def _user_fields_set(user, claims: dict) -> None:
        user.email = claims.get("email", "") or ""
        user.first_name = (claims.get("given_name") or "")[:150]
        user.last_name = (claims.get("family_name") or "")[:150]
        if not (user.first_name or user.last_name) and claims.get("name"):
            user.first_name = claims["name"][:150]
