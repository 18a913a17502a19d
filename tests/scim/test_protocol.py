"""The SCIM endpoint's protocol, without Auth0: discovery, reads answered from the mapping at once (a created user
is there before its invitation has run), filters and pages, ETags, and every refusal as a SCIM error body (bad,
foreign or revoked tokens 401, bad bodies 400 with their scimType, 404, 405, 409 uniqueness, 412, 429), with
nothing recorded or queued by a refused request."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent, Operation
from scim.models import ScimToken, ScimUser
from scim.tokens import scim_token_revoke
from tests.factories import OrganizationFactory
from tests.scim.conftest import ERROR_SCHEMA, USER_SCHEMA, provider_for, user_body

pytestmark = pytest.mark.django_db
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def error_of(response, status: int, scim_type: str | None = None) -> str:
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"] == "application/scim+json"
    body = response.json_body
    assert body["schemas"] == [ERROR_SCHEMA] and body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body["detail"]


def test_discovery_documents(okta) -> None:
    config = okta.get("/ServiceProviderConfig").json_body
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = okta.get("/ResourceTypes").json_body
    assert [(t["id"], t["endpoint"]) for t in types["Resources"]] == [("User", "/Users"), ("Group", "/Groups")]
    assert okta.get("/ResourceTypes/User").json_body["schema"] == USER_SCHEMA
    schemas = okta.get("/Schemas").json_body["Resources"]
    assert [s["id"] for s in schemas] == [USER_SCHEMA, ENTERPRISE, "urn:ietf:params:scim:schemas:core:2.0:Group"]
    assert types["Resources"][0]["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert okta.get(f"/Schemas/{USER_SCHEMA}").json_body["name"] == "User"
    error_of(okta.get("/ResourceTypes/Printer"), 404)


def test_a_created_user_is_read_back_at_once_as_it_will_be(okta, published_tasks, django_capture_on_commit_callbacks
                                                           ) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = okta.post("/Users", user_body("ann@acme.test", external_id="00u1"))
    assert created.status_code == 201, created.content
    body = created.json_body
    location = f"http://testserver/scim/v2/acme/Users/{body['id']}"
    assert (created["Location"], body["meta"]["location"], body["meta"]["version"]) == (location, location, 'W/"1"')
    assert created["ETag"] == 'W/"1"'
    assert (body["userName"], body["externalId"], body["active"]) == ("ann@acme.test", "00u1", True)
    assert body["name"] == {"givenName": "Ann", "familyName": "Lee"}
    # An invitation through the invite service, queued; nothing waited on Auth0.
    [invitation] = Operation.objects.filter(kind="user_invite")
    assert (invitation.target, invitation.actor_display, invitation.status) == ("ann@acme.test", "Okta (SCIM)",
                                                                                  "pending")
    assert published_tasks == ["users.tasks.user_invite"]
    assert okta.get(f"/Users/{body['id']}").json_body == body
    event = AuditEvent.objects.get(action="scim.user_created")
    assert (event.actor_display, event.actor_user_id) == ("Okta (SCIM)", f"scim:{okta.token.pk}")


def test_entra_id_s_enterprise_attributes_are_kept(okta) -> None:
    body = {**user_body("ann@acme.test"), "schemas": [USER_SCHEMA, ENTERPRISE],
            ENTERPRISE: {"department": "Sales", "employeeNumber": "42"}}
    scim_id = okta.post("/Users", body).json_body["id"]
    patched = okta.patch(f"/Users/{scim_id}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                               "Operations": [{"op": "Add", "path": f"{ENTERPRISE}:department",
                                                               "value": "Support"}]}).json_body
    assert patched[ENTERPRISE] == {"department": "Support", "employeeNumber": "42"}
    assert okta.get(f"/Users/{scim_id}").json_body[ENTERPRISE]["department"] == "Support"


def test_filter_and_pages(okta) -> None:
    for n in range(5):
        okta.post("/Users", user_body(f"p{n}@acme.test", external_id=f"x{n}"))
    found = okta.get('/Users?filter=userName eq "P3@ACME.test"').json_body
    assert (found["totalResults"], [r["userName"] for r in found["Resources"]]) == (1, ["p3@acme.test"])
    assert okta.get('/Users?filter=externalId eq "x4"').json_body["Resources"][0]["userName"] == "p4@acme.test"
    assert okta.get('/Users?filter=userName eq "nobody@acme.test"').json_body == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "startIndex": 1,
        "itemsPerPage": 0}
    page = okta.get("/Users?startIndex=2&count=2").json_body
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["userName"] for r in page["Resources"]] == ["p1@acme.test", "p2@acme.test"]
    assert okta.get("/Users?count=0").json_body["totalResults"] == 5
    error_of(okta.get('/Users?filter=userName co "p"'), 400, "invalidFilter")
    error_of(okta.get("/Users?filter=userName eq"), 400, "invalidFilter")
    error_of(okta.get("/Users?count=many"), 400, "invalidValue")


@pytest.mark.parametrize("authorization", ["", "Bearer", "Bearer scim_wrong", "Basic dXNlcjpwYXNz", "Bearer {other}",
                                           "Bearer {revoked}"])
def test_bad_tokens_are_refused(okta, authorization, published_tasks) -> None:
    other = provider_for(OrganizationFactory(slug="globex"), "Okta")
    revoked = provider_for(okta.organization, "Old Okta")
    scim_token_revoke(actor=_admin(okta), organization=okta.organization, token=revoked.token)
    header = authorization.format(other=other.secret, revoked=revoked.secret)
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = okta.client.post(f"{okta.base}/Users", data=user_body("x@acme.test"),
                                content_type="application/scim+json", **headers)
    response.json_body = response.json()
    assert error_of(response, 401) == "The bearer token is not valid for this endpoint."
    assert response["WWW-Authenticate"] == 'Bearer realm="scim"'
    assert not ScimUser.objects.exists() and not Operation.objects.exists() and published_tasks == []


def _admin(provider):
    from organizations.selectors import principal_for_user_id
    from tests.factories import RoleFactory

    return principal_for_user_id(RoleFactory(organization=provider.organization).user_id, "Ada")


def test_an_unknown_organization_is_the_same_401(okta) -> None:
    response = okta.client.get("/scim/v2/nowhere/Users", HTTP_AUTHORIZATION=f"Bearer {okta.secret}")
    response.json_body = response.json()
    error_of(response, 401)


@pytest.mark.parametrize(("body", "scim_type"), [
    (b"{not json", "invalidSyntax"),
    (b"[1, 2]", "invalidSyntax"),
    ({"schemas": [USER_SCHEMA], "emails": [{"value": "a@acme.test"}]}, "invalidValue"),  # no userName
    ({"schemas": [USER_SCHEMA], "userName": "Ann Lee"}, "invalidValue"),  # no email anywhere
    ({"schemas": [USER_SCHEMA], "userName": "x", "emails": [{"value": "not an email"}]}, "invalidValue"),
    ({"schemas": [USER_SCHEMA], "userName": "a@acme.test", "active": "maybe"}, "invalidValue"),
])
def test_bad_bodies_are_refused_and_change_nothing(okta, body, scim_type, published_tasks) -> None:
    error_of(okta.post("/Users", body), 400, scim_type)
    assert not ScimUser.objects.exists() and not Operation.objects.exists() and published_tasks == []


def test_a_second_user_with_the_same_user_name_is_a_conflict(okta) -> None:
    assert okta.post("/Users", user_body("ann@acme.test")).status_code == 201
    detail = error_of(okta.post("/Users", user_body("ANN@acme.test")), 409, "uniqueness")
    assert "ANN@acme.test" in detail
    assert ScimUser.objects.count() == 1 and Operation.objects.count() == 1


def test_unknown_ids_methods_and_versions(okta) -> None:
    error_of(okta.get("/Users/00000000-0000-0000-0000-000000000000"), 404)
    error_of(okta.get("/Users/not-a-uuid"), 404)
    error_of(okta.get("/Groups/00000000-0000-0000-0000-000000000000"), 404)
    error_of(okta.delete("/Users"), 405)
    created = okta.post("/Users", user_body("ann@acme.test")).json_body
    error_of(okta.put(f"/Users/{created['id']}", user_body("ann@acme.test", given="Zoe"), HTTP_IF_MATCH='W/"7"'), 412)
    assert okta.put(f"/Users/{created['id']}", user_body("ann@acme.test", given="Zoe"),
                    HTTP_IF_MATCH='W/"1"').json_body["meta"]["version"] == 'W/"2"'


def test_each_token_has_its_own_rate(okta, settings) -> None:
    settings.SCIM_RATE_PER_MINUTE = 3
    other = provider_for(okta.organization, "Entra ID")
    assert [okta.get("/Users").status_code for _ in range(3)] == [200, 200, 200]
    limited = okta.get("/Users")
    error_of(limited, 429)
    assert 0 < int(limited["Retry-After"]) <= 60
    assert other.get("/Users").status_code == 200


def test_the_token_is_never_stored(okta) -> None:
    token = ScimToken.objects.get()
    assert okta.secret.startswith("scim_") and len(okta.secret) > 50
    assert okta.secret not in (token.token_hash, token.token_prefix) and okta.secret.startswith(token.token_prefix)
