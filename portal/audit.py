"""Recording administrative acts in the portal's own, append-only audit trail."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.models import AuditEvent, Operation, OperationKind
from portal.principal import Principal


def audit_record(
    *, actor: Principal | None, action: str, summary: str, organization=None, target_type: str = "",
    target_id: str = "", details: dict[str, Any] | None = None, operation: Operation | None = None,
) -> AuditEvent:
    """Write one audit event. Services call it inside their transaction, beside the change itself."""
    return AuditEvent.objects.create(
        actor_user_id=actor.user_id if actor else "",
        actor_display=(actor.display if actor else "") or "system",
        organization=organization,
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:500],
        details=details or {},
        operation=operation,
    )


def stored_text(value: Callable[[], object] | object) -> str:
    """Text as the portal stores it (an audit event's summary): in the language its strings are written in,
    English, whatever language the page that asked reads in. ``value`` is a lazily translated label, or a
    function that returns one as it is called (``get_FOO_display``)."""
    with translation.override(None):
        return str(value() if callable(value) else value)


# What each recorded action is called on pages and in exports (translated where they are shown). The outcomes of
# operations (``<kind>.succeeded`` / ``.failed``, and ``<kind>.requested`` where a service records its request
# under the kind) are named after their OperationKind, so a new kind is labelled without an entry here.
AUDIT_ACTION_LABELS: dict[str, Any] = {
    "organization.created": _("Organization created"),
    "organization.updated": _("Organization settings changed"),
    "organization.language_changed": _("Default language changed"),
    "organization.schema_updated": _("Metadata schema changed"),
    "organization.provision_requested": _("Connection to Auth0 requested"),
    "role.grant_requested": _("Admin or viewer appointment requested"),
    "role.granted": _("Admin or viewer appointed"),
    "role.revoked": _("Admin or viewer removed"),
    "company_admin.granted": _("Company admin appointed"),
    "api_client.registered": _("API client registered"),
    "api_client.changed": _("API client changed"),
    "api_client.webhook_changed": _("API client's webhook changed"),
    "api_client.webhook_redelivered": _("Webhook event sent again"),
    "user.invite_requested": _("Invitation requested"),
    "operation.retried": _("Failed operation retried"),
    "app_roles.grantable_changed": _("Grantable application roles changed"),
    "profile.data_export_downloaded": _("Own data export downloaded (self-service)"),
    "domain.added": _("Domain added"),
    "domain.verified": _("Domain verified"),
    "domain.verification_refused": _("Domain not verified: another organization's"),
    "domain.record_missing": _("Domain's DNS record missing"),
    "domain.record_restored": _("Domain's DNS record back"),
    "domain.unverified": _("Domain no longer verified"),
    "domain.removed": _("Domain removed"),
    "sso.connection_created": _("SSO connection set up"),
    "sso.connection_changed": _("SSO connection changed"),
    "sso.connection_tested": _("SSO connection tested"),
    "sso.connection_switched": _("SSO connection turned on or off"),
    "sso.connection_removed": _("SSO connection removed"),
    "bulk.job_uploaded": _("Bulk file uploaded"),
    "bulk.job_started": _("Bulk onboarding started"),
    "bulk.job_paused": _("Bulk onboarding paused"),
    "bulk.job_resumed": _("Bulk onboarding resumed"),
    "bulk.job_cancelled": _("Bulk onboarding cancelled"),
    "bulk.job_finished": _("Bulk onboarding ended"),
    "bulk.job_discarded": _("Bulk file discarded"),
    "scim.token_created": _("SCIM token made"),
    "scim.token_rotated": _("SCIM token rotated"),
    "scim.token_revoked": _("SCIM token revoked"),
    "scim.settings_changed": _("SCIM deactivation setting changed"),
    "scim.role_mapping_changed": _("SCIM group role mapping changed"),
    "scim.user_created": _("User provisioned (SCIM)"),
    "scim.user_changed": _("User changed by provisioning (SCIM)"),
    "scim.user_deleted": _("User deprovisioned (SCIM)"),
    "scim.group_created": _("Group provisioned (SCIM)"),
    "scim.group_changed": _("Group changed by provisioning (SCIM)"),
    "scim.group_deleted": _("Group deprovisioned (SCIM)"),
}
# An operation's outcome, after its kind's label ("Invite a user: done").
_OUTCOME_LABELS = {"requested": _("{kind}: requested"), "succeeded": _("{kind}: done"), "failed": _("{kind}: failed")}
# Kinds whose request is recorded under an action of its own (above), not as ``<kind>.requested``.
_REQUESTED_ELSEWHERE = {OperationKind.ORGANIZATION_PROVISION, OperationKind.ROLE_GRANT, OperationKind.USER_INVITE}


# Every page of the trail names fifty actions and offers every one in its filter: labels are looked up, not
# built from the list of kinds each time. A label is lazy (translated where it is shown), so one cached label
# serves every language.
@functools.lru_cache(maxsize=1024)
def audit_action_label(action: str) -> Any:
    """The label of a recorded action; one nobody named yet reads as its words, never as a code."""
    if action in AUDIT_ACTION_LABELS:
        return AUDIT_ACTION_LABELS[action]
    kind, _dot, outcome = action.rpartition(".")
    if kind in OperationKind.values and outcome in _OUTCOME_LABELS:
        return format_lazy(_OUTCOME_LABELS[outcome], kind=OperationKind(kind).label)
    return action.replace("_", " ").replace(".", ": ").capitalize()


def audit_action_choices() -> tuple[tuple[str, str], ...]:
    """Every action the audit trail can hold, by label in the current language's order (the trail's action
    filter)."""
    return _audit_action_choices(translation.get_language())


@functools.cache
def _audit_action_choices(language: str | None) -> tuple[tuple[str, str], ...]:
    actions = list(AUDIT_ACTION_LABELS)
    for kind in OperationKind.values:
        outcomes = ("succeeded", "failed") if kind in _REQUESTED_ELSEWHERE else ("requested", "succeeded", "failed")
        actions += [f"{kind}.{outcome}" for outcome in outcomes]
    return tuple(sorted(((a, audit_action_label(a)) for a in actions), key=lambda choice: str(choice[1]).lower()))
