"""The receiver of pushed changes (/hooks/auth0): authentication, both formats, idempotency, bad input."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from users.models import StreamEvent

pytestmark = pytest.mark.django_db
AUTH = {"HTTP_AUTHORIZATION": "Bearer test-stream-token"}
REFRESH = "users.tasks.directory_user_refresh"


def cloud_event(event_id: str, kind: str, obj: dict, **extra) -> dict:
    return {"specversion": "1.0", "id": event_id, "type": kind, "source": "urn:auth0:tenant",
            "time": "2025-01-01T00:00:00.000Z", "data": {"object": obj}, **extra}


def log(log_id: str, kind: str, user_id: str, **data) -> dict:
    return {"log_id": log_id, "data": {"type": kind, "user_id": user_id, "date": "2025-01-01T00:00:00.000Z",
                                       **data}}


def post(client: Client, body, *, content_type: str = "application/json", auth: dict | None = None):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post("/hooks/auth0", data=data, content_type=content_type, **(AUTH if auth is None else auth))


def test_each_format_queues_one_refresh_per_user_named(client: Client, django_capture_on_commit_callbacks,
                                                       published_tasks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, cloud_event("evt_1", "user.updated", {"user_id": "auth0|a"})).status_code == 202
        post(client, cloud_event("evt_2", "organization.member.added",
                                 {"organization": {"id": "org_1"}, "user": {"user_id": "auth0|b"}}))
        post(client, [log("90001", "sapi", "auth0|c", client_id="someone-else"),
                      log("90002", "s", "auth0|d"),  # a login: the delta sync's business
                      log("90003", "sapi", "auth0|e", client_id="portal-m2m-dev")])  # the portal's own call
        post(client, "\n".join(json.dumps(line) for line in [log("90004", "sdu", "auth0|f"),
                                                           log("90005", "ss", "auth0|f")]),
             content_type="application/x-ndjson")
        post(client, log("90006", "limit_wc", "auth0|g"))  # JSONOBJECT: one event a request
    assert published_tasks == [REFRESH] * 5  # a, b, c, f, g
    assert StreamEvent.objects.count() == 8


def test_a_redelivery_does_nothing_twice(client: Client, django_capture_on_commit_callbacks,
                                         published_tasks) -> None:
    event = cloud_event("evt_same", "user.deleted", {"user_id": "auth0|x"})
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, event).json() == {"accepted": 1, "duplicates": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, event).json() == {"accepted": 0, "duplicates": 1}
    assert published_tasks == [REFRESH] and StreamEvent.objects.count() == 1


def test_a_test_delivery_is_accepted_and_refreshes_nobody(client: Client, published_tasks,
                                                          django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, cloud_event("evt_t", "user.created", {"user_id": "auth0|t"}, a0purpose="test"))
    assert response.status_code == 202 and published_tasks == []


@pytest.mark.parametrize("auth", [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"},
                                  {"HTTP_AUTHORIZATION": "test-stream-token"}])
def test_a_push_without_the_token_is_refused(client: Client, auth: dict, published_tasks) -> None:
    response = post(client, cloud_event("evt_1", "user.updated", {"user_id": "auth0|a"}), auth=auth)
    assert response.status_code == 401 and not StreamEvent.objects.exists() and published_tasks == []


@pytest.mark.parametrize(("body", "message"), [
    ("not json at all", "neither JSON nor JSON lines"),
    ([], "holds no event"),
    ([1, 2], "must be a JSON object"),
    ({"hello": "world"}, "Neither a CloudEvent"),
    ({"specversion": "1.0", "type": "user.updated"}, "needs a string id and type"),
    ({"specversion": "1.0", "id": "e", "type": "user.updated", "data": {}}, "has no data.object"),
    ({"specversion": "1.0", "id": "e", "type": "user.updated", "data": {"object": {"email": "x"}}}, "names no user"),
    ({"log_id": "1"}, "needs a log_id and data"),
    ([{"log_id": str(n), "data": {}} for n in range(1001)], "At most 1000 events"),
], ids=["text", "empty", "scalars", "unknown", "no-id", "no-object", "no-user", "log-no-data", "too-many"])
def test_bad_input_gets_a_clear_400_and_changes_nothing(client: Client, body, message, published_tasks) -> None:
    response = post(client, body)
    assert response.status_code == 400 and message in response.json()["message"]
    assert not StreamEvent.objects.exists() and published_tasks == []


def test_without_a_token_configured_there_is_no_receiver(client: Client, settings) -> None:
    settings.DIRECTORY_STREAM_TOKEN = ""
    assert post(client, cloud_event("e", "user.updated", {"user_id": "auth0|a"})).status_code == 404
    assert client.get("/hooks/auth0").status_code == 405


def test_a_management_api_operation_names_the_user_in_its_path_not_the_actor(
    client: Client, django_capture_on_commit_callbacks, published_tasks
) -> None:
    """Auth0's log schema: ``user_id`` of an ``sapi`` event is whoever acted (empty for a machine client)."""
    event = log("91001", "sapi", "", client_id="another-tool",
                details={"request": {"method": "patch", "path": "/api/v2/users/auth0%7Cabc123"}})
    with django_capture_on_commit_callbacks(execute=True):
        post(client, event)
    assert StreamEvent.objects.get().user_id == "auth0|abc123" and published_tasks == [REFRESH]
