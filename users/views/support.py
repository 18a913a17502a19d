"""What the pages that act on one user of an organization share."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from organizations.models import Organization
from organizations.selectors import organization_get
from portal.principal import Principal, principal_from_request
from users.directory import selectors
from users.models import DirectoryUser


def admin_target_get(request: HttpRequest, slug: str, user_id: str) -> tuple[Principal, Organization, DirectoryUser]:
    """Who asks, the organization and its user (404 outside the asker's scope), for the organization's
    admins only (403 for its viewers)."""
    principal = principal_from_request(request)
    organization = organization_get(principal=principal, slug=slug)
    person = selectors.user_get(principal=principal, organization=organization, user_id=user_id)
    if not principal.can_admin(organization.pk):
        raise PermissionDenied
    return principal, organization, person
