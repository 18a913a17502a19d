"""The isolation matrix of the SCIM endpoint: a provider's token of organization B, on every SCIM route and method,
never reaches organization A. At A's address it is a 401 (a token is valid for its own organization's endpoint
alone, and the answer is the same whether the organization exists or not); at B's own address with A's SCIM ids it
is a 404. Either way nothing is recorded, queued or changed.

A new SCIM route fails ``test_every_scim_route_is_in_the_matrix`` until it is added to SCIM_ROUTES.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from scim.models import ScimGroup, ScimUser
from scim.tokens import scim_token_create
from tests.factories import OrganizationFactory, RoleFactory

# Every SCIM route with every method it answers (the others are a SCIM 405 to a valid token).
SCIM_ROUTES: dict[str, tuple[str, ...]] = {
    "scim_service_provider_config": ("GET",),
    "scim_resource_types": ("GET",),
    "scim_resource_type": ("GET",),
    "scim_schemas": ("GET",),
    "scim_schema": ("GET",),
    "scim_users": ("GET", "POST"),
    "scim_user": ("GET", "PUT", "PATCH", "DELETE"),
    "scim_groups": ("GET", "POST"),
    "scim_group": ("GET", "PUT", "PATCH", "DELETE"),
}
# Routes naming one of an organization's SCIM objects beside its slug.
OBJECT_ROUTES = {"scim_user", "scim_group"}
BODIES = {
    "POST": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "new@org-a.test",
             "displayName": "Hijacked"},
    "PUT": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "member@org-a.test",
            "displayName": "Hijacked", "active": False},
    "PATCH": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
              "Operations": [{"op": "replace", "value": {"active": False, "displayName": "Hijacked"}}]},
}


def test_every_scim_route_is_in_the_matrix() -> None:
    from tests.isolation.test_matrix import _all_patterns

    named = {pattern.name for path, pattern in _all_patterns() if path.lstrip("^").startswith("scim/")}
    assert named == set(SCIM_ROUTES), sorted(named ^ set(SCIM_ROUTES))


def _token(organization, name: str) -> str:
    admin = RoleFactory(organization=organization)
    return scim_token_create(actor=principal_for_user_id(admin.user_id, "Ada"), organization=organization, name=name)[1]


@pytest.fixture
def world(db):
    org_a = OrganizationFactory(slug="org-a", auth0_connection_id="con_a")
    org_b = OrganizationFactory(slug="org-b", auth0_connection_id="con_b")
    _token(org_a, "A's Okta")
    user_in_a = ScimUser.objects.create(organization=org_a, user_name="member@org-a.test", email="member@org-a.test",
                                        anchor="member@org-a.test", user_id="auth0|member-of-a")
    group_in_a = ScimGroup.objects.create(organization=org_a, display_name="A's team")
    group_in_a.members.add(user_in_a)
    kwargs = {"scim_resource_type": {"name": "User"},
              "scim_schema": {"schema_id": "urn:ietf:params:scim:schemas:core:2.0:User"},
              "scim_user": {"scim_id": str(user_in_a.pk)}, "scim_group": {"scim_id": str(group_in_a.pk)}}
    return {"org_a": org_a, "org_b": org_b, "token_of_b": _token(org_b, "B's Okta"), "kwargs": kwargs,
            "user_in_a": user_in_a, "group_in_a": group_in_a}


def _send(world, name: str, method: str, slug: str):
    url = reverse(name, kwargs={"slug": slug, **world["kwargs"].get(name, {})})
    body = json.dumps(BODIES[method]) if method in BODIES else ""
    return Client().generic(method, url, data=body, content_type="application/scim+json",
                            HTTP_AUTHORIZATION=f"Bearer {world['token_of_b']}")


def _nothing_changed(world, published_tasks) -> None:
    assert Operation.objects.count() == 0 and published_tasks == []
    assert not AuditEvent.objects.exclude(action="scim.token_created").exists()
    user = ScimUser.objects.get(pk=world["user_in_a"].pk)
    assert (user.active, user.deleted_at, user.version, user.display_name) == (True, None, 1, "")
    assert list(world["group_in_a"].members.all()) == [user]
    assert ScimUser.objects.filter(organization=world["org_b"]).count() == 0
    assert ScimGroup.objects.filter(organization=world["org_b"]).count() == 0


CASES = [(name, method) for name, methods in SCIM_ROUTES.items() for method in methods]


@pytest.mark.parametrize(("name", "method"), CASES)
def test_b_s_token_at_a_s_endpoint_is_401(world, name, method, django_capture_on_commit_callbacks,
                                          published_tasks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(world, name, method, world["org_a"].slug)
    assert response.status_code == 401, (name, method, response.status_code)
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert "A's team" not in response.content.decode() and "member@org-a.test" not in response.content.decode()
    _nothing_changed(world, published_tasks)


@pytest.mark.parametrize(("name", "method"), [c for c in CASES if c[0] in OBJECT_ROUTES])
def test_b_s_own_endpoint_with_a_s_ids_is_404(world, name, method, django_capture_on_commit_callbacks,
                                              published_tasks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(world, name, method, world["org_b"].slug)
    assert response.status_code == 404, (name, method, response.status_code)
    _nothing_changed(world, published_tasks)


@pytest.mark.parametrize("name", ["scim_users", "scim_groups"])
def test_b_s_lists_hold_nothing_of_a(world, name) -> None:
    response = _send(world, name, "GET", world["org_b"].slug)
    assert response.status_code == 200 and response.json()["totalResults"] == 0
    filtered = Client().get(reverse(name, kwargs={"slug": world["org_b"].slug}),
                            {"filter": 'userName eq "member@org-a.test"' if name == "scim_users"
                             else 'displayName eq "A\'s team"'},
                            HTTP_AUTHORIZATION=f"Bearer {world['token_of_b']}")
    assert filtered.json()["totalResults"] == 0
