"""Who is acting: the signed-in person's portal roles, read once per request from the database.

Roles are kept by the organizations package, above this base layer: settings name the function that
reads them (``PORTAL_PRINCIPAL_LOADER``), so the base depends on no app and the composition root wires
them together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Shown in pages: lazily translated, in the language of the page that shows them.
ROLE_LABELS = {"company_admin": pgettext_lazy("portal role", "Company admin"),
               "admin": pgettext_lazy("portal role", "Admin"), "viewer": pgettext_lazy("portal role", "Viewer")}


@dataclass(frozen=True)
class Principal:
    user_id: str  # the Auth0 user id (sub); "" for nobody
    display: str = ""
    is_company_admin: bool = False
    # organization primary key -> "admin" | "viewer"
    org_roles: dict[int, str] = field(default_factory=dict)
    # A registered machine client of the REST API rather than a person: it may reach what its registration
    # allows, but some acts are kept for people (company admins are managed by company admins only).
    is_machine: bool = False

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user_id)

    def role_in(self, organization_id: int) -> str | None:
        if self.is_company_admin:
            return "company_admin"
        return self.org_roles.get(organization_id)

    def role_label_in(self, organization_id: int) -> str:
        """The role as a person reads it (pages never show the raw value)."""
        return ROLE_LABELS.get(self.role_in(organization_id) or "", _("No role"))

    def can_view(self, organization_id: int) -> bool:
        return self.role_in(organization_id) is not None

    def can_admin(self, organization_id: int) -> bool:
        return self.role_in(organization_id) in ("company_admin", "admin")


ANONYMOUS = Principal(user_id="")


PrincipalLoader = Callable[[str, str], Principal]


@functools.cache
def _principal_loader(path: str) -> PrincipalLoader:
    return import_string(path)


def principal_load(user_id: str, display: str = "") -> Principal:
    """The principal for an Auth0 user id, with the roles the portal's database grants them."""
    if not user_id:
        return ANONYMOUS
    return _principal_loader(settings.PORTAL_PRINCIPAL_LOADER)(user_id, display)


def principal_from_request(request: HttpRequest) -> Principal:
    """The acting principal, cached on the request (roles are read once per request)."""
    cached = getattr(request, "_portal_principal", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        principal = ANONYMOUS
    else:
        principal = principal_load(user.auth0_user_id, user.display_name)
    request._portal_principal = principal  # type: ignore[attr-defined]
    return principal


def company_admin_from_request(request: HttpRequest) -> Principal:
    """The acting principal if they are a company admin; anyone else gets 404 (a company-only page does not
    admit that it exists)."""
    principal = principal_from_request(request)
    if not principal.is_company_admin:
        raise Http404
    return principal
