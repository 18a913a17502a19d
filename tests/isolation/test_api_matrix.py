"""The isolation matrix of the REST API: a client registered for organization B, and a person who is admin of
B (with their own access token), get 404 on organization A's objects on every API route and method, and
nothing is recorded or queued; B's slug with A's object ids is a 404 too. Tokens are real: from the
emulator over HTTP.

A new API route fails ``test_every_api_route_is_in_the_matrix`` until it is added to API_ROUTES.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import IdempotentRequest
from app_roles.models import AppRoleGrant, GrantableRole, TenantRole
from domains.models import Domain
from onboarding.models import BulkJob, BulkRow
from organizations.models import ApiEvent, MembershipMode, OrganizationRole
from portal.models import AuditEvent, Operation
from portal.operations import operation_create
from sso.models import SsoConnection
from tests.factories import OrganizationFactory, RoleFactory
from tests.isolation.test_matrix import _all_patterns
from tests.support.api_tokens import person_token, register, tool_token
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.models import DirectoryUser

# Every API route with every method it accepts. The schema and its docs describe the API and hold no data.
API_ROUTES: dict[str, tuple[str, ...]] = {
    "api_organization_detail": ("GET",),
    "api_user_list": ("GET", "POST"),
    "api_user_detail": ("GET",),
    "api_user_metadata": ("POST",),
    "api_user_action": ("POST",),
    "api_user_remove": ("POST",),
    "api_user_delete": ("POST",),
    "api_user_app_role_list": ("GET", "POST"),
    "api_user_app_role_detail": ("DELETE",),
    "api_app_role_list": ("GET",),
    "api_operation_list": ("GET",),
    "api_operation_detail": ("GET",),
    "api_audit_event_list": ("GET",),
    "api_role_list": ("GET", "POST"),
    "api_role_detail": ("DELETE",),
    "api_bulk_job_list": ("GET", "POST"),
    "api_bulk_job_detail": ("GET", "DELETE"),
    "api_bulk_job_rows": ("GET",),
    "api_bulk_job_report": ("GET",),
    "api_bulk_job_start": ("POST",),
    "api_bulk_job_pause": ("POST",),
    "api_bulk_job_resume": ("POST",),
    "api_bulk_job_cancel": ("POST",),
    "api_domain_list": ("GET", "POST"),
    "api_domain_detail": ("GET", "DELETE"),
    "api_domain_verify": ("POST",),
    "api_sso_connection_list": ("GET", "POST"),
    "api_sso_connection_detail": ("GET", "DELETE"),
    "api_sso_connection_on": ("POST",),
    "api_sso_connection_off": ("POST",),
}
# Not under an organization: what they list is scoped to the caller (checked below).
API_UNSCOPED = {"api_organization_list": "the organizations the caller may see",
                "api_event_list": "the events of the caller's organizations (tests/api/test_events.py)",
                "api_schema": "the OpenAPI description (no data)", "api_docs": "its browsable docs (no data)",
                "api_not_found": "any other path under /api/: the API's JSON 404 (no data)"}
TWO_KEY = {name for name in API_ROUTES if name not in ("api_organization_detail", "api_user_list",
                                                        "api_operation_list", "api_audit_event_list",
                                                        "api_role_list", "api_bulk_job_list",
                                                        "api_domain_list", "api_sso_connection_list",
                                                        "api_app_role_list")}
# The body each route would accept (an API body has exactly its fields: an unknown one is a 400), so the 404 is
# the only thing that stops the request; a route that reads no body gets none.
BODIES = {"api_user_list": {"email": "member@org-a.test", "name": "X"},
          "api_user_metadata": {"user_metadata": {"department": "Sales"}},
          "api_user_delete": {"confirmation": "member@org-a.test"},
          "api_role_list": {"email": "member@org-a.test", "role": "admin"},
          "api_user_app_role_list": {"role_id": "rol_granted_by_a"},
          "api_role_detail": {"confirm": True},
          "api_bulk_job_list": {"rows": [{"email": "new@org-a.test"}]},
          "api_domain_list": {"name": "evil.example"},
          "api_sso_connection_list": {"strategy": "oidc", "display_name": "Evil", "issuer": "https://evil.example",
                                      "client_id": "evil", "client_secret": "evil"}}
# Ids a route names that another route's parameter of the same name does not hold (an application role's Auth0
# id, where the organization roles' route has a row's number).
ROUTE_IDS = {"api_user_app_role_detail": {"role_id": "rol_granted_by_a"}}
ADMIN_OF_B = "admin@initech.test"  # a demo user of the emulator: their own token, their portal role in B


def test_every_api_route_is_in_the_matrix() -> None:
    named = {pattern.name for path, pattern in _all_patterns() if path.startswith("api/")}
    assert named == set(API_ROUTES) | set(API_UNSCOPED), sorted(named ^ (set(API_ROUTES) | set(API_UNSCOPED)))


@pytest.fixture
def world(db, api, emulator):
    org_a = OrganizationFactory(slug="org-a", membership_mode=MembershipMode.ISOLATED_CONNECTION)
    org_b = OrganizationFactory(slug="org-b", membership_mode=MembershipMode.ISOLATED_CONNECTION)
    user_in_a = auth0_user(connection=org_a.connection_name, email="member@org-a.test")
    user_in_b = auth0_user(connection=org_b.connection_name, email="member@org-b.test")
    directory_users_upsert([user_in_a, user_in_b])
    role_in_a = RoleFactory(organization=org_a, role="viewer", email="a-viewer@example.test")
    # An application role both may grant, A's grant to its user: nothing but the scope stops B's acts on it.
    now = timezone.now()
    app_role = TenantRole.objects.create(pk="rol_granted_by_a", name="Editor", refreshed_at=now)
    for organization in (org_a, org_b):
        GrantableRole.objects.create(organization=organization, role=app_role, label="Editor")
    AppRoleGrant.objects.create(user=DirectoryUser.objects.get(user_id=user_in_a["user_id"]), role=app_role,
                                scope="tenant", organization=org_a, granted_at=now, confirmed_at=now)
    RoleFactory(organization=org_a, role="admin", email="a-admin@example.test")
    operation_in_a = operation_create(kind="user_block", actor=None, organization=org_a, target=user_in_a["user_id"])
    job_in_a = BulkJob.objects.create(organization=org_a, actor_user_id="auth0|a-admin", status=BulkJob.Status.READY,
                                      total_rows=1, checked_rows=1)
    BulkRow.objects.create(job=job_in_a, line=2, email="new@org-a.test", action=BulkRow.Action.INVITE)
    domain_in_a = Domain.objects.create(organization=org_a, name="org-a.example")
    sso_in_a = SsoConnection.objects.create(organization=org_a, strategy="samlp", name="org-a-saml",
                                            display_name="A's IdP", status="on", auth0_connection_id="con_sso_a")
    register(organizations=[org_b])
    token, person_id = person_token(emulator, ADMIN_OF_B)
    RoleFactory(organization=org_b, user_id=person_id, role="admin")
    ids = {"slug": org_a.slug, "user_id": user_in_a["user_id"], "operation_id": operation_in_a.pk,
           "role_id": role_in_a.pk, "action": "block", "job_id": job_in_a.pk,
           "domain_id": domain_in_a.pk, "connection_id": sso_in_a.pk}
    return {"org_a": org_a, "org_b": org_b, "ids": ids, "role_in_a": role_in_a,
            "callers": {"client_of_b": api(tool_token(emulator)), "admin_of_b": api(token)}}


def _kwargs(name: str, ids: dict) -> dict:
    ids = {**ids, **ROUTE_IDS.get(name, {})}
    pattern = next(p for _path, p in _all_patterns() if p.name == name)
    return {k: v for k, v in ids.items() if k in pattern.pattern.converters}


def _state() -> tuple:
    return (Operation.objects.count(), AuditEvent.objects.count(), IdempotentRequest.objects.count(),
            OrganizationRole.objects.count(), AppRoleGrant.objects.count(),
            sorted(BulkJob.objects.values_list("pk", "status", "changed_by")),
            BulkRow.objects.count(), sorted(Domain.objects.values_list("organization__slug", "name", "status")),
            sorted(SsoConnection.objects.values_list("name", "status")))


def _assert_404_and_nothing_done(world, client, name, method, url, capture, published_tasks) -> None:
    before = _state()
    body = BODIES.get(name, {}) if method != "GET" else {}
    with capture(execute=True):
        response = client.generic(method, url, data=__import__("json").dumps(body), content_type="application/json",
                                  HTTP_IDEMPOTENCY_KEY="isolation")
    assert response.status_code == 404, (url, method, response.status_code, response.content[:300])
    assert response.json()["error"] == "not_found"
    assert _state() == before
    assert published_tasks == []


CASES = [(name, method, caller) for name, methods in API_ROUTES.items() for method in methods
         for caller in ("client_of_b", "admin_of_b")]


@pytest.mark.parametrize(("name", "method", "caller"), CASES)
def test_b_gets_404_on_a(world, name, method, caller, django_capture_on_commit_callbacks, published_tasks) -> None:
    url = reverse(name, kwargs=_kwargs(name, world["ids"]))
    _assert_404_and_nothing_done(world, world["callers"][caller], name, method, url,
                                 django_capture_on_commit_callbacks, published_tasks)


@pytest.mark.parametrize(("name", "method", "caller"), [c for c in CASES if c[0] in TWO_KEY])
def test_own_slug_with_as_object_is_404(world, name, method, caller, django_capture_on_commit_callbacks,
                                        published_tasks) -> None:
    url = reverse(name, kwargs=_kwargs(name, {**world["ids"], "slug": world["org_b"].slug}))
    _assert_404_and_nothing_done(world, world["callers"][caller], name, method, url,
                                 django_capture_on_commit_callbacks, published_tasks)


@pytest.mark.parametrize("caller", ["client_of_b", "admin_of_b"])
def test_b_sees_b_and_only_b(world, caller) -> None:
    """The matrix means something only if the same callers do reach their own organization."""
    client = world["callers"][caller]
    assert [o["slug"] for o in client.get(reverse("api_organization_list")).json()] == ["org-b"]
    users = client.get(reverse("api_user_list", kwargs={"slug": "org-b"}))
    assert users.status_code == 200
    assert [u["email"] for u in users.json()["results"]] == ["member@org-b.test"]
    # The events feed: B's events, never A's.
    ApiEvent.objects.create(type="user.changed", organization=world["org_a"], data={"user_id": "auth0|a"})
    ApiEvent.objects.create(type="user.changed", organization=world["org_b"], data={"user_id": "auth0|b"})
    events = client.get(reverse("api_event_list")).json()["results"]
    assert [(e["organization"], e["data"]) for e in events] == [("org-b", {"user_id": "auth0|b"})]
    # Bulk jobs: B's, never A's.
    job_in_b = BulkJob.objects.create(organization=world["org_b"], actor_user_id="auth0|b-admin")
    jobs = client.get(reverse("api_bulk_job_list", kwargs={"slug": "org-b"}))
    assert jobs.status_code == 200, jobs.content
    assert [j["id"] for j in jobs.json()["results"]] == [str(job_in_b.pk)]
    # Application roles: what B may grant, never A's grants.
    grantable = client.get(reverse("api_app_role_list", kwargs={"slug": "org-b"}))
    assert [r["role_id"] for r in grantable.json()] == ["rol_granted_by_a"]
