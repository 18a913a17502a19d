"""The checks every organizations service makes again itself, so no caller (a view, a task, a command,
the API) can skip them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from organizations.models import Organization
from portal.principal import Principal


def require_company_admin(actor: Principal) -> None:
    if not actor.is_company_admin:
        raise PermissionDenied(_("Only company admins may do this."))


def require_company_admin_person(actor: Principal) -> None:
    """Company admins and the tools' registrations are the company's keys: only a person who is a company
    admin hands them out, never a machine client, however wide its registration."""
    require_company_admin(actor)
    if actor.is_machine:
        raise PermissionDenied(_("Only a company admin, signed in as themselves, may do this; API clients may not."))


def require_org_admin(actor: Principal, organization: Organization) -> None:
    if not actor.can_admin(organization.pk):
        raise PermissionDenied(_("Only this organization's admins may do this."))
