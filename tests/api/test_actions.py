"""Acts over the API: each answers 202 with the operation and a Location to poll, through the same request
service as the pages (rights, guardrails, audit); the task then does the work against the emulator.
Idempotency-Key makes a retry return the same operation; the same key with another body is a 422."""

from __future__ import annotations

import uuid

import pytest

from api import idempotency
from api.models import IdempotentRequest
from auth0_gateway import gateway
from organizations.models import MembershipMode, OrganizationRole
from portal.models import AuditEvent, Operation
from tests.api.conftest import acme_user
from tests.factories import OrganizationFactory
from tests.support.api_tokens import register, tool_token
from tests.support.concurrency import needs_database_server, simultaneously
from users.models import DirectoryUser
from users.tasks import user_action

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(api_on_changing_emulator):
    return OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                               membership_mode=MembershipMode.ISOLATED_CONNECTION, auth0_connection_id="con_a")


@pytest.fixture
def tool(acme_tool):
    return acme_tool


def test_block_is_202_with_a_location_and_the_task_blocks_in_auth0(tool, acme) -> None:
    user = acme_user()
    response = tool.post(f"/api/v1/organizations/acme/users/{user['user_id']}/actions/block/")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "user_block" and body["status"] == "pending" and body["target"] == user["user_id"]
    assert response["Location"] == f"/api/v1/organizations/acme/operations/{body['id']}/" == body["url"]
    operation = Operation.objects.get(pk=body["id"])
    assert operation.actor_user_id == "portal-tool-dev@clients"
    assert AuditEvent.objects.filter(operation=operation, action="user_block.requested",
                                     actor_display="Tool portal-tool-dev (API client)").exists()
    user_action.apply(args=[str(operation.id)])  # the task re-checks the client's rights, then Auth0
    polled = tool.get(response["Location"])
    assert polled.status_code == 200
    assert polled.json()["status"] == "succeeded", polled.json()["error"]
    assert gateway().user_get(user_id=user["user_id"])["blocked"] is True
    assert DirectoryUser.objects.get(user_id=user["user_id"]).blocked is True


def test_the_task_refuses_when_the_registration_was_withdrawn(tool, acme) -> None:
    user = acme_user()
    operation_id = tool.post(f"/api/v1/organizations/acme/users/{user['user_id']}/actions/block/").json()["id"]
    register_row = acme.api_clients.get()
    register_row.organizations.clear()
    user_action.apply(args=[operation_id])
    assert Operation.objects.get(pk=operation_id).status == "failed"
    assert not gateway().user_get(user_id=user["user_id"]).get("blocked")


def test_idempotency_key_returns_the_same_operation(tool, acme, published_tasks) -> None:
    user = acme_user()
    url = f"/api/v1/organizations/acme/users/{user['user_id']}/actions/password-email/"
    first = tool.post(url, HTTP_IDEMPOTENCY_KEY="retry-1")
    again = tool.post(url, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Operation.objects.filter(target=user["user_id"]).count() == 1
    other = tool.post(url.replace("password-email", "block"), HTTP_IDEMPOTENCY_KEY="retry-1")
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    assert Operation.objects.filter(target=user["user_id"]).count() == 1


def test_same_key_different_body_is_422(tool, acme) -> None:
    url = "/api/v1/organizations/acme/users/"
    first = tool.post(url, {"email": "new-person@acme.test"}, format="json", HTTP_IDEMPOTENCY_KEY="invite-1")
    assert first.status_code == 202, first.content
    assert first.json()["kind"] == "user_invite"
    assert tool.post(url, {"email": "new-person@acme.test"}, format="json",
                     HTTP_IDEMPOTENCY_KEY="invite-1").json()["id"] == first.json()["id"]
    changed = tool.post(url, {"email": "someone-else@acme.test"}, format="json", HTTP_IDEMPOTENCY_KEY="invite-1")
    assert changed.status_code == 422
    assert Operation.objects.filter(kind="user_invite").count() == 1
    assert IdempotentRequest.objects.count() == 1


def test_bad_input_is_400_with_field_errors_and_records_nothing(tool, acme) -> None:
    before = (Operation.objects.count(), AuditEvent.objects.count())
    invite = tool.post("/api/v1/organizations/acme/users/", {"email": "not-an-email"}, format="json")
    assert invite.status_code == 400
    assert invite.json()["errors"] == {"email": ["Enter a valid email address, like name@example.com."]}
    missing = tool.post("/api/v1/organizations/acme/users/", {}, format="json")
    assert missing.status_code == 400 and "email" in missing.json()["errors"]
    # In the language the caller asks for, as a tool serving a German admin would show them.
    german = tool.post("/api/v1/organizations/acme/users/", {"email": "not-an-email"}, format="json",
                       HTTP_ACCEPT_LANGUAGE="de")
    assert german.status_code == 400 and german["Content-Language"] == "de"
    assert german.json()["errors"] == {"email": ["Geben Sie eine gültige E-Mail-Adresse ein, z. B. name@example.com."]}
    user = acme_user()
    metadata = tool.post(f"/api/v1/organizations/acme/users/{user['user_id']}/metadata/",
                         {"user_metadata": {"not_in_schema": 1}}, format="json")
    assert metadata.status_code == 400 and metadata.json()["errors"]
    delete = tool.post(f"/api/v1/organizations/acme/users/{user['user_id']}/delete/",
                       {"confirmation": "wrong@acme.test"}, format="json")
    assert delete.status_code == 400 and list(delete.json()["errors"]) == ["confirmation"]
    assert (Operation.objects.count(), AuditEvent.objects.count()) == before


def test_remove_delete_and_unknown_action(tool, acme) -> None:
    user = acme_user()
    base = f"/api/v1/organizations/acme/users/{user['user_id']}"
    assert tool.post(f"{base}/actions/launch-rockets/").status_code == 404
    deleted = tool.post(f"{base}/delete/", {"confirmation": user["email"]}, format="json")
    assert deleted.status_code == 202 and deleted.json()["kind"] == "user_delete"
    # An isolated organization's users are deleted, not removed: the service says so, as a 400.
    removed = tool.post(f"{base}/remove/")
    assert removed.status_code == 400 and removed.json()["errors"]["non_field_errors"]


def test_write_needs_the_write_scope(acme, api_on_changing_emulator, changing_emulator) -> None:
    register(organizations=[acme])
    reader = api_on_changing_emulator(tool_token(changing_emulator, scope="users:read"))
    user = acme_user()
    response = reader.post(f"/api/v1/organizations/acme/users/{user['user_id']}/actions/block/")
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"
    assert not Operation.objects.filter(target=user["user_id"]).exists()


def test_roles_grant_list_and_revoke(tool, acme) -> None:
    user = acme_user()
    granted = tool.post("/api/v1/organizations/acme/roles/", {"email": user["email"], "role": "viewer"},
                        format="json")
    assert granted.status_code == 201, granted.content
    assert granted.json()["user_id"] == user["user_id"] and granted.json()["role"] == "viewer"
    listed = tool.get("/api/v1/organizations/acme/roles/").json()
    assert user["user_id"] in [r["user_id"] for r in listed]
    role_id = granted.json()["id"]
    assert tool.delete(f"/api/v1/organizations/acme/roles/{role_id}/").status_code == 204
    assert not OrganizationRole.objects.filter(pk=role_id).exists()
    # Before the directory's first full sync it cannot tell: a task asks Auth0, answered 202.
    unknown = tool.post("/api/v1/organizations/acme/roles/", {"email": "nobody@acme.test", "role": "viewer"},
                        format="json")
    assert unknown.status_code == 202 and unknown.json()["kind"] == "role_grant"
    bad_role = tool.post("/api/v1/organizations/acme/roles/", {"email": user["email"], "role": "owner"},
                         format="json")
    assert bad_role.status_code == 400 and list(bad_role.json()["errors"]) == ["role"]


def test_an_invitation_sets_metadata_and_a_missing_required_field_is_a_400_that_records_nothing(tool, acme) -> None:
    from tests.factories import metadata_fields_create

    metadata_fields_create(acme, [
        ("department", "user_metadata", "text", {"label": "Department", "required": True}),
        ("region", "app_metadata", "enum", {"label": "Region", "choices": ["emea", "apac"]}),
    ])
    url = "/api/v1/organizations/acme/users/"
    email = f"api-{uuid.uuid4().hex[:8]}@acme.test"
    before = (Operation.objects.count(), AuditEvent.objects.count(), IdempotentRequest.objects.count())
    required = ["Enter a value: this field is required."]
    missing = tool.post(url, {"email": email}, format="json", HTTP_IDEMPOTENCY_KEY="invite-required-1")
    assert missing.status_code == 400
    assert missing.json() == {"error": "invalid_request", "detail": "Some of the input is not valid: see errors.",
                              "errors": {"user_metadata.department": required}}
    wrong = tool.post(url, {"email": email, "user_metadata": {"department": ""}, "app_metadata": {"region": "mars"}},
                      format="json")
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == {"user_metadata.department": required,
                                      "app_metadata.region": ["Choose one of: emea, apac."]}
    assert (Operation.objects.count(), AuditEvent.objects.count(), IdempotentRequest.objects.count()) == before

    given = tool.post(url, {"email": email, "user_metadata": {"department": "Sales"},
                            "app_metadata": {"region": "apac"}}, format="json", HTTP_IDEMPOTENCY_KEY="required-2")
    assert given.status_code == 202, given.content
    operation = Operation.objects.get(pk=given.json()["id"])
    assert operation.payload == {"email": email, "name": "", "user_metadata": {"department": "Sales"},
                                 "app_metadata": {"region": "apac"}}
    from users.tasks import user_invite

    user_invite.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "succeeded", operation.last_error
    [user] = gateway().users_by_email(email=email)
    assert (user["user_metadata"], user["app_metadata"]) == ({"department": "Sales"}, {"region": "apac"})


def test_an_invitation_on_its_way_is_a_409_that_records_nothing(tool, acme) -> None:
    url = "/api/v1/organizations/acme/users/"
    first = tool.post(url, {"email": "grace@acme.test"}, format="json")
    assert first.status_code == 202, first.content
    before = (Operation.objects.count(), AuditEvent.objects.count(), IdempotentRequest.objects.count())
    for headers in ({}, {"HTTP_IDEMPOTENCY_KEY": "invite-grace-again"}):
        again = tool.post(url, {"email": "Grace@Acme.test", "name": "Grace"}, format="json", **headers)
        assert again.status_code == 409
        assert again.json() == {"error": "invitation_on_its_way",
                                "detail": "An invitation to grace@acme.test is already on its way."}
    assert (Operation.objects.count(), AuditEvent.objects.count(), IdempotentRequest.objects.count()) == before
    # Once it has finished, the same key is a new request, not a replay of the refusal.
    Operation.objects.filter(pk=first.json()["id"]).update(status="failed")
    retried = tool.post(url, {"email": "Grace@Acme.test", "name": "Grace"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="invite-grace-again")
    assert retried.status_code == 202 and retried.json()["id"] != first.json()["id"]


@needs_database_server
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("keys", ["no keys", "one key for both"])
def test_two_simultaneous_invitations_are_one_202_and_one_409_or_one_replay(tool, acme, keys) -> None:
    """Two tools (or one retrying) invite the same person at the same instant. Without keys: one invitation and
    one 409 that says so. With the same Idempotency-Key: the same request twice, so both get the one operation."""
    url = "/api/v1/organizations/acme/users/"
    headers = {"HTTP_IDEMPOTENCY_KEY": "grace-once"} if keys == "one key for both" else {}
    answers = simultaneously(lambda _: tool.post(url, {"email": "grace@acme.test"}, format="json", **headers), 2)
    statuses = sorted(answer.status_code for answer in answers)
    [operation] = Operation.objects.filter(kind="user_invite")
    if keys == "no keys":
        assert statuses == [202, 409], [answer.content for answer in answers]
        refused = next(answer for answer in answers if answer.status_code == 409)
        assert refused.json()["error"] == "invitation_on_its_way"
    else:
        assert statuses == [202, 202], [answer.content for answer in answers]
        assert {answer.json()["id"] for answer in answers} == {str(operation.pk)}
    assert AuditEvent.objects.filter(action="user.invite_requested").count() == 1


def test_a_retry_that_crossed_its_first_attempt_is_answered_as_the_first_was(tool, acme, monkeypatch) -> None:
    """A tool's retry with the same Idempotency-Key, read before its first attempt was recorded, meets that attempt's
    invitation on its way: it is the same request, so it gets the same operation back, not a 409."""
    url = "/api/v1/organizations/acme/users/"
    first = tool.post(url, {"email": "grace@acme.test"}, format="json", HTTP_IDEMPOTENCY_KEY="grace-1")
    assert first.status_code == 202, first.content
    lookups = iter([None])  # the retry's first look finds nothing yet; its second, after the refusal, finds it
    real_lookup = idempotency.earlier_request
    monkeypatch.setattr(idempotency, "earlier_request", lambda caller, key: next(lookups, real_lookup(caller, key)))
    again = tool.post(url, {"email": "grace@acme.test"}, format="json", HTTP_IDEMPOTENCY_KEY="grace-1")
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Operation.objects.filter(kind="user_invite").count() == IdempotentRequest.objects.count() == 1
