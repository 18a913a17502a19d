"""Log streams of type http: every log event the tenant records reaches each active stream in batches,
in the stream's content format, as ``{log_id, data}`` with ``data`` what ``GET /api/v2/logs`` returns,
with the stream's Authorization and Content-Type; failed batches are retried; filters, pausing and
deleting hold back what they should; bad definitions are 400s that change nothing. Also: the log
events Auth0 records for user changes exist here, with their user."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.emulator.conftest import Api
from tests.emulator.receiver import Received, Receiver
from tests.support.authn_browser import Browser
from tests.support.processes import EmulatorProcess

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Str0ng-pass!"


@pytest.fixture
def make_log_stream(api: Api) -> Iterator[Callable[..., dict]]:
    """Create log streams that are deleted again after the test (the emulator is shared)."""
    made: list[str] = []

    def make(endpoint: str, **sink: object) -> dict:
        extra = {k: sink.pop(k) for k in ("filters", "name", "startFrom") if k in sink}
        r = api.post("/log-streams", json={"type": "http", "name": extra.pop("name", "mirror"),
                                           "sink": {"httpEndpoint": endpoint, **sink}, **extra})
        assert r.status_code == 200, r.text
        made.append(r.json()["id"])
        return r.json()

    yield make
    for stream_id in made:
        api.delete(f"/log-streams/{stream_id}")


@pytest.fixture
def user(api: Api) -> Iterator[dict]:
    email = f"ls-{secrets.token_hex(5)}@streams.test"
    r = api.post("/users", json={"connection": CONNECTION, "email": email, "password": PASSWORD,
                                 "verify_email": False})
    assert r.status_code == 201, r.text
    yield r.json()
    api.delete(f"/users/{r.json()['user_id']}")


def checkpoint(api: Api) -> str:
    """The newest log event's id: what comes after it is what the test caused."""
    return api.get("/logs", params={"per_page": 1, "sort": "date:-1"}).json()[0]["log_id"]


def logs_since(api: Api, log_id: str) -> list[dict]:
    return api.get("/logs", params={"from": log_id, "take": 100}).json()


def touch(api: Api, user: dict, n: int) -> None:
    """``n`` Management API writes: ``n`` sapi log events."""
    for i in range(n):
        assert api.patch(f"/users/{user['user_id']}", json={"user_metadata": {"n": i}}).status_code == 200


def envelopes(request: Received) -> list[dict]:
    body = request.json() if request.headers["Content-Type"] != "application/x-ndjson" else request.lines()
    return body if isinstance(body, list) else [body]


def delivered(rx: Receiver, path: str, parse: Callable[[Received], list[dict]] = envelopes) -> dict[str, dict]:
    return {e["log_id"]: e for r in rx.accepted(path) for e in parse(r)}


def test_each_content_format_carries_the_log_events_as_the_api_shows_them(
    api: Api, receiver: Receiver, make_log_stream, user: dict
) -> None:
    make_log_stream(f"{receiver.url}/array", httpContentFormat="JSONARRAY", httpAuthorization="Bearer array-token")
    make_log_stream(f"{receiver.url}/lines", httpContentFormat="JSONLINES", httpAuthorization="Splunk lines",
                    httpContentType="application/x-ndjson", httpCustomHeaders=[{"header": "X-Tenant", "value": "dev"}])
    make_log_stream(f"{receiver.url}/object", httpContentFormat="JSONOBJECT", httpAuthorization="object-token")
    start = checkpoint(api)
    touch(api, user, 3)
    expected = {e["log_id"]: e for e in logs_since(api, start)}
    assert len(expected) == 3 and {e["type"] for e in expected.values()} == {"sapi"}
    for path in ("/array", "/lines", "/object"):
        got = receiver.wait_for(lambda p=path: expected.keys() <= delivered(receiver, p).keys() and
                                delivered(receiver, p))
        for log_id, envelope in got.items():
            assert set(envelope) == {"log_id", "data"} and envelope["data"]["log_id"] == log_id
        assert {k: got[k]["data"] for k in expected} == expected
    array, lines, objects = (receiver.accepted(p) for p in ("/array", "/lines", "/object"))
    assert all(isinstance(r.json(), list) for r in array)
    assert all(r.headers["Authorization"] == "Bearer array-token" for r in array)
    assert all(r.headers["Content-Type"] == "application/json" for r in array + objects)
    assert all(r.body.endswith(b"\n") and all(isinstance(x, dict) for x in r.lines()) for r in lines)
    assert all(r.headers["Authorization"] == "Splunk lines" and r.headers["X-Tenant"] == "dev" for r in lines)
    assert all(r.headers["Content-Type"] == "application/x-ndjson" for r in lines)
    assert all(isinstance(r.json(), dict) for r in objects)  # one event per request
    assert len(objects) == len(delivered(receiver, "/object"))
    assert all(r.headers["Authorization"] == "object-token" for r in objects)


def test_events_are_batched_by_time(api: Api, receiver: Receiver, make_log_stream, user: dict) -> None:
    make_log_stream(f"{receiver.url}/logs", httpContentFormat="JSONARRAY")
    start = checkpoint(api)
    touch(api, user, 6)
    expected = {e["log_id"] for e in logs_since(api, start)}
    receiver.wait_for(lambda: expected <= delivered(receiver, "/logs").keys())
    carrying = [r for r in receiver.accepted("/logs") if expected & {e["log_id"] for e in envelopes(r)}]
    assert len(carrying) < len(expected)  # waited for company, not one request per event


def test_a_paused_stream_gets_nothing_then_catches_up_in_batches_of_100(
    api: Api, receiver: Receiver, make_log_stream, user: dict
) -> None:
    stream = make_log_stream(f"{receiver.url}/logs", httpContentFormat="JSONARRAY")
    paused = api.patch(f"/log-streams/{stream['id']}", json={"status": "paused"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    before = len(receiver.all("/logs"))
    start = checkpoint(api)
    touch(api, user, 150)
    expected = [e["log_id"] for e in logs_since(api, start)]
    expected += [e["log_id"] for e in logs_since(api, expected[-1])]
    assert len(expected) == 150
    assert len(receiver.all("/logs")) == before  # paused for longer than a batch window: nothing came
    assert api.patch(f"/log-streams/{stream['id']}", json={"status": "active"}).status_code == 200
    receiver.wait_for(lambda: set(expected) <= delivered(receiver, "/logs").keys())
    sizes = [len(envelopes(r)) for r in receiver.accepted("/logs")[before:]]
    assert sizes[0] == 100 and max(sizes) == 100  # no batch above Auth0's 100


def test_a_failed_batch_is_retried_until_accepted(api: Api, receiver: Receiver, make_log_stream, user: dict) -> None:
    make_log_stream(f"{receiver.url}/logs", httpContentFormat="JSONLINES")
    receiver.fail_next = 2
    start = checkpoint(api)
    touch(api, user, 2)
    expected = {e["log_id"] for e in logs_since(api, start)}
    receiver.wait_for(lambda: expected <= delivered(receiver, "/logs", Received.lines).keys())
    statuses = [r.status for r in receiver.all("/logs")]
    assert statuses[:3] == [500, 500, 200]
    refused = {e["log_id"] for r in receiver.all("/logs")[:2] for e in r.lines()}
    assert refused and refused <= delivered(receiver, "/logs", Received.lines).keys()  # sent again, not lost


def test_filters_and_deleted_streams(api: Api, receiver: Receiver, make_log_stream, streams_emulator) -> None:
    make_log_stream(f"{receiver.url}/signups", httpContentFormat="JSONARRAY",
                    filters=[{"type": "category", "name": "auth.signup.success"}])
    gone = make_log_stream(f"{receiver.url}/gone", httpContentFormat="JSONARRAY")
    assert api.delete(f"/log-streams/{gone['id']}").status_code == 204
    assert api.get(f"/log-streams/{gone['id']}").status_code == 404
    public, managed = (f"{kind}-{secrets.token_hex(4)}@streams.test" for kind in ("public", "managed"))
    r = httpx.post(f"{streams_emulator.url}/dbconnections/signup", json={
        "client_id": "portal-web-dev", "email": public, "password": PASSWORD, "connection": CONNECTION})
    assert r.status_code == 200
    # A user created through the Management API: ss (a signup) and sapi (management.success).
    r = api.post("/users", json={"connection": CONNECTION, "email": managed, "password": PASSWORD,
                                 "verify_email": False})
    assert r.status_code == 201
    got = receiver.wait_for(lambda: {e["data"].get("user_name") for e in delivered(receiver, "/signups").values()}
                            >= {public, managed} and delivered(receiver, "/signups"))
    assert {e["data"]["type"] for e in got.values()} == {"ss"}  # never the sapi of that write
    assert receiver.all("/gone") == []
    for address in (public, managed):
        for found in api.get("/users-by-email", params={"email": address}).json():
            api.delete(f"/users/{found['user_id']}")


BAD_LOG_STREAMS = [
    ({"type": "http"}, "Missing required property: sink"),
    ({"sink": {"httpEndpoint": "https://example.com"}}, "Missing required property: type"),
    ({"type": "datadog", "sink": {"datadogApiKey": "k", "datadogRegion": "us"}}, "http sinks only"),
    ({"type": "pigeon", "sink": {}}, "No enum match"),
    ({"type": "http", "sink": {"httpContentFormat": "JSONARRAY"}}, "Missing required property: httpEndpoint"),
    ({"type": "http", "sink": {"httpEndpoint": "ftp://example.com"}}, "String does not match pattern"),
    ({"type": "http", "sink": {"httpEndpoint": "https://example.com", "httpContentFormat": "XML"}}, "No enum match"),
    ({"type": "http", "sink": {"httpEndpoint": "https://example.com", "httpAuthorization": 7}}, "Expected type string"),
    ({"type": "http", "sink": {"httpEndpoint": "https://example.com"}, "filters": [{"name": "auth.nothing"}]},
     "No enum match"),
    ({"type": "http", "sink": {"httpEndpoint": "https://example.com"}, "pii_config": {"log_fields": ["email"]}},
     "pii_config"),
    ({"type": "http", "sink": {"httpEndpoint": "https://example.com"}, "startFrom": "yesterday"}, "date-time"),
    ({"type": "http", "sink": {"httpEndpoint": "https://example.com", "splunkToken": "x"}},
     "Additional properties not allowed"),
]


@pytest.mark.parametrize(("body", "message"), BAD_LOG_STREAMS)
def test_bad_definitions_are_400_and_create_nothing(api: Api, body: dict, message: str) -> None:
    before = api.get("/log-streams").json()
    r = api.post("/log-streams", json=body)
    assert r.status_code == 400, r.text
    error = r.json()
    assert set(error) == {"statusCode", "error", "message", "errorCode"}
    assert (error["statusCode"], error["error"], error["errorCode"]) == (400, "Bad Request", "invalid_body")
    assert message in error["message"]
    assert api.get("/log-streams").json() == before


def test_bad_updates_change_nothing(api: Api, receiver: Receiver, make_log_stream) -> None:
    stream = make_log_stream(f"{receiver.url}/logs")
    for body in ({"status": "running"}, {"sink": {"httpEndpoint": "mailto:a@b.c"}}, {"filters": "all"},
                 {"type": "http"}):
        r = api.patch(f"/log-streams/{stream['id']}", json=body)
        assert r.status_code == 400 and r.json()["errorCode"] == "invalid_body", r.text
    assert api.get(f"/log-streams/{stream['id']}").json() == stream
    assert api.patch("/log-streams/lst_0000000000009999", json={"name": "x"}).status_code == 404
    assert api.delete("/log-streams/lst_0000000000009999").status_code == 404


def test_user_changes_are_logged_with_their_user_and_streamed(
    api: Api, receiver: Receiver, make_log_stream, streams_emulator: EmulatorProcess
) -> None:
    make_log_stream(f"{receiver.url}/logs", httpContentFormat="JSONARRAY")
    start = checkpoint(api)
    created = api.post("/users", json={"connection": CONNECTION, "email": f"lg-{secrets.token_hex(4)}@streams.test",
                                       "password": PASSWORD, "verify_email": False}).json()
    uid, email = created["user_id"], created["email"]
    api.patch(f"/users/{uid}", json={"blocked": True})
    api.patch(f"/users/{uid}", json={"blocked": False})
    org = api.get("/organizations/name/globex").json()["id"]
    api.post(f"/organizations/{org}/members", json={"members": [uid]})
    httpx.post(f"{streams_emulator.url}/dbconnections/change_password",
               json={"email": email, "connection": CONNECTION})
    with Browser(streams_emulator) as browser:
        for _ in range(10):  # brute-force protection blocks the tenth failure from one IP
            browser.login(email, "Wr0ng-password!")
    api.delete(f"/users/{uid}")
    signup_email = f"lg-signup-{secrets.token_hex(4)}@streams.test"
    httpx.post(f"{streams_emulator.url}/dbconnections/signup", json={
        "client_id": "portal-web-dev", "email": signup_email, "password": PASSWORD, "connection": CONNECTION})

    recorded = logs_since(api, start)
    mine = [(e["type"], e.get("description")) for e in recorded if e.get("user_id") == uid]
    assert ("ss", "Created by the Management API") in mine
    assert mine.count(("sapi", "Update a User")) == 2
    assert ("sapi", "Add members to an Organization") in mine
    assert ("scpr", "Success Change Password Request") in mine
    assert ("limit_wc", f"Too many failed login attempts for {email} from 127.0.0.1: blocked") in mine
    assert ("sdu", "Successful User Deletion") in mine and ("sapi", "Delete a User") in mine
    members = next(e for e in recorded if e.get("description") == "Add members to an Organization")
    assert members["details"]["request"]["body"] == {"members": [uid]}
    sdu = next(e for e in recorded if e["type"] == "sdu")
    assert sdu["user_name"] == email and sdu["connection"] == CONNECTION and sdu["strategy"] == "auth0"
    assert any(e["type"] == "ss" and e.get("user_name") == signup_email for e in recorded)
    # The stream got every one of them.
    receiver.wait_for(lambda: {e["log_id"] for e in recorded} <= delivered(receiver, "/logs").keys(), timeout=8)
    for found in api.get("/users-by-email", params={"email": signup_email}).json():
        api.delete(f"/users/{found['user_id']}")
