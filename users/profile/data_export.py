"""A person's "export my data": one JSON document of what the portal and Auth0 hold about them, built by a
task and kept for :data:`EXPORT_LIFETIME` for them alone to download
(``users.directory.selectors.profile_data_export_get``: their own, ready, not expired; anyone else's is a 404).

What it holds: the account as Auth0 has it now (profile, identities, sign-in counts), their metadata (all of
their user_metadata but fields their organizations' schemas keep from them, and the app_metadata fields the
schemas show them: the same visibility as the profile page; the keys the portal reserves appear as the
memberships they mean), their organizations, portal roles and application roles, their enrolled authentication
methods as Auth0 shows them (masked, no secrets), their recent Auth0 log events, and the portal's audit events about
them (when, who, what: never an event's details, which may hold values of fields they may not see).

One act in two halves: :func:`profile_data_export_request` (the view's: a quota per person, one export under
way at a time, a ``DataExport`` row and its Operation) and :func:`profile_data_export_apply` (the task's).
Expired exports are deleted whenever an export is asked for or finished (:func:`data_exports_purge`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from app_roles.holdings import profile_app_roles
from auth0_gateway import Auth0NotFound, gateway
from organizations.models import Audience, MetadataField, Organization
from organizations.validation import RESERVED_KEYS
from portal.audit import audit_action_label, audit_record
from portal.faults import PermanentFault
from portal.models import AuditEvent, Operation, OperationKind
from portal.operations import operation_create_alone, operation_enqueue_on_commit
from portal.principal import ROLE_LABELS, Principal
from portal.quota import Quota
from users.models import DataExport, Membership
from users.profile.acts import profile_organization_check, profile_quota_check, profile_subject_load

EXPORT_LIFETIME = dt.timedelta(days=7)
EXPORTS = Quota(limit=5, window_seconds=86400)
FORMAT = "delegated-admin-portal/personal-data-export/1"
AUDIT_EVENTS_MAX = 10_000
LOG_EVENTS_MAX = 100
# The account's own attributes, as Auth0 names them.
_ACCOUNT_KEYS = ("user_id", "email", "email_verified", "name", "given_name", "family_name", "nickname", "username",
                 "phone_number", "phone_verified", "picture", "locale", "created_at", "updated_at", "last_login",
                 "last_ip", "logins_count", "blocked", "multifactor")
_IDENTITY_KEYS = ("connection", "provider", "user_id", "isSocial")
_METHOD_KEYS = ("id", "type", "name", "confirmed", "created_at", "enrolled_at", "last_auth_at", "email",
                "phone_number", "preferred_authentication_method")
_LOG_KEYS = ("date", "type", "description", "ip", "user_agent", "client_name", "connection")


def _being_prepared() -> ValidationError:
    return ValidationError(gettext("An export of your data is already being prepared: it is offered here when it is "
                                   "ready."))


def profile_data_export_request(*, actor: Principal, organization: Organization | None) -> DataExport:
    """Queue the building of the person's export (``organization``: the one their profile page showed, where the
    request is recorded). One at a time, and at most :data:`EXPORTS` a day."""
    if not actor.is_authenticated:
        raise ValidationError(gettext("Sign in to export your data."))
    profile_organization_check(actor, organization)
    data_exports_purge()
    if DataExport.objects.filter(user_id=actor.user_id, ready_at__isnull=True,
                                 operation__status__in=[Operation.Status.PENDING, Operation.Status.RUNNING]).exists():
        raise _being_prepared()
    profile_quota_check("data-export", actor, EXPORTS, gettext("exports of your data"))
    with transaction.atomic():
        export = DataExport.objects.create(user_id=actor.user_id)
        # Two requests at the same instant both pass the check: the database lets one through.
        operation = operation_create_alone(refusal=_being_prepared(), kind=OperationKind.PROFILE_DATA_EXPORT,
                                           actor=actor, organization=organization, target=actor.user_id,
                                           payload={"export_id": str(export.pk)})
        export.operation = operation
        export.save(update_fields=["operation"])
        audit_record(actor=actor, action=f"{OperationKind.PROFILE_DATA_EXPORT}.requested", organization=organization,
                     target_type="user", target_id=actor.user_id, operation=operation,
                     summary=f"{actor.display or 'The user'} asked for an export of their data")
        operation_enqueue_on_commit(operation)
    return export


def profile_data_export_downloaded(*, actor: Principal, export: DataExport) -> None:
    """Record that the person downloaded their export (someone else holding their session would show here)."""
    audit_record(actor=actor, action="profile.data_export_downloaded", target_type="user", target_id=actor.user_id,
                 organization=export.operation.organization if export.operation else None,
                 summary=f"{actor.display or 'The user'} downloaded the export of their data")


def profile_data_export_apply(operation: Operation) -> dict:
    """Build the export (the task's half): read the account from Auth0 now, add what the portal holds, store it
    for :data:`EXPORT_LIFETIME`."""
    actor, person = profile_subject_load(operation, person_required=False)
    export = DataExport.objects.filter(pk=operation.payload.get("export_id"), user_id=actor.user_id).first()
    if export is None:
        raise PermanentFault("The export was deleted before it was built.")
    auth0 = gateway()
    try:
        account = auth0.user_get(user_id=actor.user_id)
    except Auth0NotFound:
        raise PermanentFault("Auth0 has no such account any more: there is nothing to export.") from None
    methods = auth0.user_authentication_methods(user_id=actor.user_id)
    logs = auth0.user_logs_page(user_id=actor.user_id, per_page=LOG_EVENTS_MAX, sort="date:-1").logs
    memberships = list(Membership.objects.filter(user__user_id=actor.user_id).select_related("organization")
                       .order_by("organization__display_name"))
    organizations = [m.organization for m in memberships]
    document = {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "account": {key: account[key] for key in _ACCOUNT_KEYS if account.get(key) is not None},
        "identities": [{k: i[k] for k in _IDENTITY_KEYS if k in i} for i in account.get("identities") or []],
        "user_metadata": _metadata_shown(account.get("user_metadata") or {}, MetadataField.Target.USER_METADATA,
                                         organizations),
        "app_metadata": _metadata_shown(account.get("app_metadata") or {}, MetadataField.Target.APP_METADATA,
                                        organizations),
        "organizations": [{"slug": m.organization.slug, "name": m.organization.display_name} for m in memberships],
        "portal_roles": _roles(actor),
        "application_roles": profile_app_roles(user_id=actor.user_id),
        "authentication_methods": [{k: m[k] for k in _METHOD_KEYS if m.get(k) is not None} for m in methods],
        "auth0_log_events": [{k: e[k] for k in _LOG_KEYS if e.get(k) not in (None, "")} for e in logs],
        "audit_events": _audit_events(actor.user_id),
    }
    now = timezone.now()
    export.content = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    export.ready_at, export.expires_at = now, now + EXPORT_LIFETIME
    export.save(update_fields=["content", "ready_at", "expires_at"])
    data_exports_purge(now=now)
    return {"export_id": str(export.pk), "bytes": len(export.content.encode())}


def _metadata_shown(values: dict[str, Any], target: str, organizations: list[Organization]) -> dict[str, Any]:
    """The part of one metadata object the person sees: a key a schema of theirs shows to end users; in
    user_metadata also keys no schema of theirs governs (their own data); never a key the portal reserves."""
    fields = MetadataField.objects.filter(organization__in=organizations, target=target)
    governed = set(fields.values_list("key", flat=True))
    shown = set(fields.filter(visible_to=Audience.END_USER).values_list("key", flat=True))
    reserved = RESERVED_KEYS.get(target, frozenset())
    return {key: value for key, value in values.items() if key not in reserved and (
        key in shown or (target == MetadataField.Target.USER_METADATA and key not in governed))}


# The labels below are text (str()) before they are stored: the export is JSON, which holds no lazy translation.
def _roles(actor: Principal) -> list[dict[str, str]]:
    roles = []
    if actor.is_company_admin:
        roles.append({"role": str(ROLE_LABELS["company_admin"]), "organization": "every organization"})
    names = dict(Organization.objects.filter(pk__in=actor.org_roles).values_list("pk", "display_name"))
    roles += [{"role": str(ROLE_LABELS.get(role, role)), "organization": names.get(pk, "")}
              for pk, role in sorted(actor.org_roles.items(), key=lambda item: names.get(item[0], ""))]
    return roles


def _audit_events(user_id: str) -> list[dict[str, str]]:
    events = (AuditEvent.objects.filter(target_id=user_id).select_related("organization")
              .order_by("occurred_at", "id")[:AUDIT_EVENTS_MAX])
    return [{"occurred_at": e.occurred_at.isoformat(), "by": e.actor_display,
             "action": str(audit_action_label(e.action)), "summary": e.summary,
             "organization": e.organization.display_name if e.organization else ""}
            for e in events]


def data_exports_purge(*, now: dt.datetime | None = None) -> int:
    """Delete every export past its expiry (personal data is not kept longer than it is offered)."""
    deleted, _ = DataExport.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
