"""Setting an organization's default language (its admins, or company admins)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from organizations.access.authorization import require_org_admin
from organizations.models import Organization
from portal.audit import audit_record
from portal.principal import Principal
from portal.web.language import language_supported


def organization_language_set(*, actor: Principal, organization: Organization, language: str) -> Organization:
    """``language``: one of settings.LANGUAGES, or "" for none (each person's browser decides)."""
    require_org_admin(actor, organization)
    if language and not language_supported(language):
        raise ValidationError({"default_language": _("Choose one of the languages offered.")})
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        before = organization.default_language
        if before == language:
            return organization
        organization.default_language = language
        organization.save(update_fields=["default_language", "updated_at"])
        audit_record(
            actor=actor, action="organization.language_changed", organization=organization,
            target_type="organization", target_id=organization.slug,
            summary=f"Default language changed from {before or 'each browser'} to {language or 'each browser'}",
            details={"from": before, "to": language},
        )
    return organization
