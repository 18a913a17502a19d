"""SCIM providers' bearer tokens: made, rotated and revoked by the organization's admins (each audited), shown
once, kept as their SHA-256 only; what a token may do (its principal) and how often (its rate).

A token's principal is an admin of its organization and of nothing else, a machine (``Principal.is_machine``: the
guardrails keep company admins from it), named after the provider (``"Okta (SCIM)"``), which the audit trail shows
as the actor of everything it asks for. Its subject, ``scim:<token id>``, stays the same through rotations, so the
tasks of its operations find it again (``PORTAL_MACHINE_PRINCIPALS``); once revoked it may do nothing, and its
operations still queued fail when their tasks check the actor again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from organizations.access.authorization import require_org_admin
from organizations.models import Organization, OrganizationRole
from portal.audit import audit_record
from portal.principal import Principal
from portal.quota import Quota, quota_take
from scim.models import NAME_MAX, Deactivation, ScimSettings, ScimToken

SUBJECT_PREFIX = "scim:"
# The token's visible prefix says what it is; 40 random bytes follow it.
TOKEN_PREFIX = "scim_"  # noqa: S105 - a label, not a secret


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_new() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(40)


def token_subject(token: ScimToken) -> str:
    return f"{SUBJECT_PREFIX}{token.pk}"


def token_principal(token: ScimToken) -> Principal:
    """What the token may reach: its organization, as an admin, while it is not revoked."""
    roles = {token.organization_id: str(OrganizationRole.Role.ADMIN)} if token.is_active else {}
    return Principal(user_id=token_subject(token), display=f"{token.name} (SCIM)", org_roles=roles, is_machine=True)


def scim_principal_for_subject(subject: str) -> Principal:
    """``PORTAL_MACHINE_PRINCIPALS``' loader: the principal of ``scim:<token id>`` as the token is now (a token
    revoked or gone reaches nothing)."""
    pk = subject.removeprefix(SUBJECT_PREFIX)
    token = ScimToken.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if token is None:
        return Principal(user_id=subject, display="A removed SCIM token", is_machine=True)
    return token_principal(token)


@dataclass(frozen=True)
class Authenticated:
    token: ScimToken
    principal: Principal


def token_authenticate(*, slug: str, presented: str) -> Authenticated | None:
    """The active token of organization ``slug`` that ``presented`` is, or None (whether the organization exists
    or not: the same answer)."""
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        return None
    token = (ScimToken.objects.select_related("organization")
             .filter(token_hash=_hash(presented), revoked_at__isnull=True).first())
    if token is None or not hmac.compare_digest(token.organization.slug, slug):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return Authenticated(token, token_principal(token))


def token_rate_take(token: ScimToken) -> float | None:
    """Count one request of the token; None within its budget, else the seconds until it may ask again."""
    return quota_take(f"scim:{token.pk}", Quota(settings.SCIM_RATE_PER_MINUTE, 60))


# -- the admins' acts ------------------------------------------------------------------------------------------
def _admin_check(actor: Principal, organization: Organization) -> None:
    require_org_admin(actor, organization)
    if actor.is_machine:
        raise PermissionDenied(_("Only an admin signed in as themselves may manage SCIM tokens."))


def scim_token_list(*, principal: Principal, organization: Organization):
    """The organization's tokens, for its admins (revoked ones last)."""
    if not principal.can_admin(organization.pk):
        return ScimToken.objects.none()
    return ScimToken.objects.filter(organization=organization).order_by("revoked_at", "name", "pk")


def scim_token_get(*, principal: Principal, organization: Organization, token_id: int) -> ScimToken:
    """One of the organization's tokens (ScimToken.DoesNotExist for any other: the view's 404)."""
    return scim_token_list(principal=principal, organization=organization).get(pk=token_id)


def scim_token_create(*, actor: Principal, organization: Organization, name: str) -> tuple[ScimToken, str]:
    """A new token for the provider ``name``: the row, and the token itself, which is never shown again."""
    _admin_check(actor, organization)
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise ValidationError({"name": _("Name the identity provider in 1 to %(max)s characters, like Okta.")
                                       % {"max": NAME_MAX}})
    if ScimToken.objects.filter(organization=organization, name__iexact=name).exists():
        raise ValidationError({"name": _("%(organization)s has a token named %(name)s already: rotate it, or choose "
                                         "another name.") % {"organization": organization.display_name, "name": name}})
    secret = _token_new()
    try:
        with transaction.atomic():
            token = ScimToken.objects.create(organization=organization, name=name, token_hash=_hash(secret),
                                             token_prefix=secret[:12])
            audit_record(actor=actor, action="scim.token_created", organization=organization, target_type="scim_token",
                         target_id=str(token.pk), summary=f"Made a SCIM token for {name}")
    except IntegrityError:
        raise ValidationError({"name": _("%(organization)s has a token named %(name)s already.")
                                       % {"organization": organization.display_name, "name": name}}) from None
    return token, secret


def scim_token_rotate(*, actor: Principal, organization: Organization, token: ScimToken) -> str:
    """A new secret for ``token`` (the old one stops working at once); the new one, shown once."""
    _admin_check(actor, organization)
    if token.organization_id != organization.pk or not token.is_active:
        raise ValidationError(_("This token is revoked: make a new one."))
    secret = _token_new()
    with transaction.atomic():
        ScimToken.objects.filter(pk=token.pk).update(token_hash=_hash(secret), token_prefix=secret[:12],
                                                     rotated_at=timezone.now())
        audit_record(actor=actor, action="scim.token_rotated", organization=organization, target_type="scim_token",
                     target_id=str(token.pk), summary=f"Made a new SCIM token for {token.name} (the old one stopped "
                                                      "working)")
    return secret


def scim_token_revoke(*, actor: Principal, organization: Organization, token: ScimToken) -> None:
    """The token stops working at once, for good; what it queued and has not run yet fails when it runs."""
    _admin_check(actor, organization)
    if token.organization_id != organization.pk or not token.is_active:
        raise ValidationError(_("This token is revoked already."))
    with transaction.atomic():
        ScimToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        audit_record(actor=actor, action="scim.token_revoked", organization=organization, target_type="scim_token",
                     target_id=str(token.pk), summary=f"Revoked the SCIM token of {token.name}")


def scim_deactivation_of(organization: Organization) -> str:
    found = ScimSettings.objects.filter(organization=organization).values_list("deactivation", flat=True).first()
    return found or Deactivation.BLOCK


def _label_en(deactivation: str) -> str:
    """The choice as the audit trail keeps it: in English, as every stored text."""
    with translation.override("en"):
        return str(Deactivation(deactivation).label)


def scim_deactivation_save(*, actor: Principal, organization: Organization, deactivation: str) -> None:
    """What ``active: false`` does in the organization from now on (audited with before and after)."""
    _admin_check(actor, organization)
    if deactivation not in Deactivation.values:
        raise ValidationError({"deactivation": _("Choose what a deactivation does.")})
    before = scim_deactivation_of(organization)
    if before == deactivation:
        return
    with transaction.atomic():
        ScimSettings.objects.update_or_create(organization=organization, defaults={"deactivation": deactivation})
        audit_record(actor=actor, action="scim.settings_changed", organization=organization,
                     target_type="organization", target_id=organization.slug,
                     summary=f"A deactivation by the identity provider now means: {_label_en(deactivation)}",
                     details={"deactivation": {"before": before, "after": deactivation}})
