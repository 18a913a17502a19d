"""Who is acting: the signed-in person's portal roles, read once per request from the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest


@dataclass(frozen=True)
class Principal:
    user_id: str  # the Auth0 user id (sub); "" for nobody
    display: str = ""
    is_company_admin: bool = False
    # organization primary key -> "admin" | "viewer"
    org_roles: dict[int, str] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user_id)

    def role_in(self, organization_id: int) -> str | None:
        if self.is_company_admin:
            return "company_admin"
        return self.org_roles.get(organization_id)

    def can_view(self, organization_id: int) -> bool:
        return self.role_in(organization_id) is not None

    def can_admin(self, organization_id: int) -> bool:
        return self.role_in(organization_id) in ("company_admin", "admin")


ANONYMOUS = Principal(user_id="")


def principal_for_user_id(user_id: str, display: str = "") -> Principal:
    from organizations.models import CompanyAdmin, OrganizationRole

    if not user_id:
        return ANONYMOUS
    return Principal(
        user_id=user_id,
        display=display or user_id,
        is_company_admin=CompanyAdmin.objects.filter(user_id=user_id).exists(),
        org_roles=dict(OrganizationRole.objects.filter(user_id=user_id).values_list("organization_id", "role")),
    )


def principal_from_request(request: HttpRequest) -> Principal:
    """The acting principal, cached on the request (roles are read once per request)."""
    cached = getattr(request, "_portal_principal", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        principal = ANONYMOUS
    else:
        principal = principal_for_user_id(user.auth0_user_id, user.display_name)
    request._portal_principal = principal  # type: ignore[attr-defined]
    return principal
