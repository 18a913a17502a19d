"""An admin edits a user's metadata through the organization's schema (DESIGN.md section 2).

How to call it (a view, a test, the reliability test's 500 edits)::

    operation = user_metadata_edit_request(
        actor=admin, organization=acme, user_id="auth0|…",
        values={"user_metadata": {"department": "Sales", "nickname": None}, "app_metadata": {"seats": 12}},
    )
    # then the task users.tasks.user_metadata_edit runs user_metadata_edit_apply(operation)

``values`` is keyed as Auth0 keys a user: ``{"user_metadata": {key: value}, "app_metadata": {key: value}}``;
either part may be left out, and a key not given is left as it is. A value is the field's JSON value (``str``,
``bool``, ``int``) or its text as a form posts it (``"yes"``/``"no"`` for a yes/no field, digits for an
integer, ``YYYY-MM-DD`` for a date). ``None`` or ``""`` clears the field: it is sent to Auth0 as ``null``,
which deletes the key (refused for a required field). A value equal to the current one is no change, and is
not checked against the schema: a value stored before a rule was added never blocks an edit of other fields.

The rules: only the schema's fields the actor may edit (``users.directory.selectors.user_metadata_fields_editable``:
viewers none, org admins all but company admins' fields, company admins all), never a key the portal
reserves (``organizations.validation.RESERVED_KEYS``) or one outside the schema, every changed value valid
by its field's type, required flag, maximum length, pattern and choices. A broken rule is a
``ValidationError`` keyed by the field's name, ``"<target>.<key>"`` (the edit form's field names), with a
message meant to sit beside that field; "nothing changed" is a non-field ``ValidationError``; the actor's
rights are ``PermissionDenied``. Nothing is recorded then. An invitation (``users.acts.invite``: the page, the
API, bulk onboarding) checks its values with :meth:`MetadataEditor.changes_for_someone_new`, which also asks a
value of every required field the inviting admin may set (and of none they may not).

Otherwise one Operation holds only the changed fields, its audit event each one's before and after, and the
task sends them to Auth0 as one first-level metadata merge through the gateway's user update. The apply half
checks the actor's rights and the schema again (either may have changed since). Idempotent by construction: a
merge sent twice (a retry after Auth0 answered) leaves the user as sending it once does.

The person's own edit of their details is ``users.profile.metadata``'s, with these same rules.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from auth0_gateway import gateway
from organizations.models import Audience, MetadataField, Organization
from organizations.validation import METADATA_DATE_RE, METADATA_INTEGER_MAX, METADATA_PHONE_RE, RESERVED_KEYS
from portal.audit import audit_record
from portal.faults import PermanentFault
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.principal import Principal
from users.acts.rules import operation_subject_load, user_rights_check
from users.directory.mirror import directory_user_write_through
from users.directory.selectors import user_get, user_metadata_fields_editable
from users.models import DirectoryUser

TARGETS = (MetadataField.Target.USER_METADATA.value, MetadataField.Target.APP_METADATA.value)
# The longest text any field takes (the schema's own cap on max_length), whatever its schema says.
VALUE_MAX = 2000
_TEXT_LIKE = (MetadataField.Type.TEXT, MetadataField.Type.EMAIL, MetadataField.Type.PHONE, MetadataField.Type.URL)
_INTEGER = re.compile(r"^[+-]?\d{1,16}$")
_YES, _NO = ("yes", "true", "on", "1"), ("no", "false", "off", "0")
_url_validate = URLValidator(schemes=["http", "https"])
REQUIRED_MESSAGE = _("Enter a value: this field is required.")


@dataclass(frozen=True)
class MetadataChange:
    """One field an edit changes: its value before (the directory's) and after (``None``: deleted)."""

    target: str
    key: str
    label: str
    before: Any
    after: Any

    @property
    def name(self) -> str:
        return f"{self.target}.{self.key}"


def metadata_field_name(field: MetadataField) -> str:
    """The name a field goes by in ``values`` errors and in the edit form: ``"<target>.<key>"``."""
    return f"{field.target}.{field.key}"


def metadata_value_text(field: MetadataField, value: Any) -> str:
    """A stored value as the edit form shows it (and posts it back unchanged)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(metadata_value_text(field, v) for v in value)
    return str(value)


def _same(a: Any, b: Any) -> bool:
    # By type too: True == 1 in Python, but a yes/no and a number are different values in Auth0's JSON.
    return type(a) is type(b) and a == b


def _unchanged(field: MetadataField, raw: Any, current: Any) -> bool:
    if _same(raw, current):
        return True
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return current is None or current == ""
    return isinstance(raw, str) and current is not None and raw.strip() == metadata_value_text(field, current)


def metadata_value_clean(field: MetadataField, raw: Any) -> Any:
    """The value to store for ``raw`` by the field's rules (``None``: clear it), or a ValidationError whose
    message is meant to sit beside the field."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if field.required:
            raise ValidationError(REQUIRED_MESSAGE)
        return None
    kind = field.type
    if kind == MetadataField.Type.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _YES or text in _NO:
            return text in _YES
        raise ValidationError(gettext("Choose Yes or No."))
    if kind == MetadataField.Type.INTEGER:
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        elif isinstance(raw, str) and _INTEGER.match(raw.strip()):
            number = int(raw.strip())
        else:
            raise ValidationError(gettext("Enter a whole number, like 42."))
        if abs(number) > METADATA_INTEGER_MAX:
            raise ValidationError(gettext("Enter a number between %(lowest)s and %(highest)s.") % {
                "lowest": f"-{METADATA_INTEGER_MAX:,}", "highest": f"{METADATA_INTEGER_MAX:,}"})
        return number
    if kind == MetadataField.Type.ENUM:
        text = str(raw).strip()
        for choice in field.choices or []:
            if str(choice) == text:
                return choice
        raise ValidationError(gettext("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(c) for c in field.choices or [])})
    if kind == MetadataField.Type.DATE:
        text = raw.isoformat() if isinstance(raw, dt.date) else str(raw).strip()
        if not METADATA_DATE_RE.match(text):
            raise ValidationError(gettext("Enter a date as YYYY-MM-DD, like 2026-03-31."))
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(gettext("There is no such day as %(day)s.") % {"day": text}) from None
        return text
    if not isinstance(raw, str):
        raise ValidationError(gettext("Enter text."))
    return _text_clean(field, raw.strip())


def _text_clean(field: MetadataField, text: str) -> str:
    """Text, email, phone and URL fields: their form, then length, then the schema's pattern (checked last,
    on text whose length is bounded)."""
    kind = field.type
    if "\x00" in text:  # PostgreSQL's JSON cannot hold it: the directory could not mirror the value
        raise ValidationError(gettext("Null characters are not allowed."))
    if kind == MetadataField.Type.EMAIL:
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(gettext("Enter a valid email address, like name@example.com.")) from None
    elif kind == MetadataField.Type.URL:
        try:
            _url_validate(text)
        except ValidationError:
            raise ValidationError(gettext("Enter a full web address starting with https:// (or http://).")) from None
    elif kind == MetadataField.Type.PHONE and not METADATA_PHONE_RE.match(text):
        raise ValidationError(gettext("Enter a phone number: digits, optionally starting with +, with spaces, "
                                      "brackets, dots or hyphens if you like (3 to 32 characters)."))
    limit = min(field.max_length or VALUE_MAX, VALUE_MAX) if kind in _TEXT_LIKE else VALUE_MAX
    if len(text) > limit:
        raise ValidationError(ngettext("Keep it to %(limit)s character (this is %(length)s).",
                                       "Keep it to %(limit)s characters (this is %(length)s).", limit) % {
            "limit": f"{limit:,}", "length": f"{len(text):,}"})
    if field.pattern:
        try:
            matches = re.fullmatch(field.pattern, text) is not None
        except re.error:  # the schema refuses such patterns; one that got in anyway matches nothing
            matches = False
        if not matches:
            raise ValidationError(gettext("Enter a value of the form this field expects (the pattern %(pattern)s).")
                                  % {"pattern": field.pattern})
    return text


def _not_editable_message(field: MetadataField) -> str:
    if field.editable_by == Audience.COMPANY_ADMIN:
        return gettext("Only company admins may change %(field)s.") % {"field": field.label}
    return gettext("You may not change %(field)s.") % {"field": field.label}


# Which fields an editor may change, and what to say of one they may not: an admin's (by their role) or the
# person's own (end users' fields); every other rule is the same for both.
NotEditable = Callable[[MetadataField], str]


def _admin_editable(actor: Principal, organization: Organization) -> set[tuple[str, str]]:
    return set(user_metadata_fields_editable(principal=actor, organization=organization).values_list("target", "key"))


@dataclass(frozen=True)
class MetadataEditor:
    """Who edits an organization's metadata, with its schema read once: what the single edits use, and what a
    bulk file's thousands of rows are checked with (one schema read, not one per row)."""

    organization: Organization
    schema: dict[tuple[str, str], MetadataField]
    editable: set[tuple[str, str]]
    not_editable: NotEditable

    @classmethod
    def for_admin(cls, actor: Principal, organization: Organization) -> MetadataEditor:
        """The actor as an admin of ``organization``: the fields their role may edit."""
        return cls(organization, _schema(organization), _admin_editable(actor, organization), _not_editable_message)

    def changes(self, held: tuple[dict, dict], values: Any, *, required_given: bool = False) -> list[MetadataChange]:
        """The changes ``values`` asks for against ``held`` (the person's ``(user_metadata, app_metadata)``;
        empty dicts for someone new), every rule checked: a ValidationError naming each field that breaks one;
        ``[]`` when nothing would change. ``required_given``: also each required field this editor may set
        must have a value afterwards (:meth:`changes_for_someone_new`)."""
        if not isinstance(values, dict) or set(values) - set(TARGETS):
            raise ValidationError(gettext("An edit's values are {\"user_metadata\": {…}, \"app_metadata\": {…}}; "
                                          "got %(given)s.") % {
                "given": sorted(values) if isinstance(values, dict) else type(values).__name__})
        errors: dict[str, str] = {}
        changes: list[MetadataChange] = []
        for target, current in zip(TARGETS, held, strict=True):
            given = values.get(target) or {}
            if not isinstance(given, dict):
                errors[target] = gettext("%(target)s must map field keys to values.") % {"target": target}
                continue
            current = current or {}
            for key, raw in given.items():
                name = f"{target}.{key}"
                field = self.schema.get((target, key))
                if key in RESERVED_KEYS.get(target, ()):
                    errors[name] = gettext("“%(key)s” is reserved by the portal in %(target)s: it is never edited "
                                           "here.") % {"key": key, "target": target}
                elif field is None:
                    errors[name] = gettext("“%(key)s” is not a field of %(organization)s's metadata schema.") % {
                        "key": key, "organization": self.organization.display_name}
                elif (target, key) not in self.editable:
                    errors[name] = self.not_editable(field)
                elif not _unchanged(field, raw, current.get(key)):
                    try:
                        after = metadata_value_clean(field, raw)
                    except ValidationError as exc:
                        errors[name] = " ".join(exc.messages)
                        continue
                    if not _same(after, current.get(key)):
                        changes.append(MetadataChange(target, key, field.label, current.get(key), after))
        if required_given:
            errors.update(self._required_missing(held, values, errors))
        if errors:
            raise ValidationError(errors)
        return changes

    def _required_missing(self, held: tuple[dict, dict], values: dict, errors: dict[str, str]) -> dict[str, str]:
        """The required fields this editor may set that would have no value (those with an error already aside)."""
        missing: dict[str, str] = {}
        for (target, key), field in self.schema.items():
            name = f"{target}.{key}"
            if not field.required or (target, key) not in self.editable or name in errors:
                continue
            given = values.get(target) or {}
            if not isinstance(given, dict):  # refused as a whole already
                continue
            value = given[key] if key in given else (held[TARGETS.index(target)] or {}).get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                missing[name] = REQUIRED_MESSAGE
        return missing

    def changes_for_someone_new(self, values: Any) -> list[MetadataChange]:
        """What an invitation's ``values`` sets on someone new (nothing held yet), every rule of :meth:`changes`
        checked, and one more: each required field this editor may set needs a value. A required field missing
        (or empty) is a ValidationError beside it (``"<target>.<key>"``), with every other field's error.

        A required field the editor may *not* set (app_metadata kept by company admins, when an organization's
        admin invites) is not asked of them: they could not give it, and refusing would make every invitation
        theirs impossible. It stays unset until someone who may set it does (the person's page lists it
        empty); only its editors are bound by "required"."""
        return self.changes(({}, {}), values, required_given=True)


def _schema(organization: Organization) -> dict[tuple[str, str], MetadataField]:
    return {(f.target, f.key): f for f in MetadataField.objects.filter(organization=organization)}


def metadata_changes(organization: Organization, person: DirectoryUser, values: Any, editable: set[tuple[str, str]],
             not_editable: NotEditable) -> list[MetadataChange]:
    """The changes ``values`` asks for, every rule checked; a ValidationError naming each field that breaks one."""
    editor = MetadataEditor(organization, _schema(organization), editable, not_editable)
    changes = editor.changes((person.user_metadata, person.app_metadata), values)
    if not changes:
        raise ValidationError(gettext("Nothing changed: every value is as it was, so nothing was sent to Auth0."))
    return changes


def metadata_payload(changes: list[MetadataChange]) -> dict[str, dict[str, Any]]:
    """Changes as an operation's payload holds them and Auth0's merge takes them: ``{target: {key: after}}``."""
    payload: dict[str, dict[str, Any]] = {}
    for change in changes:
        payload.setdefault(change.target, {})[change.key] = change.after
    return payload


def metadata_changes_audit(changes: list[MetadataChange]) -> list[dict[str, Any]]:
    """Each change's before and after, as an audit event's details keep them."""
    return [{"field": c.name, "label": c.label, "before": c.before, "after": c.after} for c in changes]


def user_metadata_edit_preview(*, actor: Principal, organization: Organization, user_id: str, values: dict
                               ) -> list[MetadataChange]:
    """What :func:`user_metadata_edit_request` would record, checked the same way, recording nothing (the
    edit page's review step)."""
    person = user_get(principal=actor, organization=organization, user_id=user_id)  # 404 outside the scope
    user_rights_check(actor, organization, person)
    return metadata_changes(organization, person, values, _admin_editable(actor, organization), _not_editable_message)


def user_metadata_edit_request(*, actor: Principal, organization: Organization, user_id: str, values: dict,
                               idempotency_key: str | None = None) -> Operation:
    """Record and queue an edit of the user's metadata (see the module's docstring for ``values``)."""
    person = user_get(principal=actor, organization=organization, user_id=user_id)  # 404 outside the scope
    user_rights_check(actor, organization, person)
    changes = metadata_changes(organization, person, values, _admin_editable(actor, organization),
                               _not_editable_message)
    return metadata_edit_record(actor, organization, person, changes, OperationKind.USER_METADATA_EDIT,
                                f"Edited the metadata of {person.display_name}", idempotency_key=idempotency_key)


def metadata_edit_record(actor: Principal, organization: Organization, person: DirectoryUser,
                         changes: list[MetadataChange], kind: str, summary: str, *,
                         idempotency_key: str | None = None) -> Operation:
    """Record and queue an edit: only the changed fields in the payload, each one's before and after in the
    audit event."""
    payload: dict[str, Any] = {"user_id": person.user_id, "email": person.email, **metadata_payload(changes)}
    labels = ", ".join(c.label for c in changes)
    with transaction.atomic():
        operation = operation_create(kind=kind, actor=actor, organization=organization, target=person.user_id,
                                     payload=payload, idempotency_key=idempotency_key)
        audit_record(
            actor=actor, action=f"{kind}.requested", organization=organization, target_type="user",
            target_id=person.user_id, summary=f"{summary}: {labels}",
            operation=operation, details={"changes": metadata_changes_audit(changes)},
        )
        operation_enqueue_on_commit(operation)
    return operation


def user_metadata_edit_apply(operation: Operation) -> dict:
    """Send the edit to Auth0 as one first-level merge (``None`` deletes a key) and write the user Auth0
    returns through to the directory: after checking the actor's rights and every value against the schema
    as they are now."""
    actor, person = operation_subject_load(operation)
    organization: Organization = operation.organization
    merge = metadata_merge_checked(operation, organization, _admin_editable(actor, organization), _not_editable_message)
    user = gateway().user_update(user_id=person.user_id, user_metadata=merge.get(TARGETS[0]),
                                 app_metadata=merge.get(TARGETS[1]))
    directory_user_write_through(user)
    return {"changed": sorted(f"{target}.{key}" for target, part in merge.items() for key in part)}


def metadata_merge_checked(operation: Operation, organization: Organization, editable: set[tuple[str, str]],
                   not_editable: NotEditable) -> dict[str, dict[str, Any]]:
    """The operation's changes as the merge to send, each checked against the schema and the editor's rights
    as they are now (either may have changed since the edit was asked for)."""
    schema = _schema(organization)
    merge: dict[str, dict[str, Any]] = {}
    for target in TARGETS:
        for key, value in (operation.payload.get(target) or {}).items():
            field = schema.get((target, key))
            if field is None or key in RESERVED_KEYS.get(target, ()):
                raise PermanentFault(f"“{key}” is no longer a field of {organization.display_name}'s metadata "
                                     "schema: nothing was changed.")
            if (target, key) not in editable:
                raise PermissionDenied(f"{not_editable(field)} Nothing was changed.")  # untranslated: stored error
            try:
                merge.setdefault(target, {})[key] = metadata_value_clean(field, value)
            except ValidationError as exc:
                # untranslated: the operation's error, stored once in English (as every operation error is)
                raise ValidationError(f"{field.label}: {' '.join(exc.messages)} The schema changed since the edit "
                                      "was asked for: nothing was changed.") from None
    if not merge:
        raise PermanentFault("The edit holds no change.")
    return merge


def invite_metadata_merge(operation: Operation, actor: Principal) -> dict[str, dict[str, Any]]:
    """The metadata an invitation sets (``users.acts.invite``), checked against the schema and the inviting
    admin's rights as they are now; ``{}`` when it sets none."""
    if not any(operation.payload.get(target) for target in TARGETS):
        return {}
    organization: Organization = operation.organization
    return metadata_merge_checked(operation, organization, _admin_editable(actor, organization), _not_editable_message)
