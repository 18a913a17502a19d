"""The person's own edit, from their profile page, is the same edit with another editor:
``profile_metadata_edit_preview`` / ``_request`` / ``_apply`` take no user id (the actor is the person) and
allow only the schema's user_metadata fields editable by end users (``users.directory.selectors.
profile_metadata_fields_editable``); every other key in ``values`` (app_metadata, an admin's field, a reserved
or unknown key) is refused by name, with the same rules for every value and the same audit of before and after.
The task checks that the person asked for it about themselves and still belongs to the organization, and sends
user_metadata only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from auth0_gateway import gateway
from organizations.models import MetadataField, Organization
from portal.models import Operation, OperationKind
from portal.principal import Principal
from users.acts.metadata import (
    TARGETS,
    MetadataChange,
    NotEditable,
    metadata_changes,
    metadata_edit_record,
    metadata_merge_checked,
)
from users.directory.mirror import directory_user_write_through
from users.directory.selectors import profile_metadata_fields_editable
from users.models import DirectoryUser
from users.profile.acts import profile_organization_check, profile_person_require, profile_subject_load


def _self_editable(organization: Organization) -> set[tuple[str, str]]:
    return set(profile_metadata_fields_editable(organization=organization).values_list("target", "key"))


def _self_not_editable(organization: Organization) -> NotEditable:
    def message(field: MetadataField) -> str:
        return gettext("%(field)s is kept by %(organization)s's admins: you cannot change it yourself.") % {
            "field": field.label, "organization": organization.display_name}
    return message


def _self_subject(actor: Principal, organization: Organization) -> DirectoryUser:
    person = profile_person_require(actor)
    profile_organization_check(actor, organization)
    return person


def profile_metadata_edit_preview(*, actor: Principal, organization: Organization, values: dict
                                  ) -> list[MetadataChange]:
    """What :func:`profile_metadata_edit_request` would record (the profile's review step), recording nothing."""
    person = _self_subject(actor, organization)
    return metadata_changes(organization, person, values, _self_editable(organization),
                            _self_not_editable(organization))


def profile_metadata_edit_request(*, actor: Principal, organization: Organization, values: dict) -> Operation:
    """The person edits their own details in ``organization`` (one of theirs; else PermissionDenied): only the
    schema's user_metadata fields end users may edit. Anything else in ``values`` (an app_metadata key, an
    admin's field, a reserved or unknown key), whatever a form posted, is refused by name and nothing is
    recorded; the rules of each value are the admins' edit's."""
    person = _self_subject(actor, organization)
    changes = metadata_changes(organization, person, values, _self_editable(organization),
                               _self_not_editable(organization))
    return metadata_edit_record(actor, organization, person, changes, OperationKind.PROFILE_METADATA_EDIT,
                                f"{person.display_name} edited their own details")


def profile_metadata_edit_apply(operation: Operation) -> dict:
    """Send the person's own edit to Auth0 (user_metadata only, one first-level merge) and write the user
    through, after checking that they asked for it about themselves, still belong to the organization, and
    that every field is still theirs to edit."""
    _actor, person = profile_subject_load(operation, member_required=True)
    organization: Organization = operation.organization
    merge = metadata_merge_checked(operation, organization, _self_editable(organization),
                                   _self_not_editable(organization))
    if set(merge) != {TARGETS[0]}:  # the editable fields are user_metadata's only; never send anything else
        # untranslated: a task's refusal, the operation's error stored once in English
        raise PermissionDenied("Only your own user_metadata fields can be changed here. Nothing was changed.")
    user = gateway().user_update(user_id=person.user_id, user_metadata=merge[TARGETS[0]])
    directory_user_write_through(user)
    return {"changed": sorted(f"{TARGETS[0]}.{key}" for key in merge[TARGETS[0]])}
