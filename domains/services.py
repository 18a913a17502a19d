"""Writes to verified domains: add, ask for a check, the check itself (what the task runs), the periodic re-check
and removal. Each re-checks who may act, owns its transaction and records an audit event; the DNS lookup runs in a
Celery task (domains.tasks), never in a request."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from domains import dns
from domains.models import Domain
from organizations import validation
from organizations.models import Organization, OrganizationDomain
from portal.audit import audit_record
from portal.celery import app
from portal.principal import Principal

VERIFY_TASK = "domains.tasks.domain_verify"
# Shown to whoever adds or checks the domain (translated then), and kept as the domain's check_message (in English,
# as every stored text: a check runs in a task).
TAKEN_MESSAGE = gettext_noop("Another organization in the portal has already verified this domain. A domain can "
                             "belong to one organization only; if it should be yours, ask your contact at the company "
                             "to look into it.")


def _require_admin(actor: Principal, organization: Organization) -> None:
    if not actor.can_admin(organization.pk):
        raise PermissionDenied(_("Only the organization's admins manage its domains."))


def _verified_elsewhere(name: str, organization: Organization) -> bool:
    return Domain.objects.filter(name__iexact=name, status__in=Domain.VERIFIED_STATUSES).exclude(
        organization=organization).exists()


def domain_add(*, actor: Principal, organization: Organization, name: str) -> Domain:
    """Add a domain to verify; it routes nobody until its TXT record is seen."""
    _require_admin(actor, organization)
    name = validation.domain_normalize(name)
    if not validation.DOMAIN_RE.match(name):
        raise ValidationError({"name": _("Enter a domain name such as example.com (without http:// or an @).")})
    if Domain.objects.filter(organization=organization, name__iexact=name).exists():
        raise ValidationError({"name": _("%(domain)s is already on this organization's list.") % {"domain": name}})
    if _verified_elsewhere(name, organization):
        raise ValidationError({"name": _(TAKEN_MESSAGE)})
    if OrganizationDomain.objects.filter(domain=name).exclude(organization=organization).exists():
        raise ValidationError({"name": _("The company's admins have given this domain to another organization in "
                                         "the portal; ask them if it should be yours.")})
    with transaction.atomic():
        domain = Domain.objects.create(organization=organization, name=name, added_by=actor.display)
        audit_record(actor=actor, action="domain.added", organization=organization, target_type="domain",
                     target_id=name, summary=f"Added the domain {name} (to be verified)")
    return domain


def _send_check(domain: Domain, actor: Principal | None) -> None:
    args = [domain.pk, actor.user_id, actor.display] if actor else [domain.pk]
    transaction.on_commit(lambda: app.send_task(VERIFY_TASK, args=args), robust=True)


def domain_verify_request(*, actor: Principal, domain: Domain) -> Domain:
    """Ask for a check of the domain's TXT record now (the task looks it up and records what it found)."""
    _require_admin(actor, domain.organization)
    if domain.status == Domain.Status.PENDING and _verified_elsewhere(domain.name, domain.organization):
        raise ValidationError(_(TAKEN_MESSAGE))
    with transaction.atomic():
        Domain.objects.filter(pk=domain.pk).update(check_requested_at=timezone.now())
        _send_check(domain, actor)
    domain.refresh_from_db()
    return domain


def _record(domain: Domain, actor: Principal | None, action: str, summary: str) -> None:
    audit_record(actor=actor, action=action, organization=domain.organization, target_type="domain",
                 target_id=domain.name, summary=summary)


def domain_check_apply(domain_id: int, *, actor: Principal | None = None, now=None) -> Domain | None:
    """Look the domain's record up and record the outcome: verified when the token is published; a verified
    domain whose record is gone stays verified for ``DOMAINS_GRACE_HOURS``, then is unverified (audited). None
    when the domain was removed meanwhile."""
    now = now or timezone.now()
    domain = Domain.objects.select_related("organization").filter(pk=domain_id).first()
    if domain is None:
        return None
    try:
        found = domain.record_value in dns.txt_values(domain.record_name)
    except dns.DnsUnavailable:
        Domain.objects.filter(pk=domain.pk).update(
            checked_at=now, check_message="The DNS servers did not answer; the portal will try again later.")
        domain.refresh_from_db()
        return domain
    with transaction.atomic():
        domain = Domain.objects.select_for_update().select_related("organization").filter(pk=domain_id).first()
        if domain is None:
            return None
        domain.checked_at = now
        if found:
            _found(domain, actor, now)
        else:
            _missing(domain, actor, now)
    return domain


def _found(domain: Domain, actor: Principal | None, now) -> None:
    was = domain.status
    domain.status, domain.missing_since = Domain.Status.VERIFIED, None
    domain.verified_at = domain.verified_at if was != Domain.Status.PENDING else now
    domain.check_message = "The record is published: the domain is verified."
    try:
        with transaction.atomic():
            domain.save()
    except IntegrityError:
        domain.status, domain.verified_at = Domain.Status.PENDING, None
        domain.check_message = TAKEN_MESSAGE
        Domain.objects.filter(pk=domain.pk).update(status=domain.status, verified_at=None, checked_at=now,
                                                   check_message=domain.check_message)
        _record(domain, actor, "domain.verification_refused",
                f"{domain.name} was not verified: another organization has verified it")
        return
    if was == Domain.Status.PENDING:
        _record(domain, actor, "domain.verified", f"Verified the domain {domain.name} (its DNS record was found)")
    elif was == Domain.Status.FAILING:
        _record(domain, actor, "domain.record_restored", f"The DNS record of {domain.name} is published again")


def _missing(domain: Domain, actor: Principal | None, now) -> None:
    grace = timedelta(hours=settings.DOMAINS_GRACE_HOURS)
    if domain.status == Domain.Status.PENDING:
        domain.check_message = (f"No TXT record with the value shown was found at {domain.record_name} yet. DNS "
                                "changes can take up to a few hours to appear: check again later.")
    elif domain.status == Domain.Status.VERIFIED:
        domain.status, domain.missing_since = Domain.Status.FAILING, now
        domain.check_message = (f"The record at {domain.record_name} is gone. Publish it again: after "
                                f"{settings.DOMAINS_GRACE_HOURS} hours without it the domain stops being verified.")
        _record(domain, actor, "domain.record_missing", f"The DNS record of {domain.name} is missing")
    elif now - domain.missing_since >= grace:
        domain.status, domain.verified_at, domain.missing_since = Domain.Status.PENDING, None, None
        domain.check_message = (f"The record at {domain.record_name} was missing for more than "
                                f"{settings.DOMAINS_GRACE_HOURS} hours: the domain is no longer verified. Publish it "
                                "again and check.")
        _record(domain, actor, "domain.unverified",
                f"{domain.name} is no longer verified: its DNS record was missing past the grace period")
    domain.save()


def domains_recheck(*, now=None) -> int:
    """Beat runs this: send a check for every verified domain not checked for ``DOMAINS_RECHECK_HOURS`` (and
    every failing one at each run, so the grace period ends on time). Returns how many were sent."""
    now = now or timezone.now()
    due = now - timedelta(hours=settings.DOMAINS_RECHECK_HOURS)
    due_now = Q(status=Domain.Status.FAILING) | Q(checked_at__isnull=True) | Q(checked_at__lt=due)
    ids = list(Domain.objects.filter(due_now, status__in=Domain.VERIFIED_STATUSES).values_list("pk", flat=True))
    for pk in ids:
        app.send_task(VERIFY_TASK, args=[pk])
    return len(ids)


def domain_remove(*, actor: Principal, domain: Domain) -> None:
    """Take the domain off the organization's list (sign-in stops routing its emails here)."""
    _require_admin(actor, domain.organization)
    with transaction.atomic():
        Domain.objects.filter(pk=domain.pk).delete()
        _record(domain, actor, "domain.removed", f"Removed the domain {domain.name}")
