"""People who belong to two organizations, on the pages and through the REST API: an admin of either one sees
them and may act on them within that organization (block them there, remove them, edit its metadata), but
never on their account as a whole (email, change-password and verification emails, MFA, failed sign-in
blocks, an Auth0 block or unblock, deletion): those are refused with the reason, and nothing is recorded or
queued. A block asked for is a block in that organization alone. Company admins keep every act.

Nothing runs against Auth0 here: what matters is what the portal agrees to record and queue."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import MembershipMode
from portal.models import AuditEvent, Operation, OperationKind
from tests.factories import OrganizationFactory, RoleFactory, UserFactory
from tests.support.api_tokens import person_token, register, tool_token
from tests.users.auth0_users import auth0_user
from users.directory.counts import Tally
from users.directory.mirror import directory_users_upsert
from users.directory.selectors import UserQuery, organization_counts_get, user_list_count

SHARED = "Username-Password-Authentication"
# The acts on the account itself, by their page and API slug.
ACCOUNT_ACTIONS = ("password-email", "verification-email", "reset-mfa", "clear-blocks")
ADMIN_OF_S2 = "admin@initech.test"  # a demo user of the emulator, given a portal role in S2 below


@pytest.fixture
def world(db):
    s1 = OrganizationFactory(slug="org-s1", display_name="S One", membership_mode=MembershipMode.SHARED_CONNECTION,
                             connection_name=SHARED, auth0_connection_id="con_s")
    s2 = OrganizationFactory(slug="org-s2", display_name="S Two", membership_mode=MembershipMode.SHARED_CONNECTION,
                             connection_name=SHARED, auth0_connection_id="con_s")
    both = auth0_user(connection=SHARED, email="both@example.test", email_verified=False,
                      app_metadata={"organizations": ["org-s1", "org-s2"]})
    only_s2 = auth0_user(connection=SHARED, email="only@example.test", email_verified=False,
                         app_metadata={"organizations": ["org-s2"]})
    blocked_both = auth0_user(connection=SHARED, email="blocked@example.test", blocked=True,
                              app_metadata={"organizations": ["org-s1", "org-s2"]})
    directory_users_upsert([both, only_s2, blocked_both])
    RoleFactory(organization=s1, role="admin")
    s2_admin = UserFactory()
    RoleFactory(organization=s2, user_id=s2_admin.auth0_user_id, role="admin")
    RoleFactory(organization=s2, role="admin")  # another, so the last-admin rule is not what refuses
    client = Client()
    client.force_login(s2_admin)
    return {"s1": s1, "s2": s2, "both": both, "only": only_s2, "blocked": blocked_both, "client": client,
            "s2_admin_id": s2_admin.auth0_user_id}


def _recorded() -> tuple[int, int]:
    return Operation.objects.count(), AuditEvent.objects.count()


def _page(world, name: str, user: dict, **extra) -> str:
    return reverse(name, kwargs={"slug": "org-s2", "user_id": user["user_id"], **extra})


def test_the_user_page_offers_only_what_this_organization_may_do(world) -> None:
    response = world["client"].get(_page(world, "user_detail", world["both"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "also belongs to another organization" in html and "S One" not in html
    offered = {a.slug for a in response.context["actions"]}
    assert offered == {"block-here"}
    assert not response.context["can_change_email"] and not response.context["can_delete"]
    # Someone S2 governs alone: every act, as before.
    response = world["client"].get(_page(world, "user_detail", world["only"]))
    assert {a.slug for a in response.context["actions"]} >= {"block", "reset-mfa", "password-email",
                                                              "verification-email"}
    assert response.context["can_change_email"]


@pytest.mark.parametrize("action", [*ACCOUNT_ACTIONS, "unblock"])
def test_every_account_act_on_the_page_is_refused_and_records_nothing(
    world, action, django_capture_on_commit_callbacks, published_tasks
) -> None:
    person = world["blocked"] if action == "unblock" else world["both"]
    before = _recorded()
    with django_capture_on_commit_callbacks(execute=True):
        response = world["client"].post(_page(world, "user_action", person, action=action))
    assert response.status_code == 400, (action, response.status_code)
    assert "managed by company admins only" in response.content.decode()
    assert _recorded() == before and published_tasks == []


def test_email_change_and_deletion_on_the_page_are_refused(world, django_capture_on_commit_callbacks,
                                                           published_tasks) -> None:
    before = _recorded()
    with django_capture_on_commit_callbacks(execute=True):
        changed = world["client"].post(_page(world, "user_email_change", world["both"]),
                                       {"email": "taken-over@evil.test", "confirm": "1"})
        deleted = world["client"].post(_page(world, "user_delete", world["both"]),
                                       {"confirmation": "both@example.test"})
    assert changed.status_code == 403 and "managed by company admins only" in changed.content.decode()
    assert deleted.status_code in (400, 403)
    assert _recorded() == before and published_tasks == []


def test_a_block_asked_for_is_a_block_in_this_organization_only(world, django_capture_on_commit_callbacks,
                                                                 published_tasks) -> None:
    page = world["client"].get(_page(world, "user_action", world["both"], action="block"))
    assert page.status_code == 200 and "Block in this organization" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = world["client"].post(_page(world, "user_action", world["both"], action="block"))
    assert response.status_code == 302
    [operation] = Operation.objects.all()
    assert operation.kind == OperationKind.USER_BLOCK_HERE and operation.target == world["both"]["user_id"]
    assert operation.organization == world["s2"]
    assert published_tasks == ["users.tasks.user_block_here"]


def test_a_company_admin_keeps_every_act(world, django_capture_on_commit_callbacks, published_tasks) -> None:
    from organizations.models import CompanyAdmin

    boss = UserFactory()
    CompanyAdmin.objects.create(user_id=boss.auth0_user_id)
    client = Client()
    client.force_login(boss)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_page(world, "user_action", world["both"], action="password-email"))
        blocked = client.post(_page(world, "user_action", world["both"], action="block"))
    assert response.status_code == 302 and blocked.status_code == 302
    assert sorted(Operation.objects.values_list("kind", flat=True)) == [OperationKind.USER_BLOCK,
                                                                         OperationKind.USER_PASSWORD_EMAIL]


# -- the REST API: a client registered for S2, and S2's admin with their own token ----------------------------
@pytest.fixture
def api_callers(world, api, emulator):
    register(organizations=[world["s2"]])
    token, person_id = person_token(emulator, ADMIN_OF_S2)
    RoleFactory(organization=world["s2"], user_id=person_id, role="admin")
    return {"client_of_s2": api(tool_token(emulator)), "admin_of_s2": api(token)}


def _api(caller, url: str, body: dict | None = None):
    return caller.post(url, data=json.dumps(body or {}), content_type="application/json")


@pytest.mark.parametrize("caller", ["client_of_s2", "admin_of_s2"])
def test_every_account_act_through_the_api_is_refused_and_records_nothing(
    world, api_callers, caller, django_capture_on_commit_callbacks, published_tasks
) -> None:
    client = api_callers[caller]
    before = _recorded()
    with django_capture_on_commit_callbacks(execute=True):
        for action in ACCOUNT_ACTIONS:
            url = reverse("api_user_action", kwargs={"slug": "org-s2", "user_id": world["both"]["user_id"],
                                                     "action": action})
            response = _api(client, url)
            assert response.status_code == 403, (action, response.status_code, response.content[:300])
            assert "managed by company admins only" in response.json()["detail"]
        unblock = reverse("api_user_action", kwargs={"slug": "org-s2", "user_id": world["blocked"]["user_id"],
                                                     "action": "unblock"})
        assert _api(client, unblock).status_code == 403
        delete = reverse("api_user_delete", kwargs={"slug": "org-s2", "user_id": world["both"]["user_id"]})
        assert _api(client, delete, {"confirmation": "both@example.test"}).status_code == 403
    assert _recorded() == before and published_tasks == []


@pytest.mark.parametrize("caller", ["client_of_s2", "admin_of_s2"])
def test_a_block_through_the_api_is_a_block_here(world, api_callers, caller, django_capture_on_commit_callbacks,
                                                 published_tasks) -> None:
    url = reverse("api_user_action", kwargs={"slug": "org-s2", "user_id": world["both"]["user_id"],
                                             "action": "block"})
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(api_callers[caller], url)
    assert response.status_code == 202, response.content[:300]
    assert response.json()["kind"] == OperationKind.USER_BLOCK_HERE
    assert published_tasks == ["users.tasks.user_block_here"]


def test_a_selection_blocks_here_and_refuses_the_account_acts(world, django_capture_on_commit_callbacks,
                                                              published_tasks) -> None:
    from organizations.selectors import principal_for_user_id
    from users.acts.selection import SELECTION_ACTS, selection_request

    admin = principal_for_user_id(world["s2_admin_id"], "Admin of S2")
    ids = [world["both"]["user_id"], world["only"]["user_id"]]
    with django_capture_on_commit_callbacks(execute=True):
        emails = selection_request(actor=admin, organization=world["s2"], user_ids=ids,
                                   act=SELECTION_ACTS["password-email"], token="a" * 32)
        blocks = selection_request(actor=admin, organization=world["s2"], user_ids=ids, act=SELECTION_ACTS["block"],
                                   token="b" * 32)
    assert [i.person.user_id for i in emails.refused] == [world["both"]["user_id"]]
    assert "managed by company admins only" in emails.refused[0].refusal
    assert [op.target for op in emails.queued] == [world["only"]["user_id"]]
    assert {(op.target, op.kind) for op in blocks.queued} == {
        (world["both"]["user_id"], OperationKind.USER_BLOCK_HERE), (world["only"]["user_id"], OperationKind.USER_BLOCK)}


def test_each_organizations_list_shows_its_own_counts_and_never_anothers(world) -> None:
    """The counts an unfiltered list and its quick facts read (users.directory.counts) are S2's on S2's list;
    S1's are nobody's business here: its list is a 404 and its counts read as nothing through the selectors."""
    response = world["client"].get(reverse("user_list", kwargs={"slug": "org-s2"}))
    html = response.content.decode()
    assert response.context["total"] == 3 and "Of all 3 members:" in html
    assert ">1 blocked</a>" in html and ">3 never signed in</a>" in html
    assert world["client"].get(reverse("user_list", kwargs={"slug": "org-s1"})).status_code == 404
    from organizations.selectors import principal_for_user_id

    admin = principal_for_user_id(world["s2_admin_id"], "Admin of S2")
    assert organization_counts_get(principal=admin, organization=world["s1"]) == Tally()
    assert user_list_count(principal=admin, organization=world["s1"], query=UserQuery()) == 0
    assert user_list_count(principal=admin, organization=None, query=UserQuery()) == 0  # every user: company only
    assert user_list_count(principal=admin, organization=None, query=UserQuery(organization_slug="org-s1")) == 0
