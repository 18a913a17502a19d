"""The checks every organizations service makes again itself, so no caller (a view, a task, a command,
the API) can skip them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from organizations.models import Organization
from portal.principal import Principal


def require_company_admin(actor: Principal) -> None:
    if not actor.is_company_admin:
        raise PermissionDenied("Only company admins may do this.")


def require_org_admin(actor: Principal, organization: Organization) -> None:
    if not actor.can_admin(organization.pk):
        raise PermissionDenied("Only this organization's admins may do this.")
