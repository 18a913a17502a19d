"""The default language of a person's organization (``portal.web.language`` asks it through
``PORTAL_ORGANIZATION_LANGUAGE_LOADER``): of the organizations they administer, view or are a member of, in the order
of their names, the first that has one."""

from __future__ import annotations

from django.db.models import Q

from organizations.models import Organization


def person_organization_language(user_id: str) -> str:
    return (
        Organization.objects
        .filter(Q(roles__user_id=user_id) | Q(memberships__user__user_id=user_id))
        .exclude(default_language="")
        .order_by("display_name", "pk")
        .values_list("default_language", flat=True)
        .first()
    ) or ""
