"""The cross-organization takeover a review found (issue 17), replayed against a demo tenant of its own over
HTTP: Initech's admin (a shared-connection organization) invites people who belong elsewhere (a Globex member,
Globex's admin, an Acme user, an end user in no organization, the company admin), then tries every act on them
through the pages and the REST API. None of them becomes an Initech member: each gets an invitation to join
that only they can accept, every act is a 404, and their accounts in the tenant are exactly as they were.

Then one of them accepts and belongs to both organizations: Initech's admin still cannot touch the account
(email, password, MFA, Auth0 block, deletion), and their block is a block in Initech alone, which leaves the
account and the Globex membership as they were."""

from __future__ import annotations

import json

import httpx
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from auth0_gateway import gateway
from organizations.models import CompanyAdmin
from organizations.selectors import principal_for_user_id
from portal.celery import app
from portal.models import Operation, OperationKind
from tests.conftest import _api_clients, _portal_pointed_at
from tests.factories import RoleFactory, UserFactory
from tests.support.api_tokens import person_token, register, tool_token
from tests.users.org_modes import organizations_per_mode
from users import tasks as _tasks  # noqa: F401 (registers the tasks run below)
from users.acts.account import USER_ACTIONS
from users.acts.join import join_invitation_accept_request
from users.directory.mirror import directory_user_write_through
from users.models import JoinInvitation, OrganizationBlock

pytestmark = pytest.mark.django_db

VICTIMS = ["user05@globex.test", "admin@globex.test", "user06@acme.test", "enduser@portal.test", "admin@portal.test"]
ATTACKER = "admin@initech.test"
TAKEN_OVER = "attacker-controlled@evil.test"


@pytest.fixture(scope="module")
def tenant(emulator_factory):
    """A demo tenant of this module's own: the replay changes demo people other tests rely on."""
    return emulator_factory("--seed", "demo", "--test-controls", "--no-rate-limits")


def auth0_state(email: str) -> list[tuple[dict, list[str]]]:
    """Every account with ``email`` and its Auth0 Organizations, as the tenant holds them."""
    auth0 = gateway()
    return sorted(((u, sorted(o["id"] for o in auth0.user_organizations(user_id=u["user_id"])))
                   for u in auth0.users_by_email(email=email)), key=lambda pair: pair[0]["user_id"])


def mirror(email: str) -> dict:
    """What a directory sync would write for the demo person ``email`` (their account in the shared connection
    where they have one)."""
    auth0 = gateway()
    [user, *_] = sorted(auth0.users_by_email(email=email), key=lambda u: u["identities"][0]["connection"] != (
        "Username-Password-Authentication"))
    directory_user_write_through(user, auth0_organization_ids=[o["id"] for o in auth0.user_organizations(
        user_id=user["user_id"])])
    return user


@pytest.fixture
def world(settings, tenant):
    pointed = _portal_pointed_at(settings, tenant)
    next(pointed)
    clients = _api_clients(settings)
    api = next(clients)
    organizations = organizations_per_mode()
    initech, globex = organizations["initech"], organizations["globex"]
    attacker = mirror(ATTACKER)
    people = {email: mirror(email) for email in VICTIMS}
    RoleFactory(organization=initech, user_id=attacker["user_id"], role="admin", email=ATTACKER)
    RoleFactory(organization=initech, role="admin")  # a second admin: the last-admin rule is not what refuses
    RoleFactory(organization=globex, user_id=people["admin@globex.test"]["user_id"], role="admin",
                email="admin@globex.test")
    CompanyAdmin.objects.create(user_id=people["admin@portal.test"]["user_id"], email="admin@portal.test")
    login = UserFactory(auth0_user_id=attacker["user_id"], email=ATTACKER)
    page = Client()
    page.force_login(login)
    register(organizations=[initech])
    callers = {"page": page, "tool": api(tool_token(tenant)), "person": api(person_token(tenant, ATTACKER)[0])}
    yield {"organizations": organizations, "initech": initech, "globex": globex, "tenant": tenant,
           "callers": callers}
    for generator in (clients, pointed):
        next(generator, None)


def run_queued() -> None:
    """Run every queued operation as a worker would (.apply()), oldest first."""
    for operation in Operation.objects.filter(status="pending").order_by("created_at"):
        app.tasks[operation.task_name].apply(args=[str(operation.pk)])


def writes(tenant) -> int:
    """Management API calls served so far in the groups that change something (users, members, tickets and jobs)."""
    groups = httpx.get(f"{tenant.url}/emulator/stats", timeout=10).json()["groups"]
    return sum(groups.get(g, {}).get("served", 0) for g in ("write_users", "org_members_write", "other"))


def page_acts(slug: str, user_id: str) -> list[tuple[str, str, dict]]:
    kw = {"slug": slug, "user_id": user_id}
    acts = [("GET", reverse("user_detail", kwargs=kw), {}),
            ("POST", reverse("user_activity", kwargs=kw), {}),
            ("POST", reverse("user_metadata_edit", kwargs=kw), {"user_metadata.job_title": "Owned", "confirm": "1"}),
            ("POST", reverse("user_email_change", kwargs=kw), {"email": TAKEN_OVER, "confirm": "1"}),
            ("POST", reverse("user_remove", kwargs=kw), {}),
            ("POST", reverse("user_delete", kwargs=kw), {"confirmation": "x"}),
            ("POST", reverse("invitation_resend", kwargs=kw), {}),
            ("POST", reverse("invitation_revoke", kwargs=kw), {})]
    acts += [("POST", reverse("user_action", kwargs={**kw, "action": slug_}), {}) for slug_ in USER_ACTIONS]
    return acts


def api_acts(slug: str, user_id: str) -> list[tuple[str, str, dict]]:
    kw = {"slug": slug, "user_id": user_id}
    acts = [("GET", reverse("api_user_detail", kwargs=kw), {}),
            ("POST", reverse("api_user_metadata", kwargs=kw), {"user_metadata": {"job_title": "Owned"}}),
            ("POST", reverse("api_user_remove", kwargs=kw), {}),
            ("POST", reverse("api_user_delete", kwargs=kw), {"confirmation": "x"})]
    acts += [("POST", reverse("api_user_action", kwargs={**kw, "action": slug_}), {}) for slug_ in USER_ACTIONS]
    return acts


def test_inviting_people_of_other_organizations_gives_no_hold_on_their_accounts(world) -> None:
    tenant, initech = world["tenant"], world["initech"]
    before = {email: auth0_state(email) for email in VICTIMS}
    for email in VICTIMS:
        response = world["callers"]["page"].post(reverse("user_invite", kwargs={"slug": "initech"}), {"email": email})
        assert response.status_code == 302, (email, response.content[:500])
    run_queued()
    assert not Operation.objects.filter(status="failed").exists(), list(Operation.objects.values("last_error"))
    # Everyone with an account in Initech's connection is asked, not added: an invitation to join each.
    asked = set(JoinInvitation.objects.filter(organization=initech, status="pending").values_list("email", flat=True))
    assert asked == set(VICTIMS) - {"user06@acme.test"}
    for email in asked:
        assert before[email] == auth0_state(email), email
    # Acme's user has no account in the shared connection: the invitation made a new, separate one there (as
    # for anyone new), and their Acme account is untouched.
    [acme_account] = [u for u, _ in auth0_state("user06@acme.test") if u["identities"][0]["connection"] == "acme-users"]
    assert [(acme_account, [])] == [p for p in before["user06@acme.test"]]
    invitation_emails = {m.to[0]: m.subject for m in mail.outbox}
    assert all(invitation_emails[e].endswith("invites you to join Initech") for e in asked), invitation_emails

    # Every act, through the pages and the API, as Initech's admin and Initech's tool: 404 for each of them.
    writes_before, operations_before = writes(tenant), Operation.objects.count()
    for email in asked:
        [(account, _)] = [p for p in before[email] if p[0]["identities"][0]["connection"] ==
                          "Username-Password-Authentication"]
        for method, url, data in page_acts("initech", account["user_id"]):
            response = world["callers"]["page"].generic(
                method, url, data="&".join(f"{k}={v}" for k, v in data.items()),
                content_type="application/x-www-form-urlencoded")
            assert response.status_code == 404, (email, method, url, response.status_code)
        for caller in ("tool", "person"):
            for method, url, data in api_acts("initech", account["user_id"]):
                response = world["callers"][caller].generic(method, url, data=json.dumps(data),
                                                            content_type="application/json")
                assert response.status_code == 404, (caller, email, method, url, response.status_code)
    run_queued()
    assert Operation.objects.count() == operations_before
    assert writes(tenant) == writes_before
    for email in asked:
        assert before[email] == auth0_state(email), email
    assert not [m for m in mail.outbox if "password" in m.subject.lower()]


def test_someone_who_accepted_belongs_to_both_and_keeps_their_account(world) -> None:
    initech, globex = world["initech"], world["globex"]
    victim = "user05@globex.test"
    response = world["callers"]["page"].post(reverse("user_invite", kwargs={"slug": "initech"}), {"email": victim})
    assert response.status_code == 302
    run_queued()
    invitation = JoinInvitation.objects.get(organization=initech, email=victim)
    join_invitation_accept_request(principal=principal_for_user_id(invitation.user_id, victim),
                                   invitation_id=invitation.pk)
    run_queued()
    [(account, orgs)] = auth0_state(victim)
    assert account["app_metadata"]["organizations"] == ["initech"] and orgs == [globex.auth0_organization_id]
    user_id = account["user_id"]
    before = auth0_state(victim)
    operations_before = Operation.objects.count()
    page = world["callers"]["page"]
    kw = {"slug": "initech", "user_id": user_id}
    assert page.get(reverse("user_detail", kwargs=kw)).status_code == 200
    for action in ("password-email", "verification-email", "reset-mfa", "clear-blocks", "unblock"):
        assert page.post(reverse("user_action", kwargs={**kw, "action": action})).status_code == 400, action
    assert page.post(reverse("user_email_change", kwargs=kw), {"email": TAKEN_OVER, "confirm": "1"}).status_code == 403
    assert page.post(reverse("user_delete", kwargs=kw), {"confirmation": victim}).status_code == 400
    for caller in ("tool", "person"):
        for action in ("password-email", "reset-mfa"):
            url = reverse("api_user_action", kwargs={**kw, "action": action})
            assert world["callers"][caller].post(url, data="{}", content_type="application/json").status_code == 403
    assert Operation.objects.count() == operations_before
    # A block is a block in Initech alone: Initech's membership ends, nothing else changes.
    assert page.post(reverse("user_action", kwargs={**kw, "action": "block"})).status_code == 302
    run_queued()
    [operation] = Operation.objects.filter(kind=OperationKind.USER_BLOCK_HERE)
    assert operation.status == "succeeded", operation.last_error
    [(after, orgs_after)] = auth0_state(victim)
    assert not after.get("blocked") and after["email"] == victim and orgs_after == [globex.auth0_organization_id]
    assert after["app_metadata"]["organizations"] == []
    assert {k: v for k, v in after.items() if k not in ("app_metadata", "updated_at")} == {
        k: v for k, v in before[0][0].items() if k not in ("app_metadata", "updated_at")}
    assert OrganizationBlock.objects.filter(organization=initech, user_id=user_id).exists()
    assert page.get(reverse("user_detail", kwargs=kw)).status_code == 404
    # Lifted: a member of Initech again, without being asked again.
    assert page.post(reverse("organization_unblock", kwargs=kw)).status_code == 302
    run_queued()
    [(again, _)] = auth0_state(victim)
    assert again["app_metadata"]["organizations"] == ["initech"]
    assert not OrganizationBlock.objects.filter(organization=initech).exists()

