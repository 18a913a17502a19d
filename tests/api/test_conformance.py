"""The API answers every request as its schema says: one test per kind of failure a schemathesis run against the
real processes found. A method a route does not have is a 405 with Allow and the JSON error on every route, before
any token is read (DRF checked the caller's permission for it first, found none and answered TRACE with a 500);
every status an operation can answer is in the schema (a body over the limit was Django's HTML 400, now a JSON
413); a request the schema forbids is refused with a field error and changes nothing (``size=``, ``never=yes``,
a number for an email, a misspelt field were taken); a list keyed by UUIDs pages (its cursor was not JSON: 500).
tests/api/test_schema_fuzz.py runs schemathesis itself."""

from __future__ import annotations

import pytest
from django.urls import URLPattern

from api import urls as api_urls
from api.base import SERVED_METHODS, ApiView, DeclaredMethodsOnly
from onboarding.models import BulkJob
from organizations.models import OrganizationRole
from portal.models import AuditEvent, Operation
from portal.operations import operation_create
from tests.factories import OrganizationFactory, RoleFactory
from tests.support.api_tokens import register, tool_token

pytestmark = pytest.mark.django_db

USERS = "/api/v1/organizations/org-a/users/"


@pytest.fixture
def org(api):
    return OrganizationFactory(slug="org-a", display_name="Org A")


@pytest.fixture
def tool(org, api, emulator):
    """A company-wide tool with every permission (it may also remove an organization's last admin)."""
    register()
    return api(tool_token(emulator))


def state() -> tuple[int, int, int]:
    return Operation.objects.count(), AuditEvent.objects.count(), OrganizationRole.objects.count()


# Routes and the methods each has (Allow); the schema's and the docs' views included.
ROUTES = {
    "/api/v1/organizations/": "GET, HEAD",
    USERS: "GET, POST, HEAD",
    "/api/v1/organizations/org-a/roles/7/": "DELETE",
    f"{USERS}auth0|x/roles/": "GET, POST, HEAD",
    f"{USERS}auth0|x/roles/rol_x/": "DELETE",
    "/api/v1/organizations/org-a/bulk-jobs/00000000-0000-0000-0000-000000000001/start/": "POST",
    "/api/schema/": "GET, HEAD",
    "/api/docs/": "GET, HEAD",
}


@pytest.mark.parametrize("method", ["TRACE", "PUT", "PATCH", "OPTIONS", "CONNECT", "PROPFIND"])
@pytest.mark.parametrize(("path", "allow"), ROUTES.items())
@pytest.mark.parametrize("with_token", [True, False], ids=["token", "anonymous"])
def test_a_method_the_route_has_not_is_405_with_allow_and_the_json_error(tool, api, method, path, allow,
                                                                        with_token) -> None:
    client = tool if with_token else api()
    before = state()
    response = client.generic(method, path)
    assert response.status_code == 405, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "method_not_allowed", "detail": f'Method "{method}" not allowed.'}
    assert response["Allow"] == allow
    assert state() == before


def test_an_unknown_path_under_api_is_the_json_404_whatever_the_method(tool) -> None:
    response = tool.generic("TRACE", "/api/v1/no-such-route/")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_head_is_get_without_the_body_and_needs_what_get_needs(tool, api) -> None:
    head = tool.head(USERS)
    assert head.status_code == 200 and head.content == b"" and head["Allow"] == "GET, POST, HEAD"
    assert api().head(USERS).status_code == 401


def test_every_api_view_serves_only_declared_methods_each_with_its_permission() -> None:
    views = [p.callback.view_class for p in api_urls.urlpatterns
             if isinstance(p, URLPattern) and hasattr(p.callback, "view_class")]
    assert len(views) >= 20
    for view in views:
        assert issubclass(view, DeclaredMethodsOnly), view
        if issubclass(view, ApiView):
            served = {m.upper() for m in SERVED_METHODS if m != "head" and hasattr(view, m)}
            assert served and served <= set(view.permissions_required), (view, served)


def test_every_status_an_operation_answers_is_in_the_schema(client) -> None:
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = {(method.upper(), path): operation["responses"] for path, item in document["paths"].items()
                  for method, operation in item.items()}
    for (method, path), responses in operations.items():
        # The web server's own answer to a URL over its limit, in HTML.
        assert set(responses["414"]["content"]) == {"text/html"}, (method, path)
        assert "405" not in responses  # never the answer to a method the route has
        if method in ("POST", "DELETE"):
            assert {"400", "413", "415"} <= set(responses), (method, path)
    assert "409" in operations[("POST", "/api/v1/organizations/{slug}/bulk-jobs/{job_id}/start/")]
    # An invitation already on its way: a 409 in the error shape, with its own code.
    on_its_way = operations[("POST", "/api/v1/organizations/{slug}/users/")]["409"]["content"]["application/json"]
    assert on_its_way["schema"] == {"$ref": "#/components/schemas/Error"}
    assert [e["value"]["error"] for e in on_its_way["examples"].values()] == ["invitation_on_its_way"]
    assert "422" in operations[("POST", "/api/v1/organizations/{slug}/users/")]
    # A DELETE that takes an Idempotency-Key (an application role's removal) may answer its 422 too.
    removal = operations[("DELETE", "/api/v1/organizations/{slug}/users/{user_id}/roles/{role_id}/")]
    assert {"202", "400", "422"} <= set(removal)
    assert [e["value"]["errors"] for e in removal["400"]["content"]["application/json"]["examples"].values()] == [
        {"role_id": ["“rol_0000000000000000” is not an application role Acme may grant."]}]
    assert "400" in operations[("GET", "/api/v1/events/")]
    components = document["components"]["schemas"]
    for name in ("InviteInputRequest", "MetadataInputRequest", "DeleteInputRequest", "RoleGrantInputRequest",
                 "BulkRowsInputRequest", "BulkRowInputRequest", "AppRoleAssignInputRequest"):
        assert components[name]["additionalProperties"] is False, name


def test_a_body_over_the_limit_is_a_json_413_that_changes_nothing(tool, org, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = state()
    response = tool.post(USERS, {"email": "ada@org-a.test", "name": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert response.json() == {"error": "request_too_large",
                               "detail": "The request body is over the limit of 1,000 bytes: send less at once."}
    assert state() == before


REFUSED = [
    # (what, method, path, JSON body, extra headers, the field named)
    ("an empty integer", "get", "/api/v1/events/?size=", None, {}, "size"),
    ("a boolean that is not true or false", "get", f"{USERS}?never=yes", None, {}, "never"),
    ("a date that is not YYYY-MM-DD", "get", f"{USERS}?created_from=20200101", None, {}, "created_from"),
    ("a parameter given twice", "get", "/api/v1/organizations/org-a/operations/?size=1&size=2", None, {}, "size"),
    ("NUL in a text", "get", f"{USERS}?q=a%00b", None, {}, "q"),
    ("a cursor outside its alphabet", "get", f"{USERS}?after=not*ours", None, {}, "after"),
    ("a number for an email", "post", USERS, {"email": 5}, {}, "email"),
    ("an email with a space", "post", USERS, {"email": " ada@org-a.test"}, {}, "email"),
    ("a misspelt field", "post", USERS, {"email": "ada@org-a.test", "nmae": "Ada"}, {}, "nmae"),
    ("a name over the service's limit", "post", USERS, {"email": "ada@org-a.test", "name": "x" * 121}, {}, "name"),
    ("an Idempotency-Key that is not visible ASCII", "post", USERS, {"email": "ada@org-a.test"},
     {"HTTP_IDEMPOTENCY_KEY": "clé"}, "Idempotency-Key"),
    ("a number for a role id", "post", f"{USERS}auth0|x/roles/", {"role_id": 5}, {}, "role_id"),
    ("roles that are not a list", "post", USERS, {"email": "ada@org-a.test", "roles": "rol_x"}, {}, "roles"),
    ("NUL in the role filter", "get", f"{USERS}?app_role=a%00b", None, {}, "app_role"),
    ("confirm that is not a boolean", "delete", "/api/v1/organizations/org-a/roles/{role}/?confirm=yes", None, {},
     "confirm"),
]


@pytest.mark.parametrize(("what", "method", "path", "body", "headers", "field"), REFUSED,
                         ids=[row[0] for row in REFUSED])
def test_a_request_the_schema_forbids_is_a_400_naming_the_field_and_changes_nothing(
        tool, org, what, method, path, body, headers, field) -> None:
    role = RoleFactory(organization=org, role="admin")
    before = state()
    response = getattr(tool, method)(path.format(role=role.pk), body, format="json", **headers)
    assert response.status_code == 400, (what, response.content[:300])
    assert response.json()["error"] == "invalid_request"
    assert list(response.json()["errors"]) == [field], what
    assert state() == before


def test_the_last_admin_is_removed_only_with_confirm_true(tool, org) -> None:
    role = RoleFactory(organization=org, role="admin")
    url = f"/api/v1/organizations/org-a/roles/{role.pk}/"
    refused = tool.delete(url)
    assert refused.status_code == 400 and "last admin" in refused.json()["errors"]["non_field_errors"][0]
    assert tool.delete(f"{url}?confirm=true").status_code == 204
    assert not OrganizationRole.objects.filter(pk=role.pk).exists()


def test_lists_keyed_by_uuids_page_with_their_cursors(tool, org) -> None:
    created = {str(operation_create(kind="user_block", actor=None, organization=org, target=f"auth0|{n}").pk)
               for n in range(3)}
    for n in range(3):
        BulkJob.objects.create(organization=org, actor_user_id=f"auth0|{n}")
    for path, expected in (("operations", created), ("bulk-jobs", {str(pk) for pk in
                                                                    BulkJob.objects.values_list("pk", flat=True)})):
        seen: list[str] = []
        page = tool.get(f"/api/v1/organizations/org-a/{path}/", {"size": 1}).json()
        while True:
            seen += [item["id"] for item in page["results"]]
            if not page["next_cursor"]:
                break
            page = tool.get(f"/api/v1/organizations/org-a/{path}/", {"size": 1, "after": page["next_cursor"]}).json()
        assert len(seen) == 3 and set(seen) == expected, path
