"""The language a person chose for themselves: kept in the portal (``User.language``, which pages and emails
follow: portal.web.language), and mirrored to their Auth0 ``user_metadata.locale`` where one of their organizations'
schemas has that field for people to edit themselves, so the applications that read it follow too."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from organizations.models import Organization
from portal.models import Operation, User
from portal.principal import Principal
from portal.web.language import language_supported
from users.directory.selectors import profile_metadata_fields_editable, profile_organizations, profile_person
from users.profile.metadata import profile_metadata_edit_request

LOCALE_KEY = "locale"


def profile_locale_organization(*, actor: Principal) -> Organization | None:
    """The first of the person's organizations whose schema lets them edit ``user_metadata.locale`` (None: their
    choice stays in the portal)."""
    for organization in profile_organizations(principal=actor):
        if profile_metadata_fields_editable(organization=organization).filter(
                target="user_metadata", key=LOCALE_KEY).exists():
            return organization
    return None


def profile_language_set(*, actor: Principal, account: User, language: str) -> Operation | None:
    """Keep ``language`` ("" : none, their organization's or their browser's applies) as the person's choice; the
    operation that mirrors it to Auth0, if their schema allows (None otherwise, or when Auth0 has it already)."""
    if language and not language_supported(language):
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    with transaction.atomic():
        User.objects.filter(pk=account.pk).update(language=language)
        account.language = language
    organization = profile_locale_organization(actor=actor)
    person = profile_person(principal=actor)
    if organization is None or person is None or not language:
        return None
    if (person.user_metadata or {}).get(LOCALE_KEY) == language:
        return None
    try:
        return profile_metadata_edit_request(actor=actor, organization=organization,
                                             values={"user_metadata": {LOCALE_KEY: language}})
    except ValidationError:
        return None  # the schema does not allow this language (a choice field without it): kept in the portal
