"""Event streams: a webhook receives Auth0's CloudEvents for every user and membership change, with the
stream's authorization, at least once (retried after failures), and never from a disabled or deleted
stream; deliveries that ran out of attempts are listed and can be redelivered; bad definitions are
Auth0's 400s and change nothing."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.emulator.conftest import Api, cloud_event_check
from tests.emulator.receiver import Receiver
from tests.support.authn_browser import Browser
from tests.support.openapi import management_token
from tests.support.processes import EmulatorProcess

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Str0ng-pass!"
USER_EVENTS = ["user.created", "user.updated", "user.deleted"]
MEMBER_EVENTS = ["organization.member.added", "organization.member.deleted"]
MEMBER_ROLE_EVENTS = ["organization.member.role.assigned", "organization.member.role.deleted"]


def webhook(url: str, authorization: dict | None = None) -> dict:
    return {"type": "webhook", "configuration": {
        "webhook_endpoint": url, "webhook_authorization": authorization or {"method": "bearer", "token": "t0ken"}}}


@pytest.fixture
def make_stream(api: Api) -> Iterator[Callable[..., dict]]:
    """Create event streams that are deleted again after the test (the emulator is shared)."""
    made: list[str] = []

    def make(url: str, types: list[str], **extra: object) -> dict:
        body = {"name": f"stream-{secrets.token_hex(4)}", "subscriptions": [{"event_type": t} for t in types],
                "destination": webhook(url, extra.pop("authorization", None)), **extra}
        r = api.post("/event-streams", json=body)
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
        return r.json()

    yield make
    for stream_id in made:
        api.delete(f"/event-streams/{stream_id}")


def new_user(api: Api, **extra: object) -> dict:
    email = f"es-{secrets.token_hex(5)}@streams.test"
    r = api.post("/users", json={"connection": CONNECTION, "email": email, "password": PASSWORD,
                                 "verify_email": False, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def events_of(rx: Receiver, path: str = "/hook") -> list[dict]:
    return [r.json() for r in rx.accepted(path)]


def wait_events(rx: Receiver, n: int, path: str = "/hook") -> list[dict]:
    return rx.wait_for(lambda: (e := events_of(rx, path)) and len(e) >= n and e)


def globex_id(api: Api) -> str:
    return api.get("/organizations/name/globex").json()["id"]


def test_every_user_and_membership_change_arrives_as_auth0s_cloudevent(
    api: Api, receiver: Receiver, make_stream, streams_emulator: EmulatorProcess
) -> None:
    stream = make_stream(f"{receiver.url}/hook", USER_EVENTS + MEMBER_EVENTS,
                         authorization={"method": "bearer", "token": "mirror-secret"})
    user = new_user(api)
    uid = user["user_id"]
    updated = api.patch(f"/users/{uid}", json={"user_metadata": {"team": "blue"}}).json()
    org = globex_id(api)
    assert api.post(f"/organizations/{org}/members", json={"members": [uid]}).status_code == 204
    assert api.request("DELETE", f"/organizations/{org}/members", json={"members": [uid]}).status_code == 204
    assert api.delete(f"/users/{uid}").status_code == 204

    received = wait_events(receiver, 5)
    by_type = {e["type"]: e for e in received}
    assert set(by_type) == set(USER_EVENTS + MEMBER_EVENTS) and len(received) == 5
    for envelope in received:
        cloud_event_check(envelope)
        assert envelope["specversion"] == "1.0"
        assert envelope["a0stream"] == stream["id"] and envelope["a0tenant"] == "emulator"
        assert envelope["source"] == f"urn:auth0:{streams_emulator.domain}"
        assert envelope["id"].startswith("evt_") and len(envelope["id"]) == 26
    assert len({e["id"] for e in received}) == 5
    # The user is the one the Management API answered, as GET /users/{id} shows it.
    assert by_type["user.created"]["data"]["object"] == user
    assert by_type["user.updated"]["data"]["object"] == updated
    deleted = by_type["user.deleted"]["data"]["object"]
    assert deleted["user_id"] == uid and deleted["deleted_at"] >= updated["updated_at"]
    member = {"organization": {"id": org, "name": "globex"}, "user": {"user_id": uid}}
    assert by_type["organization.member.added"]["data"]["object"] == member
    assert by_type["organization.member.deleted"]["data"]["object"] == member
    for request in receiver.accepted("/hook"):
        assert request.headers["Authorization"] == "Bearer mirror-secret"
        assert request.headers["Content-Type"] == "application/json"


def test_a_members_roles_arrive_as_auth0s_cloudevents(api: Api, receiver: Receiver, make_stream) -> None:
    make_stream(f"{receiver.url}/hook", MEMBER_ROLE_EVENTS)
    uid, org = new_user(api)["user_id"], globex_id(api)
    role = api.post("/roles", json={"name": f"Streamed {secrets.token_hex(4)}"}).json()
    assert api.post(f"/organizations/{org}/members", json={"members": [uid]}).status_code == 204
    path = f"/organizations/{org}/members/{uid}/roles"
    assert api.post(path, json={"roles": [role["id"]]}).status_code == 204
    assert api.post(path, json={"roles": [role["id"]]}).status_code == 204  # held already: no event
    assert api.post("/users/" + uid + "/roles", json={"roles": [role["id"]]}).status_code == 204  # a tenant role
    assert api.request("DELETE", path, json={"roles": [role["id"]]}).status_code == 204
    received = wait_events(receiver, 2)
    time.sleep(0.3)  # nothing else follows
    assert sorted(e["type"] for e in events_of(receiver)) == MEMBER_ROLE_EVENTS
    for envelope in received:
        cloud_event_check(envelope)
        assert envelope["data"]["object"] == {"organization": {"id": org}, "user": {"user_id": uid},
                                              "role": {"id": role["id"], "name": role["name"]}}
    api.delete(f"/users/{uid}")
    api.delete(f"/roles/{role['id']}")


def test_signup_password_block_and_metadata_are_changes_a_login_is_not(
    api: Api, receiver: Receiver, make_stream, streams_emulator: EmulatorProcess
) -> None:
    make_stream(f"{receiver.url}/hook", USER_EVENTS)
    email = f"signup-{secrets.token_hex(4)}@streams.test"
    r = httpx.post(f"{streams_emulator.url}/dbconnections/signup", json={
        "client_id": "portal-web-dev", "email": email, "password": PASSWORD, "connection": CONNECTION})
    assert r.status_code == 200, r.text
    created = wait_events(receiver, 1)[0]
    assert created["type"] == "user.created" and created["data"]["object"]["email"] == email
    uid = created["data"]["object"]["user_id"]
    with Browser(streams_emulator) as browser:
        assert browser.login(email, PASSWORD).status_code == 302  # a login: no event
    assert api.get(f"/users/{uid}").json()["logins_count"] == 1
    api.patch(f"/users/{uid}", json={"password": "An0ther-pass!"})
    api.patch(f"/users/{uid}", json={"blocked": True})
    api.patch(f"/users/{uid}", json={"app_metadata": {"plan": "gold"}})
    received = wait_events(receiver, 4)
    assert [e["type"] for e in received[1:]] == ["user.updated"] * 3
    # Deliveries are separate requests (a retried one arrives late), so Auth0 promises no order: each
    # change is told apart by what it left on the user.
    updates = {("blocked" if u.get("blocked") else "password") + ("+metadata" if "app_metadata" in u else ""): u
               for u in (e["data"]["object"] for e in received[1:])}
    assert set(updates) == {"password", "blocked", "blocked+metadata"}
    assert "last_password_reset" in updates["password"]
    assert updates["blocked+metadata"]["app_metadata"] == {"plan": "gold"}
    updates = list(updates.values())
    assert all(u["logins_count"] == 1 for u in updates)  # the login shows in later events only
    api.delete(f"/users/{uid}")


def test_basic_authorization(api: Api, receiver: Receiver, make_stream) -> None:
    stream = make_stream(f"{receiver.url}/hook", ["user.created"],
                         authorization={"method": "basic", "username": "mirror", "password": "pa:ss"})
    assert stream["destination"]["configuration"]["webhook_authorization"] == {"method": "basic",
                                                                              "username": "mirror"}
    user = new_user(api)
    wait_events(receiver, 1)
    expected = "Basic " + base64.b64encode(b"mirror:pa:ss").decode()
    assert receiver.accepted("/hook")[0].headers["Authorization"] == expected
    api.delete(f"/users/{user['user_id']}")


def test_delivery_is_retried_until_the_receiver_accepts(api: Api, receiver: Receiver, make_stream) -> None:
    stream = make_stream(f"{receiver.url}/hook", ["user.created"])
    receiver.fail_next = 2  # two 500s, then 200 (three attempts are allowed)
    user = new_user(api)
    delivered = wait_events(receiver, 1)
    attempts = receiver.all("/hook")
    assert [r.status for r in attempts] == [500, 500, 200]
    assert len({r.json()["id"] for r in attempts}) == 1  # the same event each time: at least once
    assert delivered[0]["data"]["object"]["user_id"] == user["user_id"]
    assert api.get(f"/event-streams/{stream['id']}/deliveries").json() == []
    api.delete(f"/users/{user['user_id']}")


def test_failed_deliveries_are_listed_and_redelivered(api: Api, receiver: Receiver, make_stream) -> None:
    stream = make_stream(f"{receiver.url}/hook", ["user.created", "user.deleted"])
    receiver.fail_always = True
    user = new_user(api)
    deliveries = receiver.wait_for(lambda: api.get(f"/event-streams/{stream['id']}/deliveries").json())
    assert len(receiver.all("/hook")) == 3  # every attempt allowed, then failed
    (delivery,) = deliveries
    assert delivery["status"] == "failed" and delivery["event_type"] == "user.created"
    assert delivery["event_stream_id"] == stream["id"] and len(delivery["attempts"]) == 3
    assert all(a["status"] == "failed" and "500" in a["error_message"] for a in delivery["attempts"])
    assert user["user_id"] in delivery["event"]["data"]  # the event, its data as a JSON string
    event_id = delivery["id"]
    history = api.get(f"/event-streams/{stream['id']}/deliveries/{event_id}")
    assert history.status_code == 200 and history.json() == delivery
    filtered = api.get(f"/event-streams/{stream['id']}/deliveries", params={"event_types": "user.deleted"})
    assert filtered.json() == []

    receiver.fail_always = False
    assert api.post(f"/event-streams/{stream['id']}/redeliver/{event_id}").status_code == 202
    (redelivered,) = wait_events(receiver, 1)
    assert redelivered["id"] == event_id
    receiver.wait_for(lambda: api.get(f"/event-streams/{stream['id']}/deliveries").json() == [])
    again = api.post(f"/event-streams/{stream['id']}/redeliver/{event_id}")
    assert again.status_code == 409 and again.json()["statusCode"] == 409  # delivered: nothing to redeliver
    missing = api.post(f"/event-streams/{stream['id']}/redeliver/evt_{'0' * 22}")
    assert missing.status_code == 404
    api.delete(f"/users/{user['user_id']}")


def test_bulk_redelivery_by_filter(api: Api, receiver: Receiver, make_stream) -> None:
    stream = make_stream(f"{receiver.url}/hook", ["user.created"])
    receiver.fail_always = True
    users = [new_user(api), new_user(api)]
    receiver.wait_for(lambda: len(api.get(f"/event-streams/{stream['id']}/deliveries").json()) == 2)
    receiver.fail_always = False
    body = {"statuses": ["failed"], "event_types": ["user.created"]}
    r = api.post(f"/event-streams/{stream['id']}/redeliver", json=body)
    assert r.status_code == 202 and r.json() == body
    received = wait_events(receiver, 2)
    assert {e["data"]["object"]["user_id"] for e in received} == {u["user_id"] for u in users}
    for user in users:
        api.delete(f"/users/{user['user_id']}")


def test_disabled_and_deleted_streams_receive_nothing(api: Api, receiver: Receiver, make_stream) -> None:
    live = make_stream(f"{receiver.url}/live", ["user.created"])
    disabled = make_stream(f"{receiver.url}/disabled", ["user.created"], status="disabled")
    paused = make_stream(f"{receiver.url}/paused", ["user.created"])
    gone = make_stream(f"{receiver.url}/gone", ["user.created"])
    other = make_stream(f"{receiver.url}/other", ["user.deleted"])
    patched = api.patch(f"/event-streams/{paused['id']}", json={"status": "disabled"})
    assert patched.status_code == 200 and patched.json()["status"] == "disabled"
    assert api.delete(f"/event-streams/{gone['id']}").status_code == 204
    assert api.get(f"/event-streams/{gone['id']}").status_code == 404
    user = new_user(api)
    wait_events(receiver, 1, "/live")
    time.sleep(0.3)  # six retry intervals: anything owed elsewhere would have arrived by now
    assert receiver.all("/disabled") == receiver.all("/paused") == receiver.all("/gone") == []
    assert receiver.all("/other") == []  # not subscribed to user.created
    # Enabling a stream does not send what happened while it was disabled (Auth0 sends nothing then).
    api.patch(f"/event-streams/{paused['id']}", json={"status": "enabled"})
    api.delete(f"/users/{user['user_id']}")
    wait_events(receiver, 1, "/other")
    assert receiver.all("/paused") == []
    assert live and disabled and other


BAD_STREAMS = [
    ({"name": "no-destination"}, "Missing required property: destination"),
    ({"destination": webhook("ftp://example.com/hook")}, "String does not match pattern"),
    ({"destination": webhook("https://")}, "format uri"),
    ({"destination": {"type": "eventbridge", "configuration": {
        "aws_account_id": "123456789012", "aws_region": "us-east-1"}}}, "webhook destinations only"),
    ({"destination": {"type": "carrier-pigeon"}}, "No enum match"),
    ({"destination": webhook("https://example.com", {"method": "bearer"})}, "Missing required property: token"),
    ({"destination": webhook("https://example.com", {"method": "basic", "username": "a:b", "password": "x"})},
     "pattern"),
    ({"destination": webhook("https://example.com", {"method": "custom_header", "header_key": "X-Key"})},
     "custom_header"),
    ({"destination": webhook("https://example.com", {"method": "bearer", "token": "x", "extra": 1})},
     "Additional properties not allowed: extra"),
    ({"subscriptions": [], "destination": webhook("https://example.com")}, "Array is too short"),
    ({"subscriptions": [{"event_type": "user.renamed"}], "destination": webhook("https://example.com")},
     "No enum match"),
    ({"status": "paused", "destination": webhook("https://example.com")}, "No enum match"),
    ({"name": "", "destination": webhook("https://example.com")}, "minimum 1"),
    ({"colour": "red", "destination": webhook("https://example.com")}, "Additional properties not allowed"),
]


@pytest.mark.parametrize(("body", "message"), BAD_STREAMS)
def test_bad_definitions_are_400_and_create_nothing(api: Api, body: dict, message: str) -> None:
    before = api.get("/event-streams").json()
    r = api.post("/event-streams", json=body)
    assert r.status_code == 400, r.text
    error = r.json()
    assert set(error) == {"statusCode", "error", "message", "errorCode"}
    assert (error["statusCode"], error["error"], error["errorCode"]) == (400, "Bad Request", "invalid_body")
    assert message in error["message"]
    assert api.get("/event-streams").json() == before


def test_bad_updates_change_nothing_and_names_are_unique(api: Api, receiver: Receiver, make_stream) -> None:
    first = make_stream(f"{receiver.url}/hook", ["user.created"])
    second = make_stream(f"{receiver.url}/hook", ["user.created"])
    for body in ({"status": "on"}, {"subscriptions": [{"event_type": "nope"}]},
                 {"destination": webhook("https://example.com", {"method": "basic", "username": "u"})}):
        r = api.patch(f"/event-streams/{first['id']}", json=body)
        assert r.status_code == 400 and r.json()["errorCode"] == "invalid_body", r.text
    assert api.get(f"/event-streams/{first['id']}").json() == first
    taken = api.post("/event-streams", json={"name": first["name"], "destination": webhook("https://example.com")})
    assert taken.status_code == 409 and taken.json()["statusCode"] == 409
    renamed = api.patch(f"/event-streams/{second['id']}", json={"name": first["name"]})
    assert renamed.status_code == 409
    # The secret is write-only: a PATCH keeping the method may leave it out, and it stays.
    kept = api.patch(f"/event-streams/{first['id']}", json={"destination": webhook(
        f"{receiver.url}/kept", {"method": "bearer"})})
    assert kept.status_code == 200, kept.text
    user = new_user(api)
    wait_events(receiver, 1, "/kept")
    assert receiver.accepted("/kept")[0].headers["Authorization"] == "Bearer t0ken"
    api.delete(f"/users/{user['user_id']}")


def test_auth0_refuses_plain_http_receivers_unless_allowed(emulator: EmulatorProcess) -> None:
    headers = {"Authorization": f"Bearer {management_token(emulator.url)}"}
    r = httpx.post(f"{emulator.url}/api/v2/event-streams", headers=headers,
                   json={"destination": webhook("http://127.0.0.1:9/hook")})
    assert r.status_code == 400 and "^https://.*" in r.json()["message"]


def test_unknown_stream_and_bad_paging(api: Api) -> None:
    missing = f"est_{'0' * 22}"
    for method, path in (("GET", f"/event-streams/{missing}"), ("PATCH", f"/event-streams/{missing}"),
                         ("GET", f"/event-streams/{missing}/deliveries")):
        r = api.request(method, path, json={} if method == "PATCH" else None)
        assert r.status_code == 404 and r.json()["message"] == "The event stream does not exist.", (method, path)
    assert api.get("/event-streams", params={"take": 101}).status_code == 400
    assert api.delete("/event-streams/short").status_code == 400


def test_what_is_owed_survives_a_restart(emulator_factory, receiver: Receiver) -> None:
    """Deliveries live in the data file: an event whose receiver was down when the emulator stopped is
    delivered once it runs again (at least once, even across a restart)."""
    emu = emulator_factory("--seed", "empty", "--no-rate-limits", "--allow-http-destinations",
                           "--delivery-backoff", "0.2", "--delivery-attempts", "20")
    api = Api(emu)
    r = api.post("/event-streams", json={"subscriptions": [{"event_type": "user.created"}],
                                         "destination": webhook(f"{receiver.url}/hook")})
    assert r.status_code == 201
    receiver.fail_always = True
    user = new_user(api)
    receiver.wait_for(lambda: receiver.all("/hook"))  # tried, refused
    emu.stop()
    receiver.fail_always = False
    emu.start()
    (event,) = wait_events(receiver, 1)
    assert event["data"]["object"]["user_id"] == user["user_id"]
