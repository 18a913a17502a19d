"""Reads over the API: the same selectors as the pages (the list's search, filters, sort and keyset paging;
the audit trail's filters), bad query input a 400 with field errors; a person's own token sees what their
roles allow; the per-caller throttle answers 429 with Retry-After; the OpenAPI schema and docs need no CDN."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from portal.audit import audit_record
from portal.operations import operation_create
from tests.factories import OrganizationFactory, RoleFactory
from tests.support.api_tokens import person_token, register, tool_token
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(api):
    organization = OrganizationFactory(slug="org-a", display_name="Org A")
    directory_users_upsert([
        auth0_user(connection=organization.connection_name, email=f"user{n:02d}@org-a.test",
                   name=f"Person {n:02d}", blocked=n % 3 == 0)
        for n in range(1, 8)
    ])
    return organization


@pytest.fixture
def tool(org, api, emulator):
    register(organizations=[org])
    return api(tool_token(emulator))


def test_organization_get(tool, org) -> None:
    body = tool.get("/api/v1/organizations/org-a/").json()
    assert body["slug"] == "org-a" and body["display_name"] == "Org A"
    assert body["membership_mode_label"]


def test_user_list_searches_filters_sorts_and_pages(tool, org) -> None:
    first = tool.get("/api/v1/organizations/org-a/users/", {"size": 25, "sort": "-email"}).json()
    assert first["total"] == 7
    assert [u["email"] for u in first["results"]][:2] == ["user07@org-a.test", "user06@org-a.test"]
    blocked = tool.get("/api/v1/organizations/org-a/users/", {"blocked": "yes"}).json()
    assert sorted(u["email"] for u in blocked["results"]) == ["user03@org-a.test", "user06@org-a.test"]
    search = tool.get("/api/v1/organizations/org-a/users/", {"q": "person 05"}).json()
    assert [u["email"] for u in search["results"]] == ["user05@org-a.test"]


def test_user_list_cursor_pages(tool, org) -> None:
    directory_users_upsert([auth0_user(connection=org.connection_name, email=f"more{n:02d}@org-a.test")
                            for n in range(25)])
    first = tool.get("/api/v1/organizations/org-a/users/", {"size": 25}).json()
    assert first["total"] == 32 and len(first["results"]) == 25 and first["previous_cursor"] is None
    second = tool.get("/api/v1/organizations/org-a/users/", {"size": 25, "after": first["next_cursor"]}).json()
    assert len(second["results"]) == 7 and second["next_cursor"] is None
    emails = [u["email"] for u in first["results"] + second["results"]]
    assert emails == sorted(emails) and len(set(emails)) == 32
    back = tool.get("/api/v1/organizations/org-a/users/", {"size": 25, "before": second["previous_cursor"]}).json()
    assert back["results"] == first["results"]


def test_bad_query_input_is_400_with_field_errors(tool, org) -> None:
    response = tool.get("/api/v1/organizations/org-a/users/", {"blocked": "maybe", "sort": "shoe_size"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"blocked", "sort"}
    cursor = tool.get("/api/v1/organizations/org-a/users/", {"after": "forged"})
    assert cursor.status_code == 400 and "after" in cursor.json()["errors"]


def test_user_get_and_operations(tool, org) -> None:
    users = tool.get("/api/v1/organizations/org-a/users/").json()["results"]
    user_id = users[0]["user_id"]
    user = tool.get(f"/api/v1/organizations/org-a/users/{user_id}/").json()
    assert user["user_id"] == user_id and user["email"] == users[0]["email"]
    operation = operation_create(kind="user_block", actor=None, organization=org, target=user_id)
    listed = tool.get("/api/v1/organizations/org-a/operations/", {"status": "pending"}).json()
    assert [o["id"] for o in listed["results"]] == [str(operation.pk)]
    assert tool.get("/api/v1/organizations/org-a/operations/", {"status": "lost"}).status_code == 400
    assert tool.get(f"/api/v1/organizations/org-a/operations/{operation.pk}/").json()["kind_label"] == "Block a user"


def test_audit_trail_with_the_trails_filters(tool, org) -> None:
    audit_record(actor=None, action="role.revoked", organization=org, summary="Removed someone", target_id="x")
    audit_record(actor=None, action="role.granted", organization=org, summary="Made someone admin", target_id="y")
    everything = tool.get("/api/v1/organizations/org-a/audit/").json()["results"]
    assert [e["summary"] for e in everything] == ["Made someone admin", "Removed someone"]
    granted = tool.get("/api/v1/organizations/org-a/audit/", {"action": "role.granted"}).json()["results"]
    assert [e["action_label"] for e in granted] == ["Admin or viewer appointed"]
    assert tool.get("/api/v1/organizations/org-a/audit/", {"target": "x"}).json()["results"][0]["target_id"] == "x"
    bad = tool.get("/api/v1/organizations/org-a/audit/", {"occurred_from": "yesterday"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["occurred_from"]


def test_audit_needs_its_permission(org, api, emulator) -> None:
    register(organizations=[org], permissions=["users:read"])
    response = api(tool_token(emulator)).get("/api/v1/organizations/org-a/audit/")
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


def test_a_person_gets_exactly_their_roles(org, api, emulator) -> None:
    token, user_id = person_token(emulator, "viewer@acme.test")
    person = api(token)
    assert person.get("/api/v1/organizations/").json() == []
    assert person.get("/api/v1/organizations/org-a/users/").status_code == 404
    RoleFactory(organization=org, user_id=user_id, role="viewer")
    assert person.get("/api/v1/organizations/org-a/users/").json()["total"] == 7
    user_id_in_a = person.get("/api/v1/organizations/org-a/users/").json()["results"][0]["user_id"]
    # A viewer reads; the block service refuses them (their role, not a scope).
    refused = person.post(f"/api/v1/organizations/org-a/users/{user_id_in_a}/actions/block/")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"


def test_throttle_is_per_caller_with_retry_after(tool, org, settings) -> None:
    settings.PORTAL_API_RATE = "3/min"
    cache.clear()
    statuses = [tool.get("/api/v1/organizations/org-a/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = tool.get("/api/v1/organizations/org-a/")
    assert limited.json()["error"] == "rate_limited"
    assert 0 < int(limited["Retry-After"]) <= 60


def test_schema_and_docs_without_a_cdn(api) -> None:
    schema = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/organizations/{slug}/users/{user_id}/actions/{action}/" in document["paths"]
    assert document["components"]["securitySchemes"]["portalToken"]["scheme"] == "bearer"
    docs = api().get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower() and "https://" not in html
