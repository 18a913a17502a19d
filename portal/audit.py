"""Recording administrative acts in the portal's own, append-only audit trail."""

from __future__ import annotations

import functools
from typing import Any

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


# What each recorded action is called on pages and in exports. The outcomes of operations
# (``<kind>.succeeded`` / ``.failed``, and ``<kind>.requested`` where a service records its request under
# the kind) are named after their OperationKind, so a new kind is labelled without an entry here.
AUDIT_ACTION_LABELS: dict[str, str] = {
    "organization.created": "Organization created",
    "organization.updated": "Organization settings changed",
    "organization.schema_updated": "Metadata schema changed",
    "organization.provision_requested": "Connection to Auth0 requested",
    "role.grant_requested": "Admin or viewer appointment requested",
    "role.granted": "Admin or viewer appointed",
    "role.revoked": "Admin or viewer removed",
    "company_admin.granted": "Company admin appointed",
    "api_client.registered": "API client registered",
    "api_client.changed": "API client changed",
    "api_client.webhook_changed": "API client's webhook changed",
    "api_client.webhook_redelivered": "Webhook event sent again",
    "user.invite_requested": "Invitation requested",
    "operation.retried": "Failed operation retried",
    "app_roles.grantable_changed": "Grantable application roles changed",
    "profile.data_export_downloaded": "Own data export downloaded (self-service)",
    "domain.added": "Domain added",
    "domain.verified": "Domain verified",
    "domain.verification_refused": "Domain not verified: another organization's",
    "domain.record_missing": "Domain's DNS record missing",
    "domain.record_restored": "Domain's DNS record back",
    "domain.unverified": "Domain no longer verified",
    "domain.removed": "Domain removed",
    "sso.connection_created": "SSO connection set up",
    "sso.connection_changed": "SSO connection changed",
    "sso.connection_tested": "SSO connection tested",
    "sso.connection_switched": "SSO connection turned on or off",
    "sso.connection_removed": "SSO connection removed",
    "bulk.job_uploaded": "Bulk file uploaded",
    "bulk.job_started": "Bulk onboarding started",
    "bulk.job_paused": "Bulk onboarding paused",
    "bulk.job_resumed": "Bulk onboarding resumed",
    "bulk.job_cancelled": "Bulk onboarding cancelled",
    "bulk.job_finished": "Bulk onboarding ended",
    "bulk.job_discarded": "Bulk file discarded",
    "scim.token_created": "SCIM token made",
    "scim.token_rotated": "SCIM token rotated",
    "scim.token_revoked": "SCIM token revoked",
    "scim.settings_changed": "SCIM deactivation setting changed",
    "scim.role_mapping_changed": "SCIM group role mapping changed",
    "scim.user_created": "User provisioned (SCIM)",
    "scim.user_changed": "User changed by provisioning (SCIM)",
    "scim.user_deleted": "User deprovisioned (SCIM)",
    "scim.group_created": "Group provisioned (SCIM)",
    "scim.group_changed": "Group changed by provisioning (SCIM)",
    "scim.group_deleted": "Group deprovisioned (SCIM)",
}
_OUTCOME_LABELS = {"requested": "requested", "succeeded": "done", "failed": "failed"}
# Kinds whose request is recorded under an action of its own (above), not as ``<kind>.requested``.
_REQUESTED_ELSEWHERE = {OperationKind.ORGANIZATION_PROVISION, OperationKind.ROLE_GRANT, OperationKind.USER_INVITE}


# Every page of the trail names fifty actions and offers every one in its filter: labels are looked up, not
# built from the list of kinds each time.
@functools.lru_cache(maxsize=1024)
def audit_action_label(action: str) -> str:
    """The label of a recorded action; one nobody named yet reads as its words, never as a code."""
    if action in AUDIT_ACTION_LABELS:
        return AUDIT_ACTION_LABELS[action]
    kind, _, outcome = action.rpartition(".")
    if kind in OperationKind.values and outcome in _OUTCOME_LABELS:
        return f"{OperationKind(kind).label}: {_OUTCOME_LABELS[outcome]}"
    return action.replace("_", " ").replace(".", ": ").capitalize()


@functools.cache
def audit_action_choices() -> tuple[tuple[str, str], ...]:
    """Every action the audit trail can hold, by label (the trail's action filter)."""
    actions = list(AUDIT_ACTION_LABELS)
    for kind in OperationKind.values:
        outcomes = ("succeeded", "failed") if kind in _REQUESTED_ELSEWHERE else ("requested", "succeeded", "failed")
        actions += [f"{kind}.{outcome}" for outcome in outcomes]
    return tuple(sorted(((a, audit_action_label(a)) for a in actions), key=lambda choice: choice[1].lower()))
