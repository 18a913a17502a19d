"""Verified domains end to end below the pages: added by an org admin, checked by the Celery task (``.apply()``)
against a DNS server on loopback, re-checked by beat's sweep, unverified after the grace period, and never owned
by two organizations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from domains import services, tasks
from domains.models import Domain
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent
from tests.factories import DomainFactory, OrganizationFactory, RoleFactory

pytestmark = pytest.mark.django_db


def _admin_of(organization, user_id: str):
    RoleFactory(organization=organization, user_id=user_id, role="admin", email=f"{user_id[6:]}@x.test")
    return principal_for_user_id(user_id, f"Admin {user_id[6:]}")


@pytest.fixture
def globex():
    return OrganizationFactory(slug="globex", display_name="Globex")


@pytest.fixture
def admin(globex):
    return _admin_of(globex, "auth0|globex-admin")


def _check(domain: Domain, actor=None) -> Domain:
    args = [domain.pk, actor.user_id, actor.display] if actor else [domain.pk]
    result = tasks.domain_verify.apply(args=args)
    assert result.successful(), result.traceback
    domain.refresh_from_db()
    return domain


def test_added_domain_gets_a_random_token_and_waits(globex, admin) -> None:
    domain = services.domain_add(actor=admin, organization=globex, name="  Globex.Example ")
    other = services.domain_add(actor=admin, organization=globex, name="globex-corp.example")
    assert (domain.name, domain.status, domain.record_name) == (
        "globex.example", "pending", "_portal-verification.globex.example")
    assert domain.record_value.startswith("portal-domain-verification=") and len(domain.token) == 32
    assert domain.token != other.token
    assert AuditEvent.objects.filter(action="domain.added", target_id="globex.example").count() == 1


@pytest.mark.parametrize(("name", "message"), [
    ("not a domain", "Enter a domain name"), ("user@globex.example", "Enter a domain name"),
    ("globex.example", "already on this organization's list"),
])
def test_bad_or_repeated_domains_are_refused_beside_the_field(globex, admin, name, message) -> None:
    services.domain_add(actor=admin, organization=globex, name="globex.example")
    with pytest.raises(ValidationError) as refused:
        services.domain_add(actor=admin, organization=globex, name=name)
    assert message in refused.value.message_dict["name"][0]
    assert Domain.objects.count() == 1


def test_only_the_organizations_admins_add_domains(globex) -> None:
    RoleFactory(organization=globex, user_id="auth0|viewer", role="viewer")
    with pytest.raises(PermissionDenied):
        services.domain_add(actor=principal_for_user_id("auth0|viewer"), organization=globex, name="globex.example")
    assert not Domain.objects.exists()


def test_a_published_record_verifies_the_domain_and_is_audited(globex, admin, dns_server) -> None:
    domain = services.domain_add(actor=admin, organization=globex, name="globex.example")
    assert _check(domain, admin).status == "pending"
    assert "No TXT record" in domain.check_message
    dns_server.publish(domain.record_name, "v=spf1 -all")
    dns_server.publish(domain.record_name, domain.record_value)
    domain = _check(domain, admin)
    assert (domain.status, domain.verified_at is not None) == ("verified", True)
    event = AuditEvent.objects.get(action="domain.verified")
    assert (event.actor_display, event.organization, event.target_id) == ("Admin globex-admin", globex,
                                                                          "globex.example")
    assert dns_server.queries[-1] == "_portal-verification.globex.example"
    _check(domain)  # checked again: still verified, nothing new to audit
    assert AuditEvent.objects.filter(action="domain.verified").count() == 1


def test_a_record_with_another_token_does_not_verify(globex, admin, dns_server) -> None:
    domain = services.domain_add(actor=admin, organization=globex, name="globex.example")
    dns_server.publish(domain.record_name, "portal-domain-verification=" + "0" * 32)
    assert _check(domain).status == "pending"


def test_an_unanswering_dns_changes_nothing_and_says_so(globex, admin, settings) -> None:
    settings.DOMAINS_DNS_NAMESERVERS, settings.DOMAINS_DNS_PORT, settings.DOMAINS_DNS_TIMEOUT = ["127.0.0.1"], 9, 0.3
    domain = services.domain_add(actor=admin, organization=globex, name="globex.example")
    domain = _check(domain)
    assert domain.status == "pending" and "did not answer" in domain.check_message


def test_a_vanished_record_is_a_grace_period_then_unverified(globex, admin, dns_server, settings) -> None:
    settings.DOMAINS_GRACE_HOURS = 72
    domain = services.domain_add(actor=admin, organization=globex, name="globex.example")
    dns_server.publish(domain.record_name, domain.record_value)
    _check(domain)
    dns_server.unpublish(domain.record_name)
    start = timezone.now()
    services.domain_check_apply(domain.pk, now=start)
    domain.refresh_from_db()
    assert (domain.status, domain.is_verified) == ("failing", True)
    services.domain_check_apply(domain.pk, now=start + timedelta(hours=71))
    domain.refresh_from_db()
    assert domain.status == "failing"
    services.domain_check_apply(domain.pk, now=start + timedelta(hours=72))
    domain.refresh_from_db()
    assert (domain.status, domain.verified_at, domain.is_verified) == ("pending", None, False)
    actions = list(AuditEvent.objects.filter(target_id="globex.example").order_by("id").values_list("action",
                                                                                                     flat=True))
    assert actions == ["domain.added", "domain.verified", "domain.record_missing", "domain.unverified"]


def test_a_record_back_within_the_grace_period_keeps_it_verified(globex, admin, dns_server) -> None:
    domain = services.domain_add(actor=admin, organization=globex, name="globex.example")
    dns_server.publish(domain.record_name, domain.record_value)
    verified_at = _check(domain).verified_at
    dns_server.unpublish(domain.record_name)
    assert _check(domain).status == "failing"
    dns_server.publish(domain.record_name, domain.record_value)
    domain = _check(domain)
    assert (domain.status, domain.verified_at, domain.missing_since) == ("verified", verified_at, None)
    assert AuditEvent.objects.filter(action="domain.record_restored").count() == 1


def test_beat_rechecks_verified_domains_when_due(globex, admin, published_tasks, settings) -> None:
    settings.DOMAINS_RECHECK_HOURS = 24
    now = timezone.now()
    fresh = Domain.objects.create(organization=globex, name="fresh.example", status="verified", checked_at=now)
    old = Domain.objects.create(organization=globex, name="old.example", status="verified",
                                checked_at=now - timedelta(hours=25))
    failing = Domain.objects.create(organization=globex, name="failing.example", status="failing",
                                    checked_at=now, missing_since=now)
    Domain.objects.create(organization=globex, name="pending.example", checked_at=now - timedelta(days=9))
    assert tasks.domains_recheck.apply().get() == 2
    assert published_tasks == ["domains.tasks.domain_verify"] * 2
    assert fresh.checked_at == now and {old.pk, failing.pk} == set(
        Domain.objects.exclude(pk=fresh.pk).filter(status__in=["verified", "failing"]).values_list("pk", flat=True))


def test_a_domain_verified_by_one_organization_cannot_be_claimed_by_another(globex, admin, dns_server) -> None:
    initech = OrganizationFactory(slug="initech", display_name="Initech")
    initech_admin = _admin_of(initech, "auth0|initech-admin")
    theirs = services.domain_add(actor=initech_admin, organization=initech, name="globex.example")
    ours = services.domain_add(actor=admin, organization=globex, name="globex.example")
    dns_server.publish(ours.record_name, ours.record_value)
    dns_server.publish(theirs.record_name, theirs.record_value)  # both published: the first check wins
    assert _check(ours).status == "verified"
    theirs = _check(theirs)
    assert theirs.status == "pending" and "Another organization" in theirs.check_message
    assert AuditEvent.objects.filter(action="domain.verification_refused", organization=initech).count() == 1
    hooli = OrganizationFactory(slug="hooli")
    with pytest.raises(ValidationError, match="Another organization"):
        services.domain_add(actor=_admin_of(hooli, "auth0|hooli-admin"), organization=hooli, name="GLOBEX.example")
    with pytest.raises(ValidationError, match="Another organization"):
        services.domain_verify_request(actor=initech_admin, domain=theirs)


def test_the_database_holds_one_verified_owner(globex) -> None:
    initech = OrganizationFactory(slug="initech")
    Domain.objects.create(organization=globex, name="globex.example", status="verified")
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.create(organization=initech, name="Globex.Example", status="failing")
    Domain.objects.create(organization=initech, name="globex.example")  # pending claims may coexist
    assert Domain.objects.count() == 2


def test_a_domain_given_to_another_organization_by_the_company_is_refused(globex, admin) -> None:
    DomainFactory(organization=OrganizationFactory(slug="initech"), domain="initech.example")
    with pytest.raises(ValidationError, match="given this domain to another organization"):
        services.domain_add(actor=admin, organization=globex, name="initech.example")


def test_verify_request_sends_the_check_after_commit_and_remove_is_audited(
    globex, admin, published_tasks, django_capture_on_commit_callbacks
) -> None:
    domain = services.domain_add(actor=admin, organization=globex, name="globex.example")
    with django_capture_on_commit_callbacks(execute=True):
        services.domain_verify_request(actor=admin, domain=domain)
    assert published_tasks == ["domains.tasks.domain_verify"]
    services.domain_remove(actor=admin, domain=domain)
    assert not Domain.objects.exists()
    assert AuditEvent.objects.filter(action="domain.removed", target_id="globex.example").count() == 1
