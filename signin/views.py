"""Sign-in with home-realm discovery, the bookmarkable per-organization sign-in, logout, landing."""

from __future__ import annotations

import re
import secrets

from allauth.socialaccount.adapter import get_adapter
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from domains.selectors import organization_for_email
from organizations.membership import membership_of
from organizations.models import Organization
from organizations.selectors import organization_by_slug_public, organization_list
from portal.principal import principal_from_request
from portal.web.language import organization_public_page
from portal.web.ticket_return import ticket_return_notice
from signin.oidc import PROVIDER_ID, end_session_url
from sso.selectors import sso_connection_for_email


class DiscoveryForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Work email"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )


def authorize_params_for(organization: Organization | None, email: str = "") -> dict[str, str]:
    """The extra /authorize parameters that send the browser to the organization's own login."""
    params: dict[str, str] = {}
    if organization is not None:
        params.update(membership_of(organization).authorize_params())
    if email:
        params["login_hint"] = email
    return params


def discovery_params(email: str) -> dict[str, str]:
    """Where home-realm discovery sends ``email``: the organization's own identity provider when its verified domain
    has one on (with its Auth0 Organization, if any, so the person lands in it), else the organization's login."""
    sso = sso_connection_for_email(email)
    if sso is None:
        return authorize_params_for(organization_for_email(email), email)
    params = {"connection": sso.name, "login_hint": email}
    if sso.organization.auth0_organization_id and membership_of(sso.organization).in_auth0_organizations:
        params["organization"] = sso.organization.auth0_organization_id
    return params


def _safe_next(request: HttpRequest) -> str | None:
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def oidc_redirect(request: HttpRequest, params: dict[str, str]) -> HttpResponse:
    """Start the authorization-code flow (state, PKCE and a nonce kept server-side by allauth)."""
    provider = get_adapter(request).get_provider(request, PROVIDER_ID)
    nonce = secrets.token_urlsafe(32)
    # Kept in the server-side state and checked against the ID token when the browser comes back.
    expected = {"nonce": nonce, "organization": params.get("organization", "")}
    return provider.redirect(
        request, "login", next_url=_safe_next(request), auth_params={**params, "nonce": nonce}, **expected
    )


def _discovery_limited(request: HttpRequest) -> bool:
    return is_ratelimited(
        request, group="signin-discovery", key="ip", rate=settings.SIGNIN_DISCOVERY_RATE, method="POST",
        increment=True,
    )


INVITATION_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
AUTH0_ORG_ID_RE = re.compile(r"^org_[A-Za-z0-9]{1,64}$")


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    """Ask for an email, then go to Auth0 with the organization that owns its domain (if any).

    The answer is the same kind of redirect whether or not the domain is known, so the page does not
    tell anyone which domains have an organization here. This is also the application login route
    Auth0 sends Organization invitations to: ``?invitation=…&organization=org_…`` goes straight on to
    Auth0's invitation acceptance.
    """
    invitation, auth0_org = request.GET.get("invitation", ""), request.GET.get("organization", "")
    if request.method == "GET" and (invitation or auth0_org):
        if INVITATION_RE.match(invitation) and AUTH0_ORG_ID_RE.match(auth0_org):
            return oidc_redirect(request, {"invitation": invitation, "organization": auth0_org})
        return render(request, "signin/signin.html", {"form": DiscoveryForm(), "bad_invitation": True}, status=400)
    if request.method == "POST":
        if _discovery_limited(request):
            form = DiscoveryForm(request.POST)
            return render(request, "signin/signin.html", {"form": form, "limited": True}, status=429)
        form = DiscoveryForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            return oidc_redirect(request, discovery_params(email))
    else:
        form = DiscoveryForm()
    return render(request, "signin/signin.html", {"form": form, "next": _safe_next(request),
                                                  "notice": ticket_return_notice(request.GET)})


@organization_public_page
@require_http_methods(["GET", "POST"])
def organization_signin(request: HttpRequest, slug: str) -> HttpResponse:
    """``/o/<slug>/login``: a bookmark that signs in through the organization's own connection.

    GET shows a one-button page (starting the flow needs a POST with a CSRF token, so that another site
    cannot sign a browser in); an unknown slug goes to the tenant's default login like an unknown domain.
    """
    organization = organization_by_slug_public(slug)
    if request.method == "POST":
        if _discovery_limited(request):
            return render(request, "signin/organization_signin.html",
                          {"organization": organization, "slug": slug, "limited": True}, status=429)
        return oidc_redirect(request, authorize_params_for(organization))
    return render(request, "signin/organization_signin.html", {"organization": organization, "slug": slug,
                                                               "notice": ticket_return_notice(request.GET)})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    """End the portal session, then the provider's (RP-initiated logout at the end-session endpoint
    its discovery document names, back to the portal's front page, which says so)."""
    return_to = request.build_absolute_uri(settings.PORTAL_LOGOUT_RETURN_PATH)
    provider_logout = end_session_url(request, client_id=settings.AUTH0_CLIENT_ID, return_to=return_to)
    logout(request)
    if provider_logout is None:
        messages.warning(request, _("You have signed out of the portal. Your identity provider's own session may "
                                    "still be open: close the browser to end it."))
        return redirect(settings.PORTAL_LOGOUT_RETURN_PATH)
    messages.success(request, _("You have signed out."))
    return HttpResponseRedirect(provider_logout)


def landing(request: HttpRequest) -> HttpResponse:
    """Where each persona belongs after sign-in."""
    principal = principal_from_request(request)
    if not principal.is_authenticated:
        return redirect("signin")
    if principal.is_company_admin:
        return redirect("organization_list")
    organizations = list(organization_list(principal=principal)[:2])
    if len(organizations) == 1:
        return redirect("organization_detail", slug=organizations[0].slug)
    if organizations:
        return redirect("organization_choose")
    return redirect(reverse("profile"))


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The front page: what the portal is, and the way in. Signed-in people go where they belong."""
    if request.user.is_authenticated:
        return redirect("landing")
    return render(request, "portal/home.html")


def signin_cancelled(request: HttpRequest) -> HttpResponse:
    """allauth sends the browser here when the person cancels at the identity provider."""
    messages.info(request, _("Sign-in was cancelled. You can try again below."))
    return redirect("signin")


def legacy_login_redirect(request: HttpRequest, provider_id: str | None = None) -> HttpResponse:
    """allauth's own login URLs lead to our sign-in page, which always sends a nonce."""
    return redirect("signin")
