"""Form-encoded (``application/x-www-form-urlencoded``) bodies on the Management API operations whose
spec lists them: values are coerced by the operation's schema, the effect is the same as with JSON,
responses validate against Auth0's schema, and a value that does not fit is a 400 that changes nothing.

One emulator of its own (empty seed), so the users and organizations made here never touch the
shared demo tenant other modules count.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from auth0_emulator.app import create_app
from auth0_emulator.config import EmulatorConfig
from auth0_emulator.management.forms import FORM_FIELD_TYPES
from tests.support.authn_browser import page_parse, query_of
from tests.support.openapi import management_token, response_check, spec
from tests.support.processes import EmulatorProcess

FORM = "application/x-www-form-urlencoded"
CONNECTION = "Username-Password-Authentication"
WEB_CLIENT = "portal-web-dev"
PASSWORD = "Str0ng-pass!"


@pytest.fixture(scope="module")
def emu(emulator_factory) -> EmulatorProcess:
    return emulator_factory("--seed", "empty", "--test-controls", "--no-rate-limits")


def call(emu: EmulatorProcess, method: str, path: str, data: dict[str, Any]) -> httpx.Response:
    """A Management API call with a form body (httpx repeats the key of a list value)."""
    headers = {"Authorization": f"Bearer {management_token(emu.url)}"}
    return httpx.request(method, f"{emu.url}/api/v2{path}", data=data, headers=headers, timeout=10)


def checked(response: httpx.Response, method: str, path: str, status: int) -> dict:
    """Assert the status, validate the body against Auth0's schema for it, return the body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert response_check(method, path, status, body)
    return body


def get_json(emu: EmulatorProcess, path: str, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {management_token(emu.url)}"}
    response = httpx.get(f"{emu.url}/api/v2{path}", params=params, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def new_email(prefix: str = "form") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@forms.test"


def user_create(emu: EmulatorProcess, **extra: str) -> dict:
    data = {"connection": CONNECTION, "email": new_email(), "password": PASSWORD, "verify_email": "false", **extra}
    return checked(call(emu, "POST", "/users", data), "POST", "/users", 201)


def outbox(emu: EmulatorProcess, to: str) -> list[dict]:
    return httpx.get(f"{emu.url}/emulator/outbox", params={"to": to}).json()


def invalid_body(response: httpx.Response, field: str) -> str:
    """Assert Auth0's 400 invalid_body whose message names ``field``; return the message."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"statusCode", "error", "message", "errorCode"}
    assert (body["statusCode"], body["error"], body["errorCode"]) == (400, "Bad Request", "invalid_body")
    assert body["message"].startswith("Payload validation error: ")
    assert body["message"].endswith(f" on property {field}."), body["message"]
    return body["message"]


# -- the field types the emulator coerces to are the spec's ---------------------------------------
def _resolve(node: dict) -> dict:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _field_type(schema: dict) -> str:
    schema = _resolve(schema)
    declared = schema["type"]
    types = [t for t in ([declared] if isinstance(declared, str) else declared) if t != "null"]
    assert len(types) == 1, schema
    if types[0] == "array":
        return f"array<{_field_type(schema['items'])}>"
    return types[0]


def spec_form_operations() -> dict[str, dict[str, str]]:
    """For every Management API route the emulator serves whose operation lists form bodies in the
    spec: ``"METHOD /template"`` → property types, derived from the spec's request body schema."""
    app = create_app(EmulatorConfig(data_file=":memory:", seed="empty"))
    found: dict[str, dict[str, str]] = {}
    for route in app.routes:
        if not isinstance(route, Route) or not route.path.startswith("/api/v2/") or "{rest" in route.path:
            continue
        template = route.path.removeprefix("/api/v2")
        for method in sorted(route.methods or ()):
            operation = spec()["paths"].get(template, {}).get(method.lower())
            content = ((operation or {}).get("requestBody") or {}).get("content") or {}
            if FORM in content:
                schema = _resolve(content[FORM]["schema"])
                found[f"{method} {template}"] = {k: _field_type(v) for k, v in schema["properties"].items()}
    return found


def test_form_field_types_are_the_specs() -> None:
    expected = spec_form_operations()
    assert {"POST /users", "PATCH /users/{id}", "POST /tickets/password-change",
            "POST /jobs/verification-email"} <= set(expected)
    assert expected == FORM_FIELD_TYPES


# -- users ------------------------------------------------------------------------------------------
def test_create_user_from_a_form(emu) -> None:
    email = new_email()
    created = checked(call(emu, "POST", "/users", {
        "connection": CONNECTION, "email": email, "password": PASSWORD, "email_verified": "true",
        "verify_email": "false", "given_name": "Ada", "blocked": "false",
        "user_metadata": json.dumps({"department": "R&D", "desk": {"floor": 3}}),
        "app_metadata": '{"plan": "gold", "seats": 5}',
    }), "POST", "/users", 201)
    assert created["email"] == email and created["email_verified"] is True and created["blocked"] is False
    assert created["user_metadata"] == {"department": "R&D", "desk": {"floor": 3}}
    assert created["app_metadata"] == {"plan": "gold", "seats": 5} and created["given_name"] == "Ada"
    stored = get_json(emu, f"/users/{created['user_id']}")
    assert stored["user_metadata"] == created["user_metadata"] and stored["email_verified"] is True
    assert outbox(emu, email) == []  # verify_email=false was read as false


def test_update_user_from_a_form(emu) -> None:
    user = user_create(emu, user_metadata='{"a": 1, "b": {"x": 1}}')
    path = f"/users/{user['user_id']}"
    updated = checked(call(emu, "PATCH", path, {
        "blocked": "true", "given_name": "Grace",
        "user_metadata": '{"a": null, "b": {"y": 2}, "c": 3}', "app_metadata": '{"plan": "silver"}',
    }), "PATCH", path, 200)
    assert updated["blocked"] is True and updated["given_name"] == "Grace"
    assert updated["user_metadata"] == {"b": {"y": 2}, "c": 3} and updated["app_metadata"] == {"plan": "silver"}
    assert get_json(emu, path)["blocked"] is True


# -- tickets and jobs ---------------------------------------------------------------------------------
def _ticket_expiry(emu: EmulatorProcess, ticket_url: str) -> float:
    """Seconds left on a ticket, read from the emulator's data file (the API does not show it)."""
    ticket_id = query_of(ticket_url)["ticket"]
    with sqlite3.connect(f"file:{emu.data_file}?mode=ro", uri=True) as db:
        (expires_at,) = db.execute("SELECT expires_at FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    return expires_at - time.time()


def test_password_change_ticket_from_a_form(emu) -> None:
    user = user_create(emu)
    result_url = "http://localhost:8000/password-changed"
    body = checked(call(emu, "POST", "/tickets/password-change", {
        "user_id": user["user_id"], "ttl_sec": "600", "mark_email_as_verified": "true",
        "includeEmailInRedirect": "true", "result_url": result_url,
    }), "POST", "/tickets/password-change", 201)
    assert 590 < _ticket_expiry(emu, body["ticket"]) <= 600
    with httpx.Client(timeout=10) as browser:
        page = page_parse(browser.get(body["ticket"]))
        assert page.response.status_code == 200
        action = httpx.URL(body["ticket"]).join(page.form.action)
        done = browser.post(action, data={**page.form.fields, "password": "N3w-pass-word!",
                                          "password_confirmation": "N3w-pass-word!"})
    assert done.status_code == 302
    assert query_of(done.headers["location"]) == {
        "success": "true", "message": "You can now login to the application with the new password.",
        "email": user["email"],
    }
    assert get_json(emu, f"/users/{user['user_id']}")["email_verified"] is True


def test_email_verification_ticket_from_a_form(emu) -> None:
    user = user_create(emu)
    body = checked(call(emu, "POST", "/tickets/email-verification", {
        "user_id": user["user_id"], "ttl_sec": "120", "includeEmailInRedirect": "false",
        "result_url": "http://localhost:8000/verified",
    }), "POST", "/tickets/email-verification", 201)
    assert 110 < _ticket_expiry(emu, body["ticket"]) <= 120
    opened = httpx.get(body["ticket"], timeout=10)
    assert opened.status_code == 302 and "email" not in query_of(opened.headers["location"])


def test_verification_email_job_from_a_form(emu) -> None:
    user = user_create(emu)
    job = checked(call(emu, "POST", "/jobs/verification-email", {"user_id": user["user_id"], "client_id": WEB_CLIENT}),
                  "POST", "/jobs/verification-email", 201)
    assert job["type"] == "verification_email" and job["id"].startswith("job_")
    mails = outbox(emu, user["email"])
    assert [m["kind"] for m in mails] == ["verify_email"]


def test_users_export_job_from_a_form(emu) -> None:
    connection = get_json(emu, "/connections", name=CONNECTION)[0]
    job = checked(call(emu, "POST", "/jobs/users-exports", {
        "connection_id": connection["id"], "format": "json", "limit": "2",
        "fields": [json.dumps({"name": "email"}), json.dumps({"name": "user_id", "export_as": "id"})],
    }), "POST", "/jobs/users-exports", 200)
    assert job["limit"] == 2 and job["fields"] == [{"name": "email"}, {"name": "user_id", "export_as": "id"}]


# -- connections and organizations ----------------------------------------------------------------------
def test_connection_create_and_update_from_forms(emu) -> None:
    name = f"forms-{uuid.uuid4().hex[:8]}"
    created = checked(call(emu, "POST", "/connections", {
        "name": name, "strategy": "auth0", "enabled_clients": [WEB_CLIENT, "portal-m2m-dev"],
        "options": '{"passwordPolicy": "fair", "requires_username": false}', "is_domain_connection": "false",
    }), "POST", "/connections", 201)
    assert created["enabled_clients"] == [WEB_CLIENT, "portal-m2m-dev"]
    assert created["options"]["passwordPolicy"] == "fair" and created["is_domain_connection"] is False
    path = f"/connections/{created['id']}"
    updated = checked(call(emu, "PATCH", path, {"display_name": "Forms", "show_as_button": "true"}), "PATCH", path, 200)
    assert updated["display_name"] == "Forms" and updated["show_as_button"] is True


def test_organization_members_connections_and_invitations_from_forms(emu) -> None:
    connection = get_json(emu, "/connections", name=CONNECTION)[0]
    org = checked(call(emu, "POST", "/organizations", {
        "name": f"forms-{uuid.uuid4().hex[:8]}", "display_name": "Forms Inc", "metadata": '{"tier": "gold"}',
    }), "POST", "/organizations", 201)
    base = f"/organizations/{org['id']}"
    assert org["metadata"] == {"tier": "gold"}
    renamed = checked(call(emu, "PATCH", base, {"display_name": "Forms Ltd"}), "PATCH", base, 200)
    assert renamed["display_name"] == "Forms Ltd"

    enabled = checked(call(emu, "POST", f"{base}/enabled_connections", {
        "connection_id": connection["id"], "assign_membership_on_login": "true", "show_as_button": "false",
    }), "POST", f"{base}/enabled_connections", 201)
    assert enabled["assign_membership_on_login"] is True and enabled["show_as_button"] is False

    first, second = user_create(emu), user_create(emu)
    added = call(emu, "POST", f"{base}/members", {"members": [first["user_id"], second["user_id"]]})
    assert added.status_code == 204, added.text
    removed = call(emu, "DELETE", f"{base}/members", {"members": first["user_id"]})
    assert removed.status_code == 204, removed.text
    assert [m["user_id"] for m in get_json(emu, f"{base}/members")] == [second["user_id"]]

    invitation = checked(call(emu, "POST", f"{base}/invitations", {
        "inviter": '{"name": "Ada"}', "invitee": json.dumps({"email": new_email("invitee")}),
        "client_id": WEB_CLIENT, "ttl_sec": "3600", "send_invitation_email": "false",
    }), "POST", f"{base}/invitations", 200)
    assert invitation["inviter"] == {"name": "Ada"}
    assert outbox(emu, invitation["invitee"]["email"]) == []


# -- bad values: a clear 400 naming the property, and nothing changes ----------------------------------
@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("email_verified", "yes", 'Expected type boolean (true or false) but found "yes"'),
        ("blocked", "", 'Expected type boolean (true or false) but found ""'),
        ("user_metadata", "{not json", 'Expected type object (as JSON text) but found "{not json"'),
        ("app_metadata", "[1, 2]", 'Expected type object (as JSON text) but found "[1, 2]"'),
    ],
)
def test_bad_create_values_are_400s_and_create_nothing(emu, field, value, problem) -> None:
    email = new_email("bad")
    response = call(emu, "POST", "/users", {"connection": CONNECTION, "email": email, "password": PASSWORD,
                                            field: value})
    assert invalid_body(response, field) == f"Payload validation error: '{problem}' on property {field}."
    assert get_json(emu, "/users-by-email", email=email) == []
    assert outbox(emu, email) == []


def test_a_repeated_single_value_is_a_400(emu) -> None:
    email = new_email("twice")
    response = call(emu, "POST", "/users", {"connection": CONNECTION, "email": [email, new_email()],
                                            "password": PASSWORD})
    assert "Expected a single value but found 2" in invalid_body(response, "email")
    assert get_json(emu, "/users-by-email", email=email) == []


def test_bad_update_values_change_nothing(emu) -> None:
    user = user_create(emu, user_metadata='{"keep": true}')
    path = f"/users/{user['user_id']}"
    # A good value beside the bad one is not applied either.
    response = call(emu, "PATCH", path, {"given_name": "Changed", "blocked": "TRUE"})
    invalid_body(response, "blocked")
    response = call(emu, "PATCH", path, {"given_name": "Changed", "user_metadata": "keep=false"})
    invalid_body(response, "user_metadata")
    assert get_json(emu, path) == user


def test_bad_ticket_and_job_values_change_nothing(emu) -> None:
    user = user_create(emu)
    response = call(emu, "POST", "/tickets/password-change", {"user_id": user["user_id"], "ttl_sec": "soon"})
    assert "Expected type integer but found \"soon\"" in invalid_body(response, "ttl_sec")
    response = call(emu, "POST", "/tickets/password-change", {"user_id": user["user_id"],
                                                              "mark_email_as_verified": "1"})
    invalid_body(response, "mark_email_as_verified")
    response = call(emu, "POST", "/jobs/verification-email", {"user_id": user["user_id"],
                                                              "identity": "google-oauth2|1"})
    invalid_body(response, "identity")
    response = call(emu, "POST", "/jobs/users-exports", {"limit": "5.5"})
    invalid_body(response, "limit")
    assert outbox(emu, user["email"]) == []
    assert get_json(emu, f"/users/{user['user_id']}") == user


def test_bad_array_item_names_its_position(emu) -> None:
    name = f"bad-{uuid.uuid4().hex[:8]}"
    response = call(emu, "POST", "/organizations", {
        "name": name, "enabled_connections": ['{"connection_id": "con_x"}', "con_y"],
    })
    invalid_body(response, "enabled_connections[1]")
    headers = {"Authorization": f"Bearer {management_token(emu.url)}"}
    assert httpx.get(f"{emu.url}/api/v2/organizations/name/{name}", headers=headers).status_code == 404


def test_a_form_where_the_spec_lists_none_is_refused(emu) -> None:
    response = httpx.post(f"{emu.url}/emulator/controls", data={"latency_ms": "5"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "application/x-www-form-urlencoded bodies are not accepted here: send application/json"
    )
    assert httpx.get(f"{emu.url}/emulator/controls", timeout=10).json()["latency_ms"] == 0
