"""The columns a bulk file may have: the person's email and names, whether to block them, the application roles to
give them, and the fields of the organization's metadata schema the uploading admin may set.

A column is named as the template names it: ``email``, ``given_name``, ``family_name``, ``name``, ``block``,
``roles`` (the organization's grantable roles by label, separated by ``|``: :data:`ROLES_SEPARATOR`), and each
schema field by its key (``department``), or ``user_metadata.<key>`` / ``app_metadata.<key>`` where a key is
in both. Headers match whatever their case, with spaces or hyphens for underscores, and the usual spreadsheet
names for the person's columns ("Email address", "First name", "Last name") are understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from app_roles.catalog import organization_grantable_roles
from organizations.models import MetadataField, Organization
from portal.principal import Principal
from users.directory.selectors import user_metadata_fields_editable

EMAIL, NAME, GIVEN_NAME, FAMILY_NAME, BLOCK = "email", "name", "given_name", "family_name", "block"
PERSON_COLUMNS = (EMAIL, GIVEN_NAME, FAMILY_NAME, NAME, BLOCK)
# The application roles to give the person: labels (or the roles' Auth0 names or ids) of the organization's
# grantable roles, separated by "|" (not ";", which separates the cells of some files, nor ",").
ROLES = "roles"
ROLES_SEPARATOR = "|"
_ALIASES = {
    "email_address": EMAIL, "e_mail": EMAIL, "mail": EMAIL,
    "first_name": GIVEN_NAME, "firstname": GIVEN_NAME, "given": GIVEN_NAME,
    "last_name": FAMILY_NAME, "lastname": FAMILY_NAME, "surname": FAMILY_NAME,
    "full_name": NAME, "blocked": BLOCK,
    "role": ROLES, "app_roles": ROLES, "application_roles": ROLES, "application_role": ROLES,
}
_METADATA_TARGETS = (MetadataField.Target.USER_METADATA.value, MetadataField.Target.APP_METADATA.value)


def header_normal(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


@dataclass(frozen=True)
class FileColumns:
    """How a file's headers map to what they set: ``spec`` is a person column's name or ``"<target>.<key>"``."""

    headers: list[str]
    specs: list[str]

    def as_json(self) -> list[list[str]]:
        return [[h, s] for h, s in zip(self.headers, self.specs, strict=True)]


def columns_resolve(organization: Organization, headers: list[str]) -> FileColumns:
    """What each header sets, or a ValidationError that names every header the portal cannot place (nothing
    is read from a file whose columns are not all understood: a misspelt field would be silently dropped)."""
    fields = list(MetadataField.objects.filter(organization=organization).values_list("target", "key"))
    keys: dict[str, list[str]] = {}
    for target, key in fields:
        keys.setdefault(key, []).append(f"{target}.{key}")
    qualified = {f"{target}.{key}" for target, key in fields}
    specs: list[str] = []
    problems: list[str] = []
    for position, header in enumerate(headers, start=1):
        normal = header_normal(header)
        spec = _ALIASES.get(normal, normal)
        if not normal:
            problems.append(_("column %(position)s has no name") % {"position": position})
        elif spec in PERSON_COLUMNS or spec == ROLES or spec in qualified:
            specs.append(spec)
            continue
        elif len(keys.get(normal, [])) == 1:
            specs.append(keys[normal][0])
            continue
        elif len(keys.get(normal, [])) > 1:
            problems.append(_("“%(header)s” is a field of both user_metadata and app_metadata: name the column "
                              "user_metadata.%(key)s or app_metadata.%(key)s") % {"header": header, "key": normal})
        else:
            problems.append(_("“%(header)s” is not a column the portal knows") % {"header": header})
        specs.append("")
    if EMAIL not in specs:
        problems.insert(0, _("the file has no email column (the first line must name the columns, one of them "
                             "email)"))
    repeated = sorted({s for s in specs if s and specs.count(s) > 1})
    if repeated:
        problems.append(_("these are given twice: %(columns)s") % {"columns": ", ".join(repeated)})
    if problems:
        known = ", ".join(template_headers_all(organization))
        raise ValidationError(_("The file's columns cannot be read: %(problems)s. The columns are: %(known)s.") % {
            "problems": "; ".join(problems), "known": known}, code="columns")
    return FileColumns(list(headers), specs)


def field_headers(fields: list[tuple[str, str]]) -> dict[str, str]:
    """``"<target>.<key>"`` -> the header the template gives each of the schema's ``fields`` (every one of them)."""
    seen: dict[str, int] = {}
    for _target, key in fields:
        seen[key] = seen.get(key, 0) + 1
    return {f"{target}.{key}": _field_header(target, key, seen) for target, key in fields}


def _field_header(target: str, key: str, keys_seen: dict[str, int]) -> str:
    return key if keys_seen.get(key, 0) == 1 else f"{target}.{key}"


def template_headers_all(organization: Organization) -> list[str]:
    fields = list(MetadataField.objects.filter(organization=organization).values_list("target", "key"))
    return _headers(fields, fields, roles=True)


def template_headers(*, actor: Principal, organization: Organization) -> list[str]:
    """The template's first line: the person's columns, ``roles`` if the organization may grant any, then
    every schema field the actor may set."""
    every = list(MetadataField.objects.filter(organization=organization).values_list("target", "key"))
    editable = list(user_metadata_fields_editable(principal=actor, organization=organization)
                    .values_list("target", "key"))
    return _headers(editable, every, roles=organization_grantable_roles(organization).exists())


def _headers(fields: list[tuple[str, str]], every: list[tuple[str, str]], *, roles: bool) -> list[str]:
    headers = field_headers(every)
    return [*PERSON_COLUMNS, *([ROLES] if roles else []), *(headers[f"{target}.{key}"] for target, key in fields)]


def roles_cell_split(cell: object) -> list[str]:
    """The role names a ``roles`` cell gives: a file's text split at :data:`ROLES_SEPARATOR`, or the API's list;
    blank ones dropped."""
    names = cell if isinstance(cell, list) else str(cell).split(ROLES_SEPARATOR)
    return [" ".join(str(name).split()) for name in names if str(name).strip()]


def field_labels_not_settable(*, actor: Principal, organization: Organization) -> list[str]:
    """The labels of the schema's fields the actor may not set (the upload page names them)."""
    editable = user_metadata_fields_editable(principal=actor, organization=organization).values_list("pk", flat=True)
    return list(MetadataField.objects.filter(organization=organization).exclude(pk__in=list(editable))
                .order_by("position", "pk").values_list("label", flat=True))


def spec_target_key(spec: str) -> tuple[str, str] | None:
    """``("user_metadata", "department")`` for a metadata column's spec; None for a person column."""
    target, _dot, key = spec.partition(".")
    return (target, key) if target in _METADATA_TARGETS and key else None
