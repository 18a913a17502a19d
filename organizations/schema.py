"""An organization's metadata schema: the rules a field definition must follow, and saving a schema.

Every rule lives here; the schema editor's form only parses the inputs and shows these errors beside
the fields they concern (DESIGN.md section 2).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from organizations import validation
from organizations.access.authorization import require_company_admin
from organizations.models import Audience, MetadataField, Organization
from organizations.signals import metadata_schema_saved
from portal.audit import audit_record
from portal.principal import Principal

SCHEMA_FIELD_KEYS = (
    "key", "label", "target", "type", "required", "max_length", "pattern", "choices", "editable_by", "visible_to",
    "searchable",
)
_AUDIENCE_ORDER = [a.value for a in Audience]
_TEXT_LIKE = (MetadataField.Type.TEXT, MetadataField.Type.PHONE, MetadataField.Type.URL, MetadataField.Type.EMAIL)


class SchemaInvalid(ValidationError):
    """A schema that cannot be saved. ``field_errors`` maps a field's position in the submitted list to
    its errors by attribute (``{0: {"key": "…"}}``), so each can be shown beside what it is about."""

    def __init__(self, field_errors: dict[int, dict[str, str]]) -> None:
        self.field_errors = field_errors
        super().__init__([
            _("Field %(number)s: %(errors)s") % {"number": index + 1, "errors": " ".join(errors.values())}
            for index, errors in sorted(field_errors.items())
        ])


def metadata_field_errors(field: dict) -> dict[str, str]:
    """What is wrong with one schema field definition, by attribute (empty when it is valid)."""
    errors: dict[str, str] = {}
    key, target, kind = field.get("key", ""), field.get("target", ""), field.get("type", "")
    if not re.fullmatch(validation.KEY_RE, key or ""):
        errors["key"] = str(validation.KEY_MESSAGE)
    elif key in validation.RESERVED_KEYS.get(target, ()):
        errors["key"] = _("“%(key)s” is reserved by the portal in %(target)s and cannot be part of a schema.") % {
            "key": key, "target": target}
    if kind == MetadataField.Type.ENUM:
        choices = field.get("choices") or []
        if len(choices) < 2:
            errors["choices"] = _("A choice field needs at least two choices.")
        elif len(set(choices)) != len(choices):
            errors["choices"] = _("Choices must be different from each other.")
    elif field.get("choices"):
        errors["choices"] = _("Only choice fields have choices.")
    pattern = field.get("pattern") or ""
    if pattern:
        if kind not in (MetadataField.Type.TEXT, MetadataField.Type.PHONE):
            errors["pattern"] = _("Only text and phone fields can have a pattern.")
        else:
            try:
                re.compile(pattern)
            except re.error as exc:
                errors["pattern"] = _("Not a valid regular expression: %(error)s.") % {"error": exc}
    if field.get("max_length") and kind not in _TEXT_LIKE:
        errors["max_length"] = _("Only text, phone, email and URL fields have a maximum length.")
    editable_by, visible_to = field.get("editable_by"), field.get("visible_to")
    if target == MetadataField.Target.APP_METADATA and editable_by == Audience.END_USER:
        errors["editable_by"] = _("app_metadata is never editable by the user themselves; choose an admin role.")
    if editable_by in _AUDIENCE_ORDER and visible_to in _AUDIENCE_ORDER and (
        _AUDIENCE_ORDER.index(visible_to) > _AUDIENCE_ORDER.index(editable_by)
    ):
        errors["visible_to"] = _("Everyone who may edit a field must also be able to see it.")
    # Everyone who searches the list (viewers included) would learn a searchable field's values.
    if field.get("searchable") and visible_to in _AUDIENCE_ORDER and (
        _AUDIENCE_ORDER.index(visible_to) > _AUDIENCE_ORDER.index(Audience.ORG_VIEWER)
    ):
        errors["searchable"] = _("Only fields organization viewers may see can be searchable.")
    return errors


def metadata_schema_errors(fields: list[dict]) -> dict[int, dict[str, str]]:
    """Every field's own errors, and a key used twice in the same target (reported on the second use)."""
    errors = {i: e for i, field in enumerate(fields) if (e := metadata_field_errors(field))}
    seen: set[tuple[str, str]] = set()
    for i, field in enumerate(fields):
        ident = (field.get("target", ""), field.get("key", ""))
        if ident in seen:
            errors.setdefault(i, {})["key"] = _("“%(key)s” appears twice in %(target)s.") % {
                "key": ident[1], "target": ident[0]}
        seen.add(ident)
    return errors


def metadata_schema_save(*, actor: Principal, organization: Organization, fields: list[dict]) -> None:
    """Replace the organization's schema with ``fields`` (in order), or change nothing on any error
    (:class:`SchemaInvalid`)."""
    require_company_admin(actor)
    errors = metadata_schema_errors(fields)
    if errors:
        raise SchemaInvalid(errors)
    with transaction.atomic():
        before = list(organization.metadata_fields.values(*SCHEMA_FIELD_KEYS))
        organization.metadata_fields.all().delete()
        for position, field in enumerate(fields):
            item = MetadataField(organization=organization, position=position,
                                 **{k: field.get(k) for k in SCHEMA_FIELD_KEYS if k in field})
            item.full_clean(exclude=["organization"])
            item.save()
        metadata_schema_saved.send(sender=MetadataField, organization=organization)
        audit_record(
            actor=actor, action="organization.schema_updated", organization=organization,
            target_type="organization", target_id=organization.slug,
            summary=f"Updated the metadata schema ({len(fields)} field{'s' if len(fields) != 1 else ''})",
            details={"before": before, "after": fields},
        )
