"""Users' authentication methods (``/users/{id}/authentication-methods``) through the official SDK, every
successful response checked against Auth0's OpenAPI schema; error bodies, scopes, form bodies, rate limits,
logs and user deletion over raw HTTP where the SDK would hide what matters.

The module writes only to users it creates (in the shared connection, outside every organization), so the
demo tenant other modules count is left as it was; the demo's enrolled users are only read here.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import httpx
import pytest
from auth0.management import SetUserAuthenticationMethods
from auth0.management.core.api_error import ApiError
from auth0.management.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError

from auth0_emulator.directory.formats import user_id_for_email
from tests.support.openapi import management_token, response_check
from tests.support.processes import EmulatorProcess

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Str0ng-pass!"
NOBODY = "auth0|" + "0" * 24
USER_404 = {"statusCode": 404, "error": "Not Found", "message": "The user does not exist.",
            "errorCode": "inexistent_user"}
METHOD_404 = {"statusCode": 404, "error": "Not Found", "message": "The authentication method could not be found.",
              "errorCode": "inexistent_authentication_method"}
TOTP_SECRET = "5HCWXIP2MJNSUBGYVUZFLRB2HWIGXR4SYJQXNBQ"
PUBLIC_KEY = "pQECAyYgASFYIBeS3Rw3N0Xbyd2bQpCnLnWNsnOfB6ZcTmYlEoGz1ak8"
ID_DESCRIPTIONS = {"GET": "The ID of the authentication methods in question.",
                   "PATCH": "The ID of the authentication method to update.",
                   "DELETE": "The ID of the authentication method to delete."}


@pytest.fixture
def user(mgmt):
    """A fresh user of the shared connection, in no organization."""
    return new_user(mgmt)


def new_user(mgmt, user_id: str | None = None):
    email = f"mfa-{uuid.uuid4().hex[:10]}@portal.test"
    extra = {"user_id": user_id} if user_id else {}
    return mgmt.users.create(connection=CONNECTION, email=email, password=PASSWORD, verify_email=False, **extra)


def raw(emulator: EmulatorProcess, method: str, path: str, *, token: str | None = None,
        headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or management_token(emulator.url)}", **(headers or {})}
    return httpx.request(method, f"{emulator.url}/api/v2{path}", headers=headers, timeout=10, **kwargs)


def checked(response: httpx.Response, status: int) -> Any:
    """Assert the status and validate the body against Auth0's schema for it (the call's own path)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert response_check(response.request.method, httpx.URL(response.request.url).path.removeprefix("/api/v2"),
                          status, body)
    return body


def auth0_error(response: httpx.Response, status: int, error_code: str) -> str:
    """Assert Auth0's error body (exactly its four properties); return the message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"statusCode", "error", "message", "errorCode"}, body
    assert (body["statusCode"], body["errorCode"]) == (status, error_code), body
    assert body["message"], body
    return body["message"]


def methods_path(user_id: str) -> str:
    return f"/users/{user_id}/authentication-methods"


# -- reading ----------------------------------------------------------------------------------------------
def test_demo_users_have_factors_to_reset(emulator, mgmt, sdk) -> None:
    acme = user_id_for_email("user01@acme.test")
    listed = mgmt.users.authentication_methods.list(acme).items
    assert [m.type for m in listed] == ["totp", "phone", "recovery-code"]
    assert all(m.confirmed is True and m.id.startswith(f"{m.type}|dev_") for m in listed)
    totp, phone, _codes = listed
    assert totp.name == "Authenticator app" and totp.last_auth_at is not None
    # Phone numbers are masked when read, as Auth0 shows them; the sub-method follows the preferred one.
    assert phone.phone_number == "XXXXXXXX0101" and phone.preferred_authentication_method == "sms"
    assert [(a.type, a.id) for a in phone.authentication_methods] == [("sms", "sms|" + phone.id.split("|")[1])]
    one = mgmt.users.authentication_methods.get(acme, phone.id)
    assert one.model_dump(exclude_none=True) == phone.model_dump(exclude_none=True)
    globex = mgmt.users.authentication_methods.list(user_id_for_email("user02@globex.test")).items
    assert [(m.type, m.preferred_authentication_method) for m in globex] == [("phone", "voice"), ("totp", None)]
    # Without include_totals the answer is the plain array (the SDK always asks for totals).
    plain = checked(raw(emulator, "GET", methods_path(acme), params={"include_totals": "false"}), 200)
    assert [m["id"] for m in plain] == [m.id for m in listed]
    assert "totp_secret" not in plain[0]
    assert sdk[1].validated >= 3


def test_list_pages_through_a_users_methods(emulator, mgmt, sdk, user) -> None:
    for number in ("+15550000001", "+15550000002", "+15550000003"):
        mgmt.users.authentication_methods.create(user.user_id, type="phone", phone_number=number)
    first = mgmt.users.authentication_methods.list(user.user_id, page=0, per_page=2)
    assert (first.response.start, first.response.limit, first.response.total) == (0, 2, 3)
    assert [m.phone_number for m in first.items] == ["XXXXXXXX0001", "XXXXXXXX0002"]
    second = mgmt.users.authentication_methods.list(user.user_id, page=1, per_page=2)
    assert (second.response.start, second.response.total) == (2, 3)
    assert [m.phone_number for m in second.items] == ["XXXXXXXX0003"]
    # The pager asks for pages until one comes back empty.
    assert len(list(mgmt.users.authentication_methods.list(user.user_id, per_page=2))) == 3
    path = methods_path(user.user_id)
    assert checked(raw(emulator, "GET", path, params={"page": 5, "per_page": 2, "include_totals": "true"}),
                   200) == {"start": 10, "limit": 2, "total": 3, "authenticators": []}
    assert checked(raw(emulator, "GET", path, params={"per_page": 1}), 200)[0]["phone_number"] == "XXXXXXXX0001"
    for params in ({"per_page": 101}, {"page": -1}, {"include_totals": "maybe"}, {"per_page": "x"}):
        assert "Query validation error" in auth0_error(raw(emulator, "GET", path, params=params), 400,
                                                       "invalid_query_string")


# -- creating ---------------------------------------------------------------------------------------------
def test_create_every_type_the_spec_allows(mgmt, sdk, user) -> None:
    am = mgmt.users.authentication_methods
    phone = am.create(user.user_id, type="phone", name="Work phone", phone_number="+44207183875044",
                      preferred_authentication_method="voice")
    assert phone.id.startswith("phone|dev_") and phone.phone_number == "XXXXXXXXXXX5044"
    assert [(a.type, a.id) for a in phone.authentication_methods] == [("voice", "voice|" + phone.id.split("|")[1])]
    email = am.create(user.user_id, type="email", name="Test", email="chuck334@example.com")
    assert email.email == "chuc****@exam*******" and email.name == "Test"
    totp = am.create(user.user_id, type="totp", totp_secret=TOTP_SECRET)
    assert totp.totp_secret is None  # kept, never shown again
    key = am.create(user.user_id, type="webauthn-roaming", name="YubiKey", key_id="key-1", public_key=PUBLIC_KEY,
                    relying_party_identifier="portal.test")
    assert (key.key_id, key.public_key, key.relying_party_identifier) == ("key-1", PUBLIC_KEY, "portal.test")
    passkey = am.create(user.user_id, type="passkey", key_id="pk-1", public_key=PUBLIC_KEY)
    created = [phone, email, totp, key, passkey]
    listed = am.list(user.user_id).items
    assert [m.id for m in listed] == [m.id for m in created]
    assert [m.type for m in listed] == ["phone", "email", "totp", "webauthn-roaming", "passkey"]
    assert all(m.confirmed is True and m.created_at is not None for m in listed)
    for method in listed:
        assert am.get(user.user_id, method.id).model_dump(exclude_none=True) == method.model_dump(exclude_none=True)
    assert sdk[1].validated >= 12


def test_create_takes_a_form_body_too(emulator, user) -> None:
    path = methods_path(user.user_id)
    created = checked(raw(emulator, "POST", path, data={"type": "phone", "phone_number": "+15550001234",
                                                        "preferred_authentication_method": "voice"}), 201)
    assert created["preferred_authentication_method"] == "voice" and created["phone_number"] == "XXXXXXXX1234"
    renamed = checked(raw(emulator, "PATCH", f"{path}/{created['id']}", data={"name": "Landline"}), 200)
    assert renamed["name"] == "Landline"


def test_the_same_factor_twice_is_a_409(emulator, mgmt, user) -> None:
    am = mgmt.users.authentication_methods
    am.create(user.user_id, type="email", email="twice@portal.test")
    with pytest.raises(ConflictError) as err:
        am.create(user.user_id, type="email", email="TWICE@portal.test")
    assert err.value.body == {"statusCode": 409, "error": "Conflict", "errorCode": "authentication_method_conflict",
                              "message": "Authentication method already exists."}
    duplicate = [{"type": "phone", "phone_number": "+15550009999"}] * 2
    auth0_error(raw(emulator, "PUT", methods_path(user.user_id), json=duplicate), 409,
                "authentication_method_conflict")
    assert [m.email for m in am.list(user.user_id).items] == ["twic*@port*******"]


# -- replacing, updating, deleting ----------------------------------------------------------------------------
def test_replace_all_shows_what_it_stored(mgmt, sdk, user) -> None:
    am = mgmt.users.authentication_methods
    old = am.create(user.user_id, type="webauthn-roaming", key_id="old-key", public_key=PUBLIC_KEY)
    stored = am.set(user.user_id, request=[
        SetUserAuthenticationMethods(type="email", name="MyEmail", email="foo@example.com"),
        SetUserAuthenticationMethods(type="phone", name="MyPhone", phone_number="+44207183875044",
                                     preferred_authentication_method="sms"),
        SetUserAuthenticationMethods(type="totp", name="MyTotp", totp_secret=TOTP_SECRET),
    ])
    # PUT's answer shows the values whole; reads mask them.
    assert [(m.type, m.email or m.phone_number) for m in stored] == [
        ("email", "foo@example.com"), ("phone", "+44207183875044"), ("totp", None)]
    listed = am.list(user.user_id).items
    assert old.id not in [m.id for m in listed]
    assert [(m.id, m.name) for m in listed] == [(m.id, m.name) for m in stored]
    assert [m.email or m.phone_number for m in listed[:2]] == ["****@exam*******", "XXXXXXXXXXX5044"]
    assert am.set(user.user_id, request=[]) == []
    assert am.list(user.user_id).items == []


def test_update_name_and_preferred_method(emulator, mgmt, user) -> None:
    am = mgmt.users.authentication_methods
    phone = am.create(user.user_id, type="phone", phone_number="+15550004321")
    updated = am.update(user.user_id, phone.id, name="Home", preferred_authentication_method="voice")
    assert (updated.name, updated.preferred_authentication_method, updated.phone_number) == (
        "Home", "voice", "XXXXXXXX4321")
    read = am.get(user.user_id, phone.id)
    assert (read.name, [a.id for a in read.authentication_methods]) == ("Home", ["voice|" + phone.id.split("|")[1]])
    totp = am.create(user.user_id, type="totp", totp_secret=TOTP_SECRET)
    with pytest.raises(BadRequestError) as err:
        am.update(user.user_id, totp.id, preferred_authentication_method="sms")
    assert err.value.body["errorCode"] == "invalid_body"
    passkey = am.create(user.user_id, type="passkey", key_id="pk-2", public_key=PUBLIC_KEY)
    message = auth0_error(raw(emulator, "PATCH", f"{methods_path(user.user_id)}/{passkey.id}", json={"name": "x"}),
                          400, "invalid_body")
    assert message == "Authentication methods of type passkey cannot be updated"
    assert am.get(user.user_id, totp.id).preferred_authentication_method is None


def test_delete_one_then_all(emulator, mgmt, user) -> None:
    am = mgmt.users.authentication_methods
    totp = am.create(user.user_id, type="totp", totp_secret=TOTP_SECRET)
    phone = am.create(user.user_id, type="phone", phone_number="+15550002468")
    assert am.delete(user.user_id, totp.id) is None
    assert [m.id for m in am.list(user.user_id).items] == [phone.id]
    for call in (lambda: am.get(user.user_id, totp.id), lambda: am.delete(user.user_id, totp.id),
                 lambda: am.update(user.user_id, totp.id, name="x")):
        with pytest.raises(NotFoundError) as err:
            call()
        assert err.value.body == METHOD_404
    assert am.delete_all(user.user_id) is None
    emptied = am.list(user.user_id)
    assert emptied.items == [] and emptied.response.total is None
    # Auth0 leaves total out when the user has no methods.
    assert checked(raw(emulator, "GET", methods_path(user.user_id), params={"include_totals": "true"}), 200) == {
        "authenticators": [], "start": 0, "limit": 50}
    am.delete_all(user.user_id)  # nothing left: still 204


def test_a_passkey_forbids_replacing_or_deleting_all(mgmt, user) -> None:
    am = mgmt.users.authentication_methods
    passkey = am.create(user.user_id, type="passkey", key_id="pk-3", public_key=PUBLIC_KEY)
    am.create(user.user_id, type="totp", totp_secret=TOTP_SECRET)
    forbidden = {"statusCode": 403, "error": "Forbidden", "errorCode": "operation_not_permitted",
                 "message": "Operation not permitted when the user has registered at least 1 passkey"}
    with pytest.raises(ForbiddenError) as err:
        am.delete_all(user.user_id)
    assert err.value.body == forbidden
    with pytest.raises(ForbiddenError) as err:
        am.set(user.user_id, request=[SetUserAuthenticationMethods(type="totp", totp_secret=TOTP_SECRET)])
    assert err.value.body == forbidden
    assert len(am.list(user.user_id).items) == 2
    am.delete(user.user_id, passkey.id)
    am.delete_all(user.user_id)
    assert am.list(user.user_id).items == []


# -- errors -----------------------------------------------------------------------------------------------
def test_an_unknown_user_is_auth0s_404(mgmt) -> None:
    am = mgmt.users.authentication_methods
    calls = [
        lambda: am.list(NOBODY),
        lambda: am.get(NOBODY, "totp|dev_0000000000000000"),
        lambda: am.create(NOBODY, type="totp", totp_secret=TOTP_SECRET),
        lambda: am.update(NOBODY, "totp|dev_0000000000000000", name="x"),
        lambda: am.delete(NOBODY, "totp|dev_0000000000000000"),
    ]
    for call in calls:
        with pytest.raises(NotFoundError) as err:
            call()
        assert err.value.body == USER_404
    # The spec documents no 404 for PUT and DELETE of all methods, so the SDK raises its base ApiError for
    # them: callers must look at status_code.
    for call in (lambda: am.set(NOBODY, request=[SetUserAuthenticationMethods(type="totp", totp_secret=TOTP_SECRET)]),
                 lambda: am.delete_all(NOBODY)):
        with pytest.raises(ApiError) as err:
            call()
        assert not isinstance(err.value, NotFoundError)
        assert (err.value.status_code, err.value.body) == (404, USER_404)


@pytest.mark.parametrize("method_id", ["nope", "totp", "totp|", "sms-ish|dev_x", "totp|dev a", "totp|dev_é"])
@pytest.mark.parametrize("verb", ["GET", "PATCH", "DELETE"])
def test_a_malformed_method_id_is_a_400(emulator, verb, method_id) -> None:
    path = f"{methods_path(user_id_for_email('user01@acme.test'))}/{method_id}"
    response = raw(emulator, verb, path, json={"name": "x"} if verb == "PATCH" else None)
    message = auth0_error(response, 400, "invalid_uri")
    assert message == ("Path validation error: 'String does not match format authenticator-id: "
                       f"{method_id}' on property authentication_method_id ({ID_DESCRIPTIONS[verb]}).")


BAD_BODIES = [
    ("POST", {}, "Missing required property: type"),
    ("POST", {"type": "sms"}, "'No enum match for: \"sms\"' on property type."),
    ("POST", {"type": None}, "'Expected type string but found type null' on property type."),
    ("POST", {"type": "phone"}, "'Missing required property: phone_number'."),
    ("POST", {"type": "phone", "phone_number": "1"}, "'String is too short (1 chars), minimum 2' on property "
                                                       "phone_number"),
    ("POST", {"type": "phone", "phone_number": "+1" * 16}, "'String is too long (32 chars), maximum 30'"),
    ("POST", {"type": "phone", "phone_number": "+15551234567", "preferred_authentication_method": "fax"},
     "'No enum match for: \"fax\"' on property preferred_authentication_method"),
    ("POST", {"type": "totp", "totp_secret": "not base32!"}, "'String is not valid base32: not base32!'"),
    ("POST", {"type": "totp", "totp_secret": 5}, "'Expected type string but found type number' on property "
                                                  "totp_secret"),
    ("POST", {"type": "totp", "totp_secret": TOTP_SECRET, "phone_number": "+15551234567"},
     "'Property phone_number does not apply to totp authentication methods' on property phone_number"),
    ("POST", {"type": "email", "email": "nope"}, "'Object didn't pass validation for format email: nope'"),
    ("POST", {"type": "email", "email": "a@b.test", "name": "x" * 21}, "'String is too long (21 chars), maximum 20' "
                                                                         "on property name"),
    ("POST", {"type": "email", "email": "a@b.test", "extra": 1}, "'Additional properties not allowed: extra'"),
    ("POST", {"type": "webauthn-roaming", "key_id": "k"}, "'Missing required property: public_key'"),
    ("POST", {"type": "webauthn-roaming", "key_id": "k", "public_key": "%%%"}, "'String is not valid base64: %%%'"),
    ("POST", {"type": "passkey", "key_id": "k", "public_key": PUBLIC_KEY, "relying_party_identifier": "not a host"},
     "'Object didn't pass validation for format hostname: not a host' on property relying_party_identifier"),
    ("PUT", {"type": "totp"}, "'Expected type array but found type object'."),
    ("PUT", [1], "'Expected type object but found type number' on property [0]."),
    ("PUT", [{"name": "x"}], "'Missing required property: type' on property [0]."),
    ("PUT", [{"type": "totp", "totp_secret": TOTP_SECRET}, {"type": "webauthn-roaming"}],
     "'No enum match for: \"webauthn-roaming\"' on property [1].type."),
    ("PUT", [{"type": "email", "email": "a@b.test", "name": ""}], "'String is too short (0 chars), minimum 1' on "
                                                                   "property [0].name"),
    ("PUT", [{"type": "email", "email": "a@b.test", "key_id": "k"}], "'Additional properties not allowed: key_id' on "
                                                                      "property [0]."),
    ("PATCH", {"type": "totp"}, "'Additional properties not allowed: type'"),
    ("PATCH", {"name": None}, "'Expected type string but found type null' on property name"),
    ("PATCH", {"preferred_authentication_method": "sms"},
     "'Only phone authentication methods have a preferred authentication method'"),
]


@pytest.mark.parametrize(("verb", "body", "problem"), BAD_BODIES)
def test_a_bad_body_is_a_400_that_changes_nothing(emulator, mgmt, user, verb, body, problem) -> None:
    am = mgmt.users.authentication_methods
    email = am.create(user.user_id, type="email", email="keep@portal.test")
    path = methods_path(user.user_id) + (f"/{email.id}" if verb == "PATCH" else "")
    message = auth0_error(raw(emulator, verb, path, json=body), 400, "invalid_body")
    assert message.startswith("Payload validation error: ") and problem in message, message
    listed = [m.model_dump(exclude_none=True) for m in am.list(user.user_id).items]
    assert listed == [am.get(user.user_id, email.id).model_dump(exclude_none=True)]
    assert am.get(user.user_id, email.id).name is None


def test_bodies_that_are_not_json_objects_are_400s(emulator, mgmt, user) -> None:
    path = methods_path(user.user_id)
    for verb in ("POST", "PUT"):
        response = raw(emulator, verb, path, content=b"{not json", headers={"content-type": "application/json"})
        assert auth0_error(response, 400, "invalid_body") == "Invalid request payload JSON format"
    response = raw(emulator, "PUT", path, data={"type": "totp", "totp_secret": TOTP_SECRET})
    assert auth0_error(response, 400, "invalid_body") == (
        "application/x-www-form-urlencoded bodies are not accepted here: send application/json")
    with pytest.raises(BadRequestError) as err:
        mgmt.users.authentication_methods.create(user.user_id, type="phone")
    assert err.value.body["message"] == "Payload validation error: 'Missing required property: phone_number'."
    assert mgmt.users.authentication_methods.list(user.user_id).items == []


def test_each_operation_demands_its_scope(emulator, user) -> None:
    token = httpx.post(f"{emulator.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "portal-m2m-dev", "client_secret": "portal-m2m-dev-secret",
        "audience": f"{emulator.url}/api/v2/", "scope": "read:users update:users delete:users create:users"})
    assert token.status_code == 200, token.text
    narrow = token.json()["access_token"]
    path = methods_path(user.user_id)
    one = f"{path}/totp|dev_0000000000000000"
    cases = [
        ("GET", path, None, "read:authentication_methods"),
        ("GET", one, None, "read:authentication_methods"),
        ("POST", path, {"type": "totp", "totp_secret": TOTP_SECRET}, "create:authentication_methods"),
        ("PUT", path, [], "update:authentication_methods"),
        ("PATCH", one, {"name": "x"}, "update:authentication_methods"),
        ("DELETE", one, None, "delete:authentication_methods"),
        ("DELETE", path, None, "delete:authentication_methods"),
    ]
    for verb, target, body, scope in cases:
        response = raw(emulator, verb, target, token=narrow, json=body)
        assert auth0_error(response, 403, "insufficient_scope") == f"Insufficient scope, expected any of: {scope}"


# -- around the operations: logs, rate limits, the user's deletion ---------------------------------------------
def test_writes_land_in_the_users_logs(emulator, mgmt, user) -> None:
    am = mgmt.users.authentication_methods
    totp = am.create(user.user_id, type="totp", totp_secret=TOTP_SECRET)
    with pytest.raises(BadRequestError):
        am.create(user.user_id, type="sms")
    am.update(user.user_id, totp.id, name="App")
    am.delete(user.user_id, totp.id)
    am.set(user.user_id, request=[])
    am.delete_all(user.user_id)
    am.list(user.user_id)  # reads are not logged
    events = mgmt.users.logs.list(user.user_id, sort="date:1", per_page=20).items
    assert [(e.type, e.description) for e in events] == [
        ("ss", "Created by the Management API"),
        ("sapi", "Create a User"),
        ("sapi", "Creates an Authentication Method for a Given User"),
        ("fapi", "Creates an Authentication Method for a Given User"),
        ("sapi", "Update an Authentication Method"),
        ("sapi", "Delete an Authentication Method by ID"),
        ("sapi", "Update All Authentication Methods by Replacing Them with the Given Ones"),
        ("sapi", "Delete All Authentication Methods for the Given User"),
    ]
    assert events[2].details["request"]["path"] == f"/api/v2{methods_path(user.user_id)}"


def test_they_count_against_the_users_rate_limits(emulator_factory) -> None:
    emu: EmulatorProcess = emulator_factory("--seed", "demo", "--rate-limit", "read_users=2/60",
                                            "--rate-limit", "write_users=1/60")
    user_id = user_id_for_email("user01@acme.test")
    path = methods_path(user_id)
    reads = [raw(emu, "GET", path), raw(emu, "GET", f"/users/{user_id}"), raw(emu, "GET", path)]
    assert [r.status_code for r in reads] == [200, 200, 429]
    assert [r.headers["x-ratelimit-limit"] for r in reads] == ["2", "2", "2"]
    assert reads[2].json() == {"statusCode": 429, "error": "Too Many Requests",
                               "message": "Global limit has been reached", "errorCode": "too_many_requests"}
    writes = [raw(emu, "DELETE", path), raw(emu, "PATCH", f"/users/{user_id}", json={"given_name": "x"})]
    assert [r.status_code for r in writes] == [204, 429]
    assert writes[0].headers["x-ratelimit-limit"] == "1"
    assert raw(emu, "GET", "/connections").status_code == 200  # another group's bucket


def test_deleting_the_user_deletes_its_methods(emulator, mgmt) -> None:
    local_id = uuid.uuid4().hex[:24]
    user = new_user(mgmt, user_id=local_id)
    am = mgmt.users.authentication_methods
    am.create(user.user_id, type="totp", totp_secret=TOTP_SECRET)
    am.create(user.user_id, type="phone", phone_number="+15550001357")
    mgmt.users.delete(user.user_id)
    with pytest.raises(NotFoundError) as err:
        am.list(user.user_id)
    assert err.value.body == USER_404
    with sqlite3.connect(f"file:{emulator.data_file}?mode=ro", uri=True) as db:
        (left,) = db.execute("SELECT COUNT(*) FROM authentication_methods WHERE user_id = ?",
                             (user.user_id,)).fetchone()
    assert left == 0
    again = new_user(mgmt, user_id=local_id)
    assert again.user_id == user.user_id
    assert am.list(again.user_id).items == []
